//! Fast bulk inserts for generated data: multi-row `INSERT … VALUES` with
//! literal values, thousands of rows per statement.
//!
//! Only for values this program generated itself (numbers, dates and names
//! from the shipped map file), rendered by [`crate::store::sql`]. User input
//! never goes through here: it goes through sea-orm with bound parameters.

use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DbErr};

use crate::model::values::Flows;
use crate::store::sql::number_or_null;
use crate::store::sql::row;

/// Rows per statement: well under SQLite's and PostgreSQL's limits, large
/// enough that statement overhead does not dominate.
const ROWS_PER_STATEMENT: usize = 2_000;

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

/// The columns of a generated report row (see [`report_row`]).
pub const REPORT_COLUMNS: &[&str] = &[
    "unit_id",
    "day",
    "campaign_id",
    "team_id",
    "campaign_slot",
    "team_slot",
    "applications_collected",
    "cards_issued",
    "accounts_activated",
    "home_visits",
    "status",
    "version",
    "created_at",
    "updated_at",
];

/// A generated report: submitted, version 1, stamped at 17:00 in Vietnam
/// on its day.
pub fn report_row(
    unit_id: i64,
    day: chrono::NaiveDate,
    campaign: Option<i64>,
    team: Option<i64>,
    flows: Flows,
) -> String {
    let d = day.format("%Y-%m-%d").to_string();
    let stamp = format!("'{d}T10:00:00+00:00'");
    row(&[
        &unit_id,
        &format!("'{d}'"),
        &number_or_null(campaign),
        &number_or_null(team),
        &campaign.unwrap_or(0),
        &team.unwrap_or(0),
        &flows.applications_collected,
        &flows.cards_issued,
        &flows.accounts_activated,
        &flows.home_visits,
        &"'submitted'",
        &1,
        &stamp,
        &stamp,
    ])
}
