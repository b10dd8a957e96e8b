//! Corrections and verification of one report, each checked against the
//! version the caller last saw.

use chrono::Utc;
use entity::report::{self, ReportStatus};
use entity::report_history::ReportAction;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::model::change::Change;
use crate::model::values::Flows;
use crate::store::changes;

/// Rows per multi-row statement (15 columns: well under SQLite's and
/// PostgreSQL's limits on bound parameters).
use super::*;

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
