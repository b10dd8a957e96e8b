//! Keyset pagination: a page is "the first N rows whose id is above X".

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many rows the caller wants.
    pub first: usize,
    /// Only rows with an id above this (the decoded `after` cursor).
    pub after_id: Option<i64>,
}

impl Page {
    /// Applies the page to rows already sorted by id, returning the rows of
    /// the page and whether more follow.
    pub fn slice<T>(&self, rows: &[T], id: impl Fn(&T) -> i64) -> (Vec<T>, bool)
    where
        T: Clone,
    {
        let start = match self.after_id {
            Some(after) => rows.partition_point(|row| id(row) <= after),
            None => 0,
        };
        let rest = &rows[start..];
        let has_next = rest.len() > self.first;
        (rest.iter().take(self.first).cloned().collect(), has_next)
    }

    /// The row limit to ask the database for: one more than the page, to
    /// learn whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.first as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn slices_after_a_cursor() {
        let rows = vec![1, 3, 5, 7, 9];
        let page = Page {
            first: 2,
            after_id: Some(3),
        };
        assert_eq!(page.slice(&rows, |r| *r), (vec![5, 7], true));
        let page = Page {
            first: 5,
            after_id: Some(7),
        };
        assert_eq!(page.slice(&rows, |r| *r), (vec![9], false));
        let page = Page {
            first: 0,
            after_id: None,
        };
        assert_eq!(page.slice(&rows, |r| *r), (vec![], true));
    }
}
