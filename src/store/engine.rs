//! The rows the rollup engine is built from, read in keyset pages so that
//! millions of reports never sit in memory twice.

use chrono::NaiveDate;
use entity::{report, stock_value, unit};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::engine::build::{ReportInput, StockInput, UnitInput};
use crate::engine::days::day;

/// A report value as 32 bits (validation keeps real ones far below).
fn clamp32(v: i64) -> i32 {
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Rows per page when reading reports.
const PAGE: u64 = 100_000;

/// Every unit.
pub async fn units(db: &DatabaseConnection) -> Result<Vec<UnitInput>, DbErr> {
    let rows: Vec<(i64, unit::UnitLevel, String, Option<i64>)> = unit::Entity::find()
        .select_only()
        .columns([
            unit::Column::Id,
            unit::Column::Level,
            unit::Column::Code,
            unit::Column::ParentId,
        ])
        .order_by_asc(unit::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, level, code, parent_id)| UnitInput {
            id,
            level,
            code,
            parent_id,
        })
        .collect())
}

/// Every stock value.
pub async fn stocks(db: &DatabaseConnection) -> Result<Vec<StockInput>, DbErr> {
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, i64, stock_value::StockMetric, NaiveDate, i64)> =
            stock_value::Entity::find()
                .select_only()
                .columns([
                    stock_value::Column::Id,
                    stock_value::Column::UnitId,
                    stock_value::Column::Metric,
                    stock_value::Column::ValidFrom,
                    stock_value::Column::Value,
                ])
                .filter(stock_value::Column::Id.gt(after))
                .order_by_asc(stock_value::Column::Id)
                .limit(PAGE)
                .into_tuple()
                .all(db)
                .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let full = rows.len() as u64 == PAGE;
        out.extend(
            rows.into_iter()
                .map(|(_, unit_id, metric, valid_from, value)| StockInput {
                    unit_id,
                    metric,
                    valid_from: day(valid_from),
                    value,
                }),
        );
        if !full {
            break;
        }
    }
    Ok(out)
}

/// Every report's flows.
pub async fn reports(db: &DatabaseConnection) -> Result<Vec<ReportInput>, DbErr> {
    type Row = (
        i64,
        i64,
        NaiveDate,
        Option<i64>,
        Option<i64>,
        i64,
        i64,
        i64,
        i64,
    );
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows: Vec<Row> = report::Entity::find()
            .select_only()
            .columns([
                report::Column::Id,
                report::Column::UnitId,
                report::Column::Day,
                report::Column::CampaignId,
                report::Column::TeamId,
                report::Column::ApplicationsCollected,
                report::Column::CardsIssued,
                report::Column::AccountsActivated,
                report::Column::HomeVisits,
            ])
            .filter(report::Column::Id.gt(after))
            .order_by_asc(report::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let full = rows.len() as u64 == PAGE;
        out.extend(rows.into_iter().map(
            |(_, unit_id, d, campaign_id, team_id, applications, cards, accounts, visits)| {
                ReportInput {
                    unit_id,
                    day: day(d),
                    campaign_id: campaign_id.and_then(|c| i32::try_from(c).ok()),
                    team_id: team_id.and_then(|t| i32::try_from(t).ok()),
                    flows: [applications, cards, accounts, visits].map(clamp32),
                }
            },
        ));
        if !full {
            break;
        }
    }
    Ok(out)
}
