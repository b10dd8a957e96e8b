//! `Report`: one reporting unit's numbers for one day, and its history of
//! corrections and verifications; the submission and correction mutations.

pub mod loader;
pub mod mutation;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::report::Model;
use entity::report_history;

use super::ContextExt;
use super::campaign::Campaign;
use super::ids::{self, NodeType};
use super::scalars::Date;
use super::shared::load_unit;
use super::team::Team;
use super::unit::Unit;
use crate::error::AppError;

pub use mutation::ReportMutation;

/// Where a report stands in the re-check cycle (kiểm tra, phúc tra).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::report::ReportStatus")]
pub enum ReportStatus {
    /// As first submitted.
    Submitted,
    /// Its values were changed after submission.
    Corrected,
    /// An inspector confirmed its values; changing them now needs a reason.
    Verified,
}

/// What a change to a report did.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::report_history::ReportAction")]
pub enum ReportAction {
    /// The values changed (a correction, or a resubmission with new values).
    Corrected,
    /// An inspector confirmed the values.
    Verified,
}

/// The four flow values of a report.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct ReportValues {
    /// Applications for a chip ID card collected (thu nhận hồ sơ).
    pub applications_collected: i64,
    /// Chip ID cards (CCCD) issued.
    pub cards_issued: i64,
    /// VNeID accounts activated (level 1 and level 2).
    pub accounts_activated: i64,
    /// Citizens served at home (đi từng ngõ, gõ từng nhà).
    pub home_visits: i64,
}

/// The GraphQL type `Report`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone, Debug)]
pub struct Report(pub Model);

/// A daily report (báo cáo ngày) of one reporting unit: its flows on one
/// day, optionally attributed to a campaign and a team. One report exists
/// per (unit, day, campaign, team).
#[Object]
impl Report {
    /// Global ID of the report.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Report, self.0.id)
    }

    /// The reporting unit.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Unit> {
        load_unit(ctx, self.0.unit_id, "a report").await
    }

    /// The day the numbers are for (Vietnam time).
    async fn day(&self) -> Date {
        Date(self.0.day)
    }

    /// The campaign the numbers are attributed to, if any.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        let Some(id) = self.0.campaign_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().campaigns.load_one(id).await?.map(Campaign))
    }

    /// The team the numbers are attributed to, if any.
    async fn team(&self, ctx: &Context<'_>) -> Result<Option<Team>> {
        let Some(id) = self.0.team_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().teams.load_one(id).await?.map(Team))
    }

    /// Applications for a chip ID card collected that day.
    async fn applications_collected(&self) -> i64 {
        self.0.applications_collected
    }

    /// Chip ID cards issued that day.
    async fn cards_issued(&self) -> i64 {
        self.0.cards_issued
    }

    /// VNeID accounts activated that day.
    async fn accounts_activated(&self) -> i64 {
        self.0.accounts_activated
    }

    /// Citizens served at home that day.
    async fn home_visits(&self) -> i64 {
        self.0.home_visits
    }

    /// Submitted, corrected or verified.
    async fn status(&self) -> ReportStatus {
        self.0.status.into()
    }

    /// Starts at 1; every change adds 1. `correctReport` must name the
    /// version it read (optimistic concurrency).
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Who first submitted the report.
    async fn submitted_by(&self) -> Option<&str> {
        self.0.submitted_by.as_deref()
    }

    /// When the report was first submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the report last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Every change since submission, oldest first: who, when, why, and
    /// the values before and after.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<ReportChange>> {
        ctx.scope().check_reports()?;
        let rows = ctx
            .loaders()
            .report_history
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.iter().cloned().map(ReportChange).collect())
    }
}

/// The GraphQL type `ReportChange`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone, Debug)]
pub struct ReportChange(pub report_history::Model);

fn old_values(h: &report_history::Model) -> ReportValues {
    ReportValues {
        applications_collected: h.old_applications_collected,
        cards_issued: h.old_cards_issued,
        accounts_activated: h.old_accounts_activated,
        home_visits: h.old_home_visits,
    }
}

fn new_values(h: &report_history::Model) -> ReportValues {
    ReportValues {
        applications_collected: h.new_applications_collected,
        cards_issued: h.new_cards_issued,
        accounts_activated: h.new_accounts_activated,
        home_visits: h.new_home_visits,
    }
}

/// One change to a report.
#[Object]
impl ReportChange {
    /// When the change was made.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who made it.
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// A correction or a verification.
    async fn action(&self) -> ReportAction {
        self.0.action.into()
    }

    /// Why, as the person making the change said.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The report's version after the change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The values before the change.
    async fn old_values(&self) -> ReportValues {
        old_values(&self.0)
    }

    /// The values after the change (equal to `oldValues` for a
    /// verification).
    async fn new_values(&self) -> ReportValues {
        new_values(&self.0)
    }

    /// The day of the changed report.
    async fn day(&self) -> Date {
        Date(self.0.day)
    }

    /// The changed report.
    async fn report(&self, ctx: &Context<'_>) -> Result<Report> {
        ctx.loaders()
            .reports
            .load_one(self.0.report_id)
            .await?
            .map(Report)
            .ok_or_else(|| {
                AppError::Internal(format!("history of a missing report {}", self.0.report_id))
                    .into()
            })
    }
}
