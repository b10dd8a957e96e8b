//! Mutations of reports and stock values: `submitReports`,
//! `correctReport`, `verifyReport`, `setStockValues`.
//!
//! Each is one transaction; a refused one writes nothing. When one returns,
//! the rollup engine already shows its numbers, so the payload (and any
//! query sent afterwards) reads them.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::Report;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::scalars::Date;
use crate::graphql::shared::{UnitRefInput, load_unit};
use crate::graphql::unit::Unit;
use crate::ingest::submit::Writer;
use crate::model::rows::{ReportRow, RowError, StockRow, codes};
use crate::model::values::{Flows, Stocks};
use crate::store::reports::Correction;

/// One daily report to submit.
#[derive(InputObject, Clone, Debug)]
pub struct ReportInput {
    /// The reporting unit (a commune, or a district without communes).
    pub unit: UnitRefInput,
    /// The day the numbers are for; not in the future.
    pub day: Date,
    /// Applications collected that day, 0 or more.
    pub applications_collected: i32,
    /// Chip ID cards issued that day, 0 or more.
    pub cards_issued: i32,
    /// VNeID accounts activated that day, 0 or more.
    pub accounts_activated: i32,
    /// Citizens served at home that day, 0 or more.
    pub home_visits: i32,
    /// The campaign the numbers belong to (global ID): the day must be
    /// within it and the unit within its scope.
    pub campaign: Option<ID>,
    /// The team that did the work (global ID): it must belong to or serve
    /// a unit at or above the reporting unit.
    pub team: Option<ID>,
    /// Why the values change, when they change an existing report; needed
    /// to change a verified one.
    pub reason: Option<String>,
}

/// A batch of daily reports.
#[derive(InputObject, Clone, Debug)]
pub struct SubmitReportsInput {
    /// The reports, at most `viewer.limits.maxBatchRows`. Each (unit, day,
    /// campaign, team) at most once.
    pub reports: Vec<ReportInput>,
}

/// What `submitReports` did.
#[derive(SimpleObject)]
pub struct SubmitReportsPayload {
    /// Number of reports accepted (all of them: a batch is all or nothing).
    pub accepted: i32,
    /// Reports created by this batch.
    pub created: i32,
    /// Existing reports whose values this batch changed (each change is in
    /// the report's history).
    pub corrected: i32,
    /// Existing reports submitted again with the same values (no change).
    pub unchanged: i32,
    /// The reports, in the order submitted.
    pub reports: Vec<Report>,
    /// The data version after the batch.
    pub data_version: i64,
}

/// New values for a report; a value left out stays as it is.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ReportValuesInput {
    /// Applications collected.
    pub applications_collected: Option<i32>,
    /// Chip ID cards issued.
    pub cards_issued: Option<i32>,
    /// VNeID accounts activated.
    pub accounts_activated: Option<i32>,
    /// Citizens served at home.
    pub home_visits: Option<i32>,
}

/// A correction of one report.
#[derive(InputObject, Clone, Debug)]
pub struct CorrectReportInput {
    /// The report (global ID).
    pub id: ID,
    /// The version the caller read; if the report changed since, nothing is
    /// written and the error is `VERSION_CONFLICT`.
    pub expected_version: i32,
    /// Why (kept in the history); required when the report is verified.
    pub reason: Option<String>,
    /// The new values.
    pub values: ReportValuesInput,
}

/// The corrected report.
#[derive(SimpleObject)]
pub struct CorrectReportPayload {
    /// The report after the correction.
    pub report: Report,
}

/// A verification of one report.
#[derive(InputObject, Clone, Debug)]
pub struct VerifyReportInput {
    /// The report (global ID).
    pub id: ID,
    /// If given, the version the inspector checked: a report changed since
    /// gives `VERSION_CONFLICT`.
    pub expected_version: Option<i32>,
}

/// The verified report.
#[derive(SimpleObject)]
pub struct VerifyReportPayload {
    /// The report, now `VERIFIED`.
    pub report: Report,
}

/// Stock values of one reporting unit, in force from a day on (until a
/// later value). Values left out stay as they are.
#[derive(InputObject, Clone, Debug)]
pub struct SetStockValuesInput {
    /// The reporting unit.
    pub unit: UnitRefInput,
    /// The first day the values hold.
    pub from: Date,
    /// Citizens aged 14 and over registered in the unit.
    pub eligible_population: Option<i32>,
    /// Citizens aged 14 and over present on the territory.
    pub present_population: Option<i32>,
    /// Citizens eligible for a VNeID account.
    pub accounts_eligible: Option<i32>,
    /// Cumulative cards issued at the start of `from` (an opening balance).
    pub cards_issued_opening: Option<i32>,
    /// Cumulative accounts activated at the start of `from`.
    pub accounts_activated_opening: Option<i32>,
}

/// The unit whose stocks were set.
#[derive(SimpleObject)]
pub struct SetStockValuesPayload {
    /// The unit; its rollups show the new values.
    pub unit: Unit,
    /// The data version after the change.
    pub data_version: i64,
}

fn writer(ctx: &Context<'_>) -> Writer {
    Writer {
        db: ctx.db().clone(),
        engine: ctx.loaders().snapshot.engine().clone(),
        ceiling: ctx.limits().max_report_value,
        scope: ctx.scope().clone(),
    }
}

fn report_id(id: &ID, argument: &str) -> Result<i64, AppError> {
    ids::decode_as(id, NodeType::Report, argument)
}

