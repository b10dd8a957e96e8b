//! Reports: the batch upsert, corrections, verification, and their reads.
//!
//! Every write here is one transaction that starts by taking the next data
//! version (see [`super::changes`]) and ends by logging what it changed, so
//! the rollup engine of every replica can follow.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::report::{self, ReportStatus};
use entity::report_history::{self, ReportAction};
use entity::unit;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Select, Statement,
};

use super::Page;
use super::changes;
use crate::model::change::{Change, FlowDelta};
use crate::model::day::day;
use crate::model::rows::{RowError, ValidReport, codes};
use crate::model::values::Flows;

/// Rows per multi-row statement (15 columns: well under SQLite's and
/// PostgreSQL's limits on bound parameters).
const CHUNK: usize = 1_000;

/// Rows per multi-row statement of rendered literals (no bound parameters,
/// so no limit on their number; kept moderate for the statement size).
const LITERAL_CHUNK: usize = 2_500;

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

/// Why a write was refused (nothing was written).
#[derive(Debug)]
pub enum Refused {
    /// Rows that cannot be written, with what is wrong with each.
    Rows(Vec<RowError>),
    /// The report's version is not the one the caller expected.
    VersionConflict { current: i32 },
    /// No such report.
    NotFound,
    /// A verified report's values change only with a reason.
    ReasonRequired,
}

/// A write's outcome: done, refused (nothing written), or failed.
pub type WriteResult<T> = Result<Result<T, Refused>, DbErr>;

fn values(r: &report::Model) -> Flows {
    Flows {
        applications_collected: r.applications_collected,
        cards_issued: r.cards_issued,
        accounts_activated: r.accounts_activated,
        home_visits: r.home_visits,
    }
}

/// `report` with these values.
fn set_values(report: &mut report::Model, values: Flows) {
    report.applications_collected = values.applications_collected;
    report.cards_issued = values.cards_issued;
    report.accounts_activated = values.accounts_activated;
    report.home_visits = values.home_visits;
}

type Key = (i64, NaiveDate, i64, i64);

fn key_of(r: &report::Model) -> Key {
    (r.unit_id, r.day, r.campaign_slot, r.team_slot)
}

fn history_row(
    old: &report::Model,
    new_values: Flows,
    version: i32,
    action: ReportAction,
    actor: &str,
    reason: Option<String>,
    at: chrono::DateTime<Utc>,
) -> report_history::ActiveModel {
    let o = values(old);
    report_history::ActiveModel {
        report_id: Set(old.id),
        unit_id: Set(old.unit_id),
        day: Set(old.day),
        version: Set(version),
        action: Set(action),
        actor: Set(actor.to_owned()),
        reason: Set(reason),
        at: Set(at),
        old_applications_collected: Set(o.applications_collected),
        old_cards_issued: Set(o.cards_issued),
        old_accounts_activated: Set(o.accounts_activated),
        old_home_visits: Set(o.home_visits),
        new_applications_collected: Set(new_values.applications_collected),
        new_cards_issued: Set(new_values.cards_issued),
        new_accounts_activated: Set(new_values.accounts_activated),
        new_home_visits: Set(new_values.home_visits),
        ..Default::default()
    }
}

fn delta(r: &report::Model, values: Flows) -> FlowDelta {
    FlowDelta {
        unit_id: r.unit_id,
        day: day(r.day),
        campaign_id: r.campaign_id,
        team_id: r.team_id,
        values,
    }
}

/// The existing reports with these keys.
async fn existing(
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
type Column<'a, R> = (&'a str, &'a str, &'a dyn Fn(&R) -> String);

