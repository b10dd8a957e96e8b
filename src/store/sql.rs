//! SQL literals, for statements whose values are rendered into the text
//! (the bulk paths: thousands of generated rows per statement, and the
//! import's set-based statements).
//!
//! Only for numbers, dates and strings this program produced or already
//! checked; user input reaches the database as bound parameters.

use std::fmt::Write;

use chrono::Utc;

/// A SQL string literal: single quotes doubled.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A number, or `NULL`.
pub fn number_or_null(value: Option<i64>) -> String {
    value.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

/// A boolean literal both databases read back as a `bool`.
pub fn boolean(value: bool) -> &'static str {
    if value { "TRUE" } else { "FALSE" }
}

/// Renders a row from already-rendered SQL values: `(v1,v2,…)`.
pub fn row(values: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(96);
    out.push('(');
    push_joined(&mut out, values.iter());
    out.push(')');
    out
}

/// Appends `items` to `out`, separated by commas.
fn push_joined<T: std::fmt::Display>(out: &mut String, items: impl Iterator<Item = T>) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{item}");
    }
}

/// A timestamp as an SQL literal both databases read back as the same
/// `DateTimeUtc` (the text form sea-orm writes on SQLite).
pub fn timestamp(at: chrono::DateTime<Utc>) -> String {
    format!("'{}'", at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00"))
}

/// A PostgreSQL array literal of numbers (`'{1,2,3}'`).
pub fn pg_array<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    let mut out = String::from("'{");
    push_joined(&mut out, items);
    out.push_str("}'");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_renders() {
        assert_eq!(quote("B'Lao"), "'B''Lao'");
        assert_eq!(quote("a''b"), "'a''''b'");
        assert_eq!(number_or_null(None), "NULL");
        assert_eq!(number_or_null(Some(-3)), "-3");
        assert_eq!(row(&[&1, &"'a'", &"NULL"]), "(1,'a',NULL)");
        assert_eq!(pg_array([1, 2, 3].iter()), "'{1,2,3}'");
    }
}
