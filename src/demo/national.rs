//! The national-scale synthetic dataset for benchmarks, across both maps:
//! every reporting unit of the map in force on each day of a period.
//!
//! Plausible rather than pinned: populations per 2023 commune (a 2025
//! commune's are its predecessors' by share), opening balances on the
//! first day, and daily flows from [`super::recent`] (one generator for
//! the demo's later years and this dataset). Rows are generated lazily
//! while they are written, so memory stays flat whatever the number of
//! days.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use entity::unit::{AdminMap, UnitLevel};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, TransactionTrait};

use super::bulk;
use super::recent::{Population, Recent};
use super::rng::Rng;
use super::units::{self, MapUnit};
use crate::store::sql;

/// What `tiendo generate` wrote.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub communes: usize,
    pub reports: u64,
    pub stock_values: u64,
}

/// One commune's parameters.
struct Commune {
    id: i64,
    eligible: i64,
    present: i64,
    accounts_eligible: i64,
    cards_opening: i64,
    accounts_opening: i64,
}

fn plan(units: &[MapUnit], seed: u64) -> Vec<Commune> {
    units
        .iter()
        .filter(|u| u.level == UnitLevel::Commune)
        .map(|u| {
            let mut r = Rng::stream(seed, u.id as u64);
            let eligible = match u.division_type.as_str() {
                "phường" => r.int(6_000, 18_000),
                "thị trấn" => r.int(4_000, 11_000),
                _ => r.int(3_000, 9_000),
            };
            let accounts_eligible = (eligible as f64 * r.range(0.70, 0.78)) as i64;
            Commune {
                id: u.id,
                eligible,
                present: (eligible as f64 * r.range(0.90, 0.97)) as i64,
                accounts_eligible,
                cards_opening: (eligible as f64 * r.range(0.55, 0.80)) as i64,
                accounts_opening: (accounts_eligible as f64 * r.range(0.05, 0.30)) as i64,
            }
        })
        .collect()
}

/// Fills an empty database with the national dataset across both maps:
/// daily reports from `from` to `until` (inclusive) by every reporting
/// unit of the map in force on the day (the 2023 map until 2025-06-30, the
/// 2025 map after; see [`super::recent`]), with populations and opening
/// balances of the 2023 communes. One transaction: an interrupted run
/// leaves the database as it was.
pub async fn generate(
    db: &DatabaseConnection,
    from: NaiveDate,
    until: NaiveDate,
    seed: u64,
    progress: bool,
) -> Result<Generated, DbErr> {
    if entity::unit::Entity::find().count(db).await? > 0 {
        return Err(DbErr::Custom(
            "the database is not empty: `generate` fills an empty database (use a new --database-url)".into(),
        ));
    }
    let map = units::map_2023().map_err(DbErr::Custom)?;
    let map_2025 = units::map_2025().map_err(DbErr::Custom)?;
    let lineage = units::lineage_2025(&map, &map_2025).map_err(DbErr::Custom)?;
    let communes = plan(&map, seed);
    let populations: HashMap<i64, Population> = communes
        .iter()
        .map(|c| {
            let p = Population {
                eligible: c.eligible as f64,
                accounts_eligible: c.accounts_eligible as f64,
            };
            (c.id, p)
        })
        .collect();
    let daily = Recent::plan(
        &map,
        &map_2025,
        &lineage,
        &populations,
        from,
        until,
        1,
        seed,
        1,
    );
    let reports = daily.report_count();
    let stock_values = communes.len() as u64 * 5;
    let unit_rows = (map.len() + map_2025.len() + lineage.len()) as u64;
    let bar = if progress {
        let bar = ProgressBar::new(unit_rows + stock_values + reports);
        bar.set_style(
            ProgressStyle::with_template(
                "generating {bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let txn = db.begin().await?;
    units::insert(&txn, &map, &bar).await?;
    units::insert(&txn, &map_2025, &bar).await?;
    units::insert_lineage(&txn, &lineage, &bar).await?;
    let q = sql::quote;
    // Opening balances on the first day, or on the 2023 map's last day
    // when the reports start after it.
    let last_2023 = AdminMap::reform_day() - Duration::days(1);
    let first_text = q(&from.min(last_2023).format("%Y-%m-%d").to_string());
    let populations = q(units::MAP_2023_VALID_FROM);
    bulk::insert(
        &txn,
        "stock_values",
        &["unit_id", "metric", "valid_from", "valid_to", "value"],
        communes.iter().flat_map(|c| {
            [
                ("eligible_population", &populations, c.eligible),
                ("present_population", &populations, c.present),
                ("accounts_eligible", &populations, c.accounts_eligible),
                ("cards_issued_opening", &first_text, c.cards_opening),
                (
                    "accounts_activated_opening",
                    &first_text,
                    c.accounts_opening,
                ),
            ]
            .map(|(metric, from, value)| sql::row(&[&c.id, &q(metric), from, &"NULL", &value]))
        }),
        &bar,
    )
    .await?;
    bulk::insert(&txn, "reports", bulk::REPORT_COLUMNS, daily.reports(), &bar).await?;
    crate::store::changes::mark_rebuild(&txn).await?;
    txn.commit().await?;
    bar.finish_and_clear();
    Ok(Generated {
        communes: communes.len(),
        reports,
        stock_values,
    })
}
