//! The batch upsert: every report of a batch created, corrected or left
//! alone in one transaction, with the history of what it corrected.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::report::{self, ReportStatus};
use entity::report_history::{self, ReportAction};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, Statement,
};

use crate::model::change::{Change, FlowDelta};
use crate::model::day::day;
use crate::model::rows::{RowError, ValidReport, codes};
use crate::store::changes;

/// Rows per multi-row statement (15 columns: well under SQLite's and
/// PostgreSQL's limits on bound parameters).
use super::*;

/// Rows per multi-row statement (15 columns: well under SQLite's and
/// PostgreSQL's limits on bound parameters).
pub(super) const CHUNK: usize = 1_000;

/// Rows per multi-row statement of rendered literals (no bound parameters,
/// so no limit on their number; kept moderate for the statement size).
pub(super) const LITERAL_CHUNK: usize = 2_500;

/// What a batch did.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The reports of the batch, in the order they were submitted.
    pub reports: Vec<report::Model>,
    /// Reports created, corrected (values changed) and left as they were.
    pub created: usize,
    pub corrected: usize,
    pub unchanged: usize,
    /// The data version the batch produced.
    pub version: i64,
}

pub(super) type Key = (i64, NaiveDate, i64, i64);

pub(super) fn key_of(r: &report::Model) -> Key {
    (r.unit_id, r.day, r.campaign_slot, r.team_slot)
}

/// The existing reports with these keys.
pub(super) async fn existing(
    txn: &DatabaseTransaction,
    rows: &[ValidReport],
) -> Result<HashMap<Key, report::Model>, DbErr> {
    let mut units_by_day: HashMap<NaiveDate, Vec<i64>> = HashMap::new();
    for r in rows {
        units_by_day.entry(r.day).or_default().push(r.unit_id);
    }
    let mut out = HashMap::with_capacity(rows.len());
    for (d, mut units) in units_by_day {
        units.sort_unstable();
        units.dedup();
        for chunk in units.chunks(CHUNK) {
            let found = report::Entity::find()
                .filter(report::Column::Day.eq(d))
                .filter(report::Column::UnitId.is_in(chunk.iter().copied()))
                .all(txn)
                .await?;
            out.extend(found.into_iter().map(|r| (key_of(&r), r)));
        }
    }
    Ok(out)
}