/// Report and stock mutations.
#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// Submits daily reports: all or nothing, idempotent per (unit, day,
    /// campaign, team). A row identical to the stored report changes
    /// nothing; a row with other values corrects it (kept in its history).
    /// Invalid rows give one `BAD_USER_INPUT` error listing every bad row in
    /// `extensions.rows` (`row` index, `field`, `code`, `message`), and
    /// nothing is written.
    async fn submit_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: SubmitReportsInput,
    ) -> Result<SubmitReportsPayload> {
        let limit = ctx.limits().max_batch_rows;
        if input.reports.len() > limit {
            return Err(AppError::bad_input(
                "input.reports",
                format!(
                    "at most {limit} reports per call, got {}",
                    input.reports.len()
                ),
            )
            .into());
        }
        let mut errors = Vec::new();
        let mut rows = Vec::with_capacity(input.reports.len());
        for (i, r) in input.reports.into_iter().enumerate() {
            let mut decode = |id: Option<ID>, kind: NodeType, field: &str| {
                let id = id?;
                match ids::decode_as(&id, kind, field) {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errors.push(RowError {
                            row: i,
                            field: field.into(),
                            code: codes::MALFORMED_ID,
                            message: format!("not a {field} ID"),
                        });
                        None
                    }
                }
            };
            let campaign_id = decode(r.campaign, NodeType::Campaign, "campaign");
            let team_id = decode(r.team, NodeType::Team, "team");
            rows.push(ReportRow {
                map: r.unit.map.map(Into::into),
                level: r.unit.level.into(),
                code: r.unit.code,
                day: r.day.0,
                values: Flows {
                    applications_collected: r.applications_collected,
                    cards_issued: r.cards_issued,
                    accounts_activated: r.accounts_activated,
                    home_visits: r.home_visits,
                }
                .map(i64::from),
                campaign_id,
                team_id,
                reason: r.reason,
            });
        }
        if !errors.is_empty() {
            return Err(AppError::Rows(errors).into());
        }
        let done = writer(ctx)
            .submit_reports(&rows, &ctx.caller().name)
            .await?;
        ctx.loaders().snapshot.renew();
        Ok(SubmitReportsPayload {
            accepted: done.reports.len() as i32,
            created: done.created as i32,
            corrected: done.corrected as i32,
            unchanged: done.unchanged as i32,
            reports: done.reports.into_iter().map(Report).collect(),
            data_version: done.version,
        })
    }

    /// Corrects a report's values if it is still at `expectedVersion`
    /// (else `VERSION_CONFLICT`, nothing written). The report becomes
    /// `CORRECTED`; its history keeps who, when, why, old and new values.
    async fn correct_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The correction.")] input: CorrectReportInput,
    ) -> Result<CorrectReportPayload> {
        let id = report_id(&input.id, "input.id")?;
        let v = &input.values;
        let values = Flows {
            applications_collected: v.applications_collected,
            cards_issued: v.cards_issued,
            accounts_activated: v.accounts_activated,
            home_visits: v.home_visits,
        }
        .map(|x| x.map(i64::from));
        if values.named().iter().all(|(_, v)| v.is_none()) {
            return Err(AppError::bad_input("input.values", "no value to change").into());
        }
        if let Some(reason) = &input.reason {
            if reason.trim().is_empty() || reason.len() > 1_000 {
                return Err(AppError::bad_input(
                    "input.reason",
                    "a reason is 1 to 1,000 characters",
                )
                .into());
            }
        }
        let correction = Correction {
            report_id: id,
            expected_version: input.expected_version,
            values,
            reason: input.reason.map(|r| r.trim().to_owned()),
        };
        let report = writer(ctx)
            .correct_report(&correction, &ctx.caller().name)
            .await?;
        ctx.loaders().snapshot.renew();
        Ok(CorrectReportPayload {
            report: Report(report),
        })
    }

    /// Marks a report verified after an inspection (kiểm tra, phúc tra).
    /// Its values do not change; a later change to them needs a reason.
    async fn verify_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report to verify.")] input: VerifyReportInput,
    ) -> Result<VerifyReportPayload> {
        let id = report_id(&input.id, "input.id")?;
        let report = writer(ctx)
            .verify_report(id, input.expected_version, &ctx.caller().name)
            .await?;
        Ok(VerifyReportPayload {
            report: Report(report),
        })
    }

    /// Sets a reporting unit's stock values (populations, accounts
    /// eligible, opening balances) from a day on.
    async fn set_stock_values(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The values.")] input: SetStockValuesInput,
    ) -> Result<SetStockValuesPayload> {
        let values = Stocks {
            eligible_population: input.eligible_population,
            present_population: input.present_population,
            accounts_eligible: input.accounts_eligible,
            cards_issued_opening: input.cards_issued_opening,
            accounts_activated_opening: input.accounts_activated_opening,
        }
        .map(|x| x.map(i64::from));
        if values.named().iter().all(|(_, v)| v.is_none()) {
            return Err(AppError::bad_input("input", "no value to set").into());
        }
        let row = StockRow {
            map: input.unit.map.map(Into::into),
            level: input.unit.level.into(),
            code: input.unit.code.clone(),
            from: input.from.0,
            values,
        };
        let writer = writer(ctx);
        let version = writer.set_stocks(&[row]).await?;
        ctx.loaders().snapshot.renew();
        let snapshot = ctx.loaders().snapshot.get().await?;
        let unit_id = snapshot
            .find(
                input.unit.map_on(input.from.0),
                input.unit.level.into(),
                &input.unit.code,
            )
            .map(|u| snapshot.unit_id(u))
            .ok_or_else(|| AppError::NotFound("unit".into()))?;
        Ok(SetStockValuesPayload {
            unit: load_unit(ctx, unit_id, "a stock value").await?,
            data_version: version,
        })
    }
}
