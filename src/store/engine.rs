//! The rows the rollup engine is built from. Reports stream into the
//! engine's builder as they are read, so millions never sit in memory.

use chrono::NaiveDate;
use entity::{stock_value, unit};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::model::day::day;
use crate::model::rows::{ReportInput, StockInput, UnitInput};
use crate::model::values::{Flows, MAX_VALUE};

/// A report's four values as the engine holds them. Every write path
/// holds a value to `0..=MAX_VALUE`, so one outside it was not written
/// through tiendo: the read stops with the row named rather than count a
/// wrong number.
fn flows32(unit_id: i64, d: NaiveDate, values: [i64; 4]) -> Result<Flows<i32>, DbErr> {
    let mut out = [0i32; 4];
    for (slot, v) in out.iter_mut().zip(values) {
        *slot = i32::try_from(v).ok().filter(|v| *v >= 0).ok_or_else(|| {
            DbErr::Custom(format!(
                "the report of unit {unit_id} on {d} holds {v}, outside 0..={MAX_VALUE}: \
                 it was not written through tiendo; correct the row"
            ))
        })?;
    }
    Ok(Flows::from_array(out))
}

/// Rows per page when reading reports.
const PAGE: u64 = 100_000;

/// Every unit, of both maps.
pub async fn units(db: &impl ConnectionTrait) -> Result<Vec<UnitInput>, DbErr> {
    type Row = (
        i64,
        unit::AdminMap,
        unit::UnitLevel,
        String,
        Option<i64>,
        NaiveDate,
        Option<NaiveDate>,
    );
    let rows: Vec<Row> = unit::Entity::find()
        .select_only()
        .columns([
            unit::Column::Id,
            unit::Column::Map,
            unit::Column::Level,
            unit::Column::Code,
            unit::Column::ParentId,
            unit::Column::ValidFrom,
            unit::Column::ValidTo,
        ])
        .order_by_asc(unit::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, map, level, code, parent_id, from, to)| UnitInput {
            id,
            map,
            level,
            code,
            parent_id,
            in_force: (day(from), to.map_or(crate::model::day::Day::MAX, day)),
        })
        .collect())
}

/// Every stock value.
pub async fn stocks(db: &impl ConnectionTrait) -> Result<Vec<StockInput>, DbErr> {
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

/// The stock values of some units (those a change touched).
pub async fn stocks_of(
    db: &impl sea_orm::ConnectionTrait,
    unit_ids: &[i64],
) -> Result<Vec<StockInput>, DbErr> {
    let mut out = Vec::new();
    for chunk in unit_ids.chunks(1_000) {
        let rows: Vec<(i64, stock_value::StockMetric, NaiveDate, i64)> =
            stock_value::Entity::find()
                .select_only()
                .columns([
                    stock_value::Column::UnitId,
                    stock_value::Column::Metric,
                    stock_value::Column::ValidFrom,
                    stock_value::Column::Value,
                ])
                .filter(stock_value::Column::UnitId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
        out.extend(
            rows.into_iter()
                .map(|(unit_id, metric, valid_from, value)| StockInput {
                    unit_id,
                    metric,
                    valid_from: day(valid_from),
                    value,
                }),
        );
    }
    Ok(out)
}

/// Every report's flows, handed to `each`, read through any connection (a
/// transaction) in keyset pages: slower than [`reports`], for the rare read
/// that must run inside a transaction.
pub async fn reports_in(
    db: &impl ConnectionTrait,
    mut each: impl FnMut(&ReportInput),
) -> Result<(), DbErr> {
    use entity::report;
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
        for (_, unit_id, d, campaign_id, team_id, applications, cards, accounts, visits) in rows {
            each(&ReportInput {
                unit_id,
                day: day(d),
                campaign_id,
                team_id,
                flows: flows32(unit_id, d, [applications, cards, accounts, visits])?,
            });
        }
        if !full {
            break;
        }
    }
    Ok(())
}

/// Every report's flows, handed to `each` as they stream in (millions of
/// rows are never held at once).
///
/// The one read of millions of rows: it goes through sqlx directly (one
/// streamed query, tuples decoded by position) rather than through
/// sea-orm's per-column model decoding, which costs twice as long here.
pub async fn reports(
    db: &DatabaseConnection,
    mut each: impl FnMut(&ReportInput),
) -> Result<(), DbErr> {
    use futures_util::TryStreamExt;
    use sea_orm::DbBackend;
    use sea_orm::sqlx;

    type Row = (i64, NaiveDate, Option<i64>, Option<i64>, i64, i64, i64, i64);
    const SQL: &str = "SELECT unit_id, day, campaign_id, team_id, applications_collected, cards_issued, \
                       accounts_activated, home_visits FROM reports";
    let convert =
        |(unit_id, d, campaign_id, team_id, applications, cards, accounts, visits): Row| {
            Ok::<_, DbErr>(ReportInput {
                unit_id,
                day: day(d),
                campaign_id,
                team_id,
                flows: flows32(unit_id, d, [applications, cards, accounts, visits])?,
            })
        };
    let err = |e: sqlx::Error| DbErr::Custom(format!("reading reports: {e}"));
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let mut rows = sqlx::query_as::<_, Row>(SQL).fetch(db.get_sqlite_connection_pool());
            while let Some(row) = rows.try_next().await.map_err(err)? {
                each(&convert(row)?);
            }
        }
        DbBackend::Postgres => {
            let mut rows = sqlx::query_as::<_, Row>(SQL).fetch(db.get_postgres_connection_pool());
            while let Some(row) = rows.try_next().await.map_err(err)? {
                each(&convert(row)?);
            }
        }
        other => return Err(DbErr::Custom(format!("unsupported database {other:?}"))),
    }
    Ok(())
}
