//! Reports: the batch upsert, corrections, verification, and their reads.
//!
//! Every write here is one transaction that starts by taking the next data
//! version (see [`super::changes`]) and ends by logging what it changed, so
//! the rollup engine of every replica can follow.

mod correct;
mod read;
mod submit;

use chrono::Utc;
use entity::report;
use entity::report_history::{self, ReportAction};
use sea_orm::{ActiveValue::Set, DatabaseTransaction, DbErr, EntityTrait};

use crate::model::change::FlowDelta;
use crate::model::day::day;
use crate::model::rows::RowError;
use crate::model::values::Flows;

pub use correct::{Correction, correct, verify};
pub use read::*;
pub use submit::{Submitted, submit};

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

async fn insert_history(
    txn: &DatabaseTransaction,
    history: Vec<report_history::ActiveModel>,
) -> Result<(), DbErr> {
    let mut history = history.into_iter().peekable();
    while history.peek().is_some() {
        let chunk: Vec<_> = history.by_ref().take(submit::CHUNK).collect();
        report_history::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
