//! Relay connections: argument validation and construction.
//!
//! Every connection takes `first` (required, at most the configured page
//! size, 100 by default) and `after` (a cursor from a previous page). Lists
//! are keyset-paginated by id, so a page is stable while rows are added.

use async_graphql::connection::{Connection, CursorType, Edge};
use std::future::Future;

use async_graphql::{Context, OutputType, SimpleObject};
use sea_orm::DbErr;

use super::ids;
use crate::config::Limits;
use crate::error::{AppError, AppResult};
use crate::store::Page;

/// Fields every connection has beside `edges`, `nodes` and `pageInfo`.
#[derive(SimpleObject)]
pub struct ConnectionTotals {
    /// Number of nodes in the whole list, across all pages.
    pub total_count: u64,
}

/// A connection of `T` with a `totalCount`.
pub type Conn<T> = Connection<Cursor, T, ConnectionTotals>;

/// An edge's cursor: a row id, or a position in a list kept in its own
/// order. Encoded only when a client asks for it (a 63-edge ranking that
/// asks no cursor builds no string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(pub i64);

impl CursorType for Cursor {
    type Error = &'static str;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        ids::decode_cursor(s)
            .map(Cursor)
            .map_err(|_| "not a valid cursor")
    }

    fn encode_cursor(&self) -> String {
        ids::encode_cursor(self.0)
    }
}

/// Validates `first` and `after` into a page.
pub fn page(limits: &Limits, first: Option<i32>, after: Option<String>) -> AppResult<Page> {
    let first = first.ok_or_else(|| {
        AppError::bad_input(
            "first",
            format!(
                "every connection needs `first` (1 to {})",
                limits.max_page_size
            ),
        )
    })?;
    if first < 0 || first as usize > limits.max_page_size {
        return Err(AppError::bad_input(
            "first",
            format!(
                "must be between 0 and {}, got {first}",
                limits.max_page_size
            ),
        ));
    }
    let after_id = after.as_deref().map(ids::decode_cursor).transpose()?;
    Ok(Page {
        first: first as usize,
        after_id,
    })
}

/// Builds a connection from one page of rows.
pub fn build<R, T>(
    rows: Vec<R>,
    has_next: bool,
    page: Page,
    total_count: u64,
    id: impl Fn(&R) -> i64,
    wrap: impl Fn(R) -> T,
) -> Conn<T>
where
    T: OutputType,
{
    let mut conn = Connection::with_additional_fields(
        page.after_id.is_some(),
        has_next,
        ConnectionTotals { total_count },
    );
    conn.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(Cursor(id(&row)), wrap(row))),
    );
    conn
}

/// Whether the selection asks for `totalCount` (so the count query can be
/// skipped when it does not).
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// A connection over one page read from the database: `rows` reads the
/// page (and whether more follow), `count` the whole list's size, run only
/// when the selection asks for `totalCount`.
pub async fn paged<R, T, Count>(
    ctx: &Context<'_>,
    page: Page,
    rows: impl Future<Output = Result<(Vec<R>, bool), DbErr>> + Send,
    count: impl FnOnce() -> Count,
    id: impl Fn(&R) -> i64,
    wrap: impl Fn(R) -> T,
) -> AppResult<Conn<T>>
where
    T: OutputType,
    Count: Future<Output = Result<u64, DbErr>> + Send,
{
    // Boxed: a resolver's future holds these while it waits, and several
    // connections nest in one document.
    let (rows, has_next) = Box::pin(rows).await?;
    let total = if wants_total(ctx) {
        Box::pin(count()).await?
    } else {
        0
    };
    Ok(build(rows, has_next, page, total, id, wrap))
}

/// Builds a connection from a whole list already in memory (sorted by id).
pub fn from_list<R, T>(
    rows: &[R],
    page: Page,
    id: impl Fn(&R) -> i64,
    wrap: impl Fn(R) -> T,
) -> Conn<T>
where
    R: Clone,
    T: OutputType,
{
    let (slice, has_next) = page.slice(rows, &id);
    build(slice, has_next, page, rows.len() as u64, id, wrap)
}

/// Builds a connection over a list computed whole in memory and kept in its
/// own order (rankings): cursors are positions in the list.
pub fn by_position<R, T>(rows: &[R], page: Page, wrap: impl Fn(&R) -> T) -> Conn<T>
where
    T: OutputType,
{
    let start = page.after_id.map_or(0, |a| (a + 1).max(0) as usize);
    let mut conn = Connection::with_additional_fields(
        start > 0,
        start + page.first < rows.len(),
        ConnectionTotals {
            total_count: rows.len() as u64,
        },
    );
    conn.edges.extend(
        rows.iter()
            .enumerate()
            .skip(start)
            .take(page.first)
            .map(|(position, row)| Edge::new(Cursor(position as i64), wrap(row))),
    );
    conn
}
