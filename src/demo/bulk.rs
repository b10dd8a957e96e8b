//! Fast bulk inserts for generated data: multi-row `INSERT … VALUES` with
//! literal values, thousands of rows per statement.
//!
//! Only for values this program generated itself (numbers, dates and names
//! from the shipped map file); strings are quoted by [`quote`]. User input
//! never goes through here: it goes through sea-orm with bound parameters.

use std::fmt::Write;

use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DbErr};

/// Rows per statement: well under SQLite's and PostgreSQL's limits, large
/// enough that statement overhead does not dominate.
const ROWS_PER_STATEMENT: usize = 2_000;

/// A SQL string literal: single quotes doubled.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Inserts `rows` (each already rendered as `(v1, v2, …)`) into `table`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: impl IntoIterator<Item = String>,
    bar: &ProgressBar,
) -> Result<(), DbErr> {
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut sql = String::with_capacity(256 * 1024);
    let mut in_statement = 0usize;
    for row in rows {
        if in_statement == 0 {
            sql.clear();
            sql.push_str(&head);
        } else {
            sql.push(',');
        }
        sql.push_str(&row);
        in_statement += 1;
        if in_statement == ROWS_PER_STATEMENT {
            db.execute_unprepared(&sql).await?;
            bar.inc(in_statement as u64);
            in_statement = 0;
        }
    }
    if in_statement > 0 {
        db.execute_unprepared(&sql).await?;
        bar.inc(in_statement as u64);
    }
    Ok(())
}

/// Renders a row from already-formatted SQL values.
pub fn row(values: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(96);
    out.push('(');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{value}");
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_and_renders() {
        assert_eq!(super::quote("B'Lao"), "'B''Lao'");
        assert_eq!(super::row(&[&1, &"'a'", &"NULL"]), "(1,'a',NULL)");
    }
}
