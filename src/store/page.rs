//! Keyset pagination: a page is "the first N rows whose id is above X".

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

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

/// Fetches one page of `query` in `id` order: the rows and whether more
/// follow.
pub async fn fetch<E: EntityTrait>(
    db: &impl ConnectionTrait,
    mut query: Select<E>,
    id: E::Column,
    page: Page,
) -> Result<(Vec<E::Model>, bool), DbErr> {
    if let Some(after) = page.after_id {
        query = query.filter(id.gt(after));
    }
    let mut rows = query
        .order_by_asc(id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    let has_next = rows.len() > page.first;
    rows.truncate(page.first);
    Ok((rows, has_next))
}

/// Escapes LIKE wildcards so text matches literally (with `\` as escape).
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `units.path LIKE 'path%'`: the unit at `path` and every unit below it
/// (for queries joined to `units`).
pub fn in_subtree_of(path: &str) -> SimpleExpr {
    Expr::col((entity::unit::Entity, entity::unit::Column::Path))
        .like(LikeExpr::new(format!("{}%", escape_like(path))).escape('\\'))
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