/// Writes a checked batch in one transaction: new reports are created, a
/// report whose values differ is corrected (its history keeps the old
/// values), an identical one is left alone. `positions[i]` is how errors
/// name row `i`.
pub async fn submit(
    db: &DatabaseConnection,
    rows: &[ValidReport],
    positions: &[usize],
    actor: &str,
) -> WriteResult<Submitted> {
    let started = std::time::Instant::now();
    let (txn, version) = changes::begin_write(db).await?;
    let now = Utc::now();
    let found = existing(&txn, rows).await?;
    let looked_up = started.elapsed();
    let mut change = Change::default();
    let mut errors = Vec::new();
    let mut fresh: Vec<report::Model> = Vec::new();
    let mut history: Vec<report_history::ActiveModel> = Vec::new();
    let mut updates: Vec<report::Model> = Vec::new();
    // Each submitted row's report: an index into `done`, or a new report's key.
    enum Slot {
        Known(report::Model),
        New(Key),
    }
    let mut slots = Vec::with_capacity(rows.len());
    let (mut corrected, mut unchanged) = (0, 0);
    for (i, r) in rows.iter().enumerate() {
        let key = (
            r.unit_id,
            r.day,
            r.campaign_id.unwrap_or(0),
            r.team_id.unwrap_or(0),
        );
        match found.get(&key) {
            Some(old) if values(old) == r.values => {
                unchanged += 1;
                slots.push(Slot::Known(old.clone()));
            }
            Some(old) => {
                if old.status == ReportStatus::Verified && r.reason.is_none() {
                    errors.push(RowError {
                        row: positions.get(i).copied().unwrap_or(i),
                        field: "reason".into(),
                        code: codes::REASON_REQUIRED,
                        message: "the report is verified: changing it needs a reason".into(),
                    });
                    continue;
                }
                let version = old.version + 1;
                history.push(history_row(
                    old,
                    r.values,
                    version,
                    ReportAction::Corrected,
                    actor,
                    r.reason.clone(),
                    now,
                ));
                change.flows.push(delta(old, r.values - values(old)));
                let mut new = old.clone();
                set_values(&mut new, r.values);
                new.version = version;
                new.status = ReportStatus::Corrected;
                new.updated_at = now;
                updates.push(new.clone());
                corrected += 1;
                slots.push(Slot::Known(new));
            }
            None => {
                fresh.push(report::Model {
                    id: 0,
                    unit_id: r.unit_id,
                    day: r.day,
                    campaign_id: r.campaign_id,
                    team_id: r.team_id,
                    campaign_slot: key.2,
                    team_slot: key.3,
                    applications_collected: r.values.applications_collected,
                    cards_issued: r.values.cards_issued,
                    accounts_activated: r.values.accounts_activated,
                    home_visits: r.values.home_visits,
                    status: ReportStatus::Submitted,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                    submitted_by: Some(actor.to_owned()),
                });
                change.flows.push(FlowDelta {
                    unit_id: r.unit_id,
                    day: day(r.day),
                    campaign_id: r.campaign_id,
                    team_id: r.team_id,
                    values: r.values,
                });
                slots.push(Slot::New(key));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(Refused::Rows(errors)));
    }
    update_values(&txn, &updates, now).await?;
    let updated = started.elapsed();
    insert_history(&txn, history).await?;
    let created = fresh.len();
    let mut ids = insert_new(&txn, &fresh, now, actor).await?;
    for report in &mut fresh {
        report.id = ids.remove(&key_of(report)).ok_or_else(|| {
            DbErr::Custom("a new report's id did not come back from the insert".into())
        })?;
    }
    let mut inserted: HashMap<Key, report::Model> =
        fresh.into_iter().map(|m| (key_of(&m), m)).collect();
    let inserted_at = started.elapsed();
    changes::commit_write(txn, version, &change).await?;
    tracing::debug!(
        lookup_ms = looked_up.as_secs_f64() * 1e3,
        update_ms = (updated - looked_up).as_secs_f64() * 1e3,
        insert_ms = (inserted_at - updated).as_secs_f64() * 1e3,
        commit_ms = (started.elapsed() - inserted_at).as_secs_f64() * 1e3,
        "submit phases"
    );
    let reports = slots
        .into_iter()
        .filter_map(|slot| match slot {
            Slot::Known(m) => Some(m),
            Slot::New(key) => inserted.remove(&key),
        })
        .collect();
    Ok(Ok(Submitted {
        reports,
        created,
        corrected,
        unchanged,
        version,
    }))
}

/// The rows of a batch write as a table: `(VALUES …)` on SQLite; on
/// PostgreSQL `unnest` of one array literal per column, which it plans in
/// constant time (a 2,500-row `VALUES` takes it 25 ms to plan, longer than
/// the insert). Every value rendered is a number or a date this program
/// produced.
/// A column of [`rows_table`]: name, PostgreSQL type, and its value in a row.
pub(super) type Column<'a, R> = (&'a str, &'a str, &'a dyn Fn(&R) -> String);

pub(super) fn rows_table<R>(backend: DbBackend, rows: &[R], columns: &[Column<'_, R>]) -> String {
    use std::fmt::Write;
    let names: Vec<&str> = columns.iter().map(|(name, _, _)| *name).collect();
    match backend {
        DbBackend::Postgres => {
            let arrays: Vec<String> = columns
                .iter()
                .map(|(_, ty, value)| {
                    format!(
                        "{}::{ty}[]",
                        crate::store::sql::pg_array(rows.iter().map(value))
                    )
                })
                .collect();
            format!(
                "SELECT * FROM unnest({}) AS v ({})",
                arrays.join(", "),
                names.join(", ")
            )
        }
        _ => {
            let mut sql = String::with_capacity(rows.len() * 16 * columns.len());
            sql.push_str("VALUES ");
            for (i, row) in rows.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ",(" });
                for (k, (_, _, value)) in columns.iter().enumerate() {
                    let _ = write!(sql, "{}{}", if k == 0 { "" } else { "," }, value(row));
                }
                sql.push(')');
            }
            sql
        }
    }
}