fn rows_table<R>(backend: DbBackend, rows: &[R], columns: &[Column<'_, R>]) -> String {
    use std::fmt::Write;
    let names: Vec<&str> = columns.iter().map(|(name, _, _)| *name).collect();
    match backend {
        DbBackend::Postgres => {
            let arrays: Vec<String> = columns
                .iter()
                .map(|(_, ty, value)| {
                    format!("{}::{ty}[]", super::sql::pg_array(rows.iter().map(value)))
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
async fn update_values(
    txn: &DatabaseTransaction,
    updates: &[report::Model],
    now: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let now = super::sql::timestamp(now);
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
async fn insert_new(
    txn: &DatabaseTransaction,
    fresh: &[report::Model],
    now: chrono::DateTime<Utc>,
    actor: &str,
) -> Result<HashMap<Key, i64>, DbErr> {
    let backend = txn.get_database_backend();
    let now = super::sql::timestamp(now);
    let actor = super::sql::quote(actor);
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

async fn insert_history(
    txn: &DatabaseTransaction,
    history: Vec<report_history::ActiveModel>,
) -> Result<(), DbErr> {
    let mut history = history.into_iter().peekable();
    while history.peek().is_some() {
        let chunk: Vec<_> = history.by_ref().take(CHUNK).collect();
        report_history::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// A correction of one report.
#[derive(Debug, Clone)]
pub struct Correction {
    pub report_id: i64,
    pub expected_version: i32,
    /// New values; `None` keeps a value.
    pub values: Flows<Option<i64>>,
    pub reason: Option<String>,
}

/// Corrects one report if its version is the expected one. The version
/// check and the write are one statement (`… WHERE version = expected`),
/// so of two concurrent corrections exactly one succeeds.
pub async fn correct(
    db: &DatabaseConnection,
    correction: &Correction,
    actor: &str,
) -> WriteResult<(report::Model, i64)> {
    let (txn, version) = changes::begin_write(db).await?;
    let Some(old) = report::Entity::find_by_id(correction.report_id)
        .one(&txn)
        .await?
    else {
        return Ok(Err(Refused::NotFound));
    };
    if old.version != correction.expected_version {
        return Ok(Err(Refused::VersionConflict {
            current: old.version,
        }));
    }
    if old.status == ReportStatus::Verified && correction.reason.is_none() {
        return Ok(Err(Refused::ReasonRequired));
    }
    let o = values(&old);
    let given = correction.values;
    let new_values = Flows {
        applications_collected: given
            .applications_collected
            .unwrap_or(o.applications_collected),
        cards_issued: given.cards_issued.unwrap_or(o.cards_issued),
        accounts_activated: given.accounts_activated.unwrap_or(o.accounts_activated),
        home_visits: given.home_visits.unwrap_or(o.home_visits),
    };
    let now = Utc::now();
    let next_version = old.version + 1;
    let updated = report::Entity::update_many()
        .col_expr(
            report::Column::ApplicationsCollected,
            Expr::value(new_values.applications_collected),
        )
        .col_expr(
            report::Column::CardsIssued,
            Expr::value(new_values.cards_issued),
        )
        .col_expr(
            report::Column::AccountsActivated,
            Expr::value(new_values.accounts_activated),
        )
        .col_expr(
            report::Column::HomeVisits,
            Expr::value(new_values.home_visits),
        )
        .col_expr(report::Column::Version, Expr::value(next_version))
        .col_expr(report::Column::Status, Expr::value(ReportStatus::Corrected))
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .filter(report::Column::Id.eq(old.id))
        .filter(report::Column::Version.eq(correction.expected_version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(Err(Refused::VersionConflict {
            current: old.version,
        }));
    }
    insert_history(
        &txn,
        vec![history_row(
            &old,
            new_values,
            next_version,
            ReportAction::Corrected,
            actor,
            correction.reason.clone(),
            now,
        )],
    )
    .await?;
    let change = Change {
        flows: vec![delta(&old, new_values - o)],
        stock_units: Vec::new(),
    };
    changes::commit_write(txn, version, &change).await?;
    let mut new = old;
    set_values(&mut new, new_values);
    new.version = next_version;
    new.status = ReportStatus::Corrected;
    new.updated_at = now;
    Ok(Ok((new, version)))
}

/// Marks a report verified (its values unchanged), optionally only if its
/// version is the expected one.
pub async fn verify(
    db: &DatabaseConnection,
    report_id: i64,
    expected_version: Option<i32>,
    actor: &str,
) -> WriteResult<(report::Model, i64)> {
    let (txn, version) = changes::begin_write(db).await?;
    let Some(old) = report::Entity::find_by_id(report_id).one(&txn).await? else {
        return Ok(Err(Refused::NotFound));
    };
    if expected_version.is_some_and(|v| v != old.version) {
        return Ok(Err(Refused::VersionConflict {
            current: old.version,
        }));
    }
    let now = Utc::now();
    let next_version = old.version + 1;
    report::Entity::update_many()
        .col_expr(report::Column::Version, Expr::value(next_version))
        .col_expr(report::Column::Status, Expr::value(ReportStatus::Verified))
        .col_expr(report::Column::UpdatedAt, Expr::value(now))
        .filter(report::Column::Id.eq(old.id))
        .exec(&txn)
        .await?;
    insert_history(
        &txn,
        vec![history_row(
            &old,
            values(&old),
            next_version,
            ReportAction::Verified,
            actor,
            None,
            now,
        )],
    )
    .await?;
    changes::commit_write(txn, version, &Change::default()).await?;
    let mut new = old;
    new.version = next_version;
    new.status = ReportStatus::Verified;
    new.updated_at = now;
    Ok(Ok((new, version)))
}

/// Reports by id.
pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<report::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    report::Entity::find()
        .filter(report::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The history of these reports, oldest change first.
pub async fn history_of(
    db: &DatabaseConnection,
    report_ids: &[i64],
) -> Result<Vec<report_history::Model>, DbErr> {
    if report_ids.is_empty() {
        return Ok(Vec::new());
    }
    report_history::Entity::find()
        .filter(report_history::Column::ReportId.is_in(report_ids.iter().copied()))
        .order_by_asc(report_history::Column::Id)
        .all(db)
        .await
}

fn history_query(path: &str, from: NaiveDate, to: NaiveDate) -> Select<report_history::Entity> {
    report_history::Entity::find()
        .join(
            JoinType::InnerJoin,
            report_history::Entity::belongs_to(unit::Entity)
                .from(report_history::Column::UnitId)
                .to(unit::Column::Id)
                .into(),
        )
        .filter(super::page::in_subtree_of(path))
        .filter(report_history::Column::Day.between(from, to))
}

fn reports_query(path: &str, from: NaiveDate, to: NaiveDate) -> Select<report::Entity> {
    report::Entity::find()
        .join(JoinType::InnerJoin, report::Relation::Unit.def())
        .filter(super::page::in_subtree_of(path))
        .filter(report::Column::Day.between(from, to))
}

/// One page of the changes to reports of the subtree at `path` on days
/// `from..=to`, in the order they were made.
pub async fn history_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    page: Page,
) -> Result<(Vec<report_history::Model>, bool), DbErr> {
    super::page::fetch(
        db,
        history_query(path, from, to),
        report_history::Column::Id,
        page,
    )
    .await
}

/// How many changes [`history_in_subtree`] pages through.
pub async fn count_history_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, DbErr> {
    history_query(path, from, to).count(db).await
}

/// One page of the reports of the subtree at `path` on days `from..=to`,
/// by id.
pub async fn page_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    page: Page,
) -> Result<(Vec<report::Model>, bool), DbErr> {
    super::page::fetch(db, reports_query(path, from, to), report::Column::Id, page).await
}

/// How many reports [`page_in_subtree`] pages through.
pub async fn count_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, DbErr> {
    reports_query(path, from, to).count(db).await
}