/// Writes corrected values: one `UPDATE … FROM` a table of the new values
/// per chunk, not a statement per report.
pub(super) async fn update_values(
    txn: &DatabaseTransaction,
    updates: &[report::Model],
    now: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let now = crate::store::sql::timestamp(now);
    for chunk in updates.chunks(LITERAL_CHUNK) {
        let table = rows_table(
            backend,
            chunk,
            &[
                ("id", "bigint", &|r: &report::Model| r.id.to_string()),
                ("a", "bigint", &|r| r.applications_collected.to_string()),
                ("c", "bigint", &|r| r.cards_issued.to_string()),
                ("ac", "bigint", &|r| r.accounts_activated.to_string()),
                ("h", "bigint", &|r| r.home_visits.to_string()),
                ("version", "integer", &|r| r.version.to_string()),
            ],
        );
        txn.execute_unprepared(&format!(
            "WITH v (id, a, c, ac, h, version) AS ({table}) \
             UPDATE reports SET applications_collected = v.a, cards_issued = v.c, \
             accounts_activated = v.ac, home_visits = v.h, version = v.version, \
             status = 'corrected', updated_at = {now} FROM v WHERE reports.id = v.id"
        ))
        .await?;
    }
    Ok(())
}

/// Inserts new reports (created now, by one actor) and returns their ids
/// by key.
pub(super) async fn insert_new(
    txn: &DatabaseTransaction,
    fresh: &[report::Model],
    now: chrono::DateTime<Utc>,
    actor: &str,
) -> Result<HashMap<Key, i64>, DbErr> {
    let backend = txn.get_database_backend();
    let now = crate::store::sql::timestamp(now);
    let actor = crate::store::sql::quote(actor);
    let nullable = |v: Option<i64>| v.map_or_else(|| "NULL".to_owned(), |v| v.to_string());
    let mut ids = HashMap::with_capacity(fresh.len());
    for chunk in fresh.chunks(LITERAL_CHUNK) {
        let day = |r: &report::Model| match backend {
            DbBackend::Postgres => r.day.to_string(),
            _ => format!("'{}'", r.day),
        };
        let table = rows_table(
            backend,
            chunk,
            &[
                ("unit_id", "bigint", &|r: &report::Model| {
                    r.unit_id.to_string()
                }),
                ("day", "date", &day),
                ("campaign_id", "bigint", &|r| nullable(r.campaign_id)),
                ("team_id", "bigint", &|r| nullable(r.team_id)),
                ("campaign_slot", "bigint", &|r| r.campaign_slot.to_string()),
                ("team_slot", "bigint", &|r| r.team_slot.to_string()),
                ("a", "bigint", &|r| r.applications_collected.to_string()),
                ("c", "bigint", &|r| r.cards_issued.to_string()),
                ("ac", "bigint", &|r| r.accounts_activated.to_string()),
                ("h", "bigint", &|r| r.home_visits.to_string()),
            ],
        );
        let sql = format!(
            "WITH v (unit_id, day, campaign_id, team_id, campaign_slot, team_slot, a, c, ac, h) \
             AS ({table}) \
             INSERT INTO reports (unit_id, day, campaign_id, team_id, campaign_slot, team_slot, \
             applications_collected, cards_issued, accounts_activated, home_visits, status, \
             version, created_at, updated_at, submitted_by) \
             SELECT unit_id, day, campaign_id, team_id, campaign_slot, team_slot, a, c, ac, h, \
             'submitted', 1, {now}, {now}, {actor} FROM v \
             RETURNING id, unit_id, day, campaign_slot, team_slot"
        );
        let rows = txn
            .query_all_raw(Statement::from_string(backend, sql))
            .await?;
        for row in rows {
            let key = (
                row.try_get_by_index::<i64>(1)?,
                row.try_get_by_index::<NaiveDate>(2)?,
                row.try_get_by_index::<i64>(3)?,
                row.try_get_by_index::<i64>(4)?,
            );
            ids.insert(key, row.try_get_by_index::<i64>(0)?);
        }
    }
    Ok(ids)
}
