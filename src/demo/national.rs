//! The national-scale synthetic dataset for benchmarks: every commune of
//! the 2023 map, N days of daily reports ending on a given day.
//!
//! Plausible rather than pinned: populations per commune, opening balances
//! on the first day, and daily flows with a weekly rhythm and noise. Rows
//! are generated lazily while they are written, so memory stays flat
//! whatever the number of days.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use entity::unit::UnitLevel;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, TransactionTrait};

use super::bulk;
use super::rng::Rng;
use super::units::{self, MapUnit};
use crate::model::values::Flows;
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
    cards_rate: f64,
    accounts_rate: f64,
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
                cards_rate: eligible as f64 * r.range(0.0003, 0.0012),
                accounts_rate: accounts_eligible as f64 * r.range(0.0008, 0.0030),
            }
        })
        .collect()
}

/// Fills an empty database with the national dataset: `days` days of
/// reports from every commune, ending on `until`. One transaction: an
/// interrupted run leaves the database as it was.
pub async fn generate(
    db: &DatabaseConnection,
    days: u32,
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
    let communes = plan(&map, seed);
    let first = until - Duration::days(i64::from(days.max(1)) - 1);
    let reports = communes.len() as u64 * u64::from(days);
    let stock_values = communes.len() as u64 * 5;
    let bar = if progress {
        let bar = ProgressBar::new(map.len() as u64 + stock_values + reports);
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
    let q = sql::quote;
    let first_text = q(&first.format("%Y-%m-%d").to_string());
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
    let rows = communes.iter().flat_map(|c| {
        let mut r = Rng::stream(seed ^ 0xDA1, c.id as u64);
        (0..days).map(move |n| {
            let d = first + Duration::days(i64::from(n));
            let rhythm = match d.weekday() {
                Weekday::Sun => 0.35,
                Weekday::Sat => 0.7,
                _ => 1.0,
            };
            let cards = (c.cards_rate * rhythm * r.range(0.5, 1.5)).round() as i64;
            let accounts = (c.accounts_rate * rhythm * r.range(0.5, 1.5)).round() as i64;
            let applications = (cards as f64 * r.range(0.95, 1.3)).round() as i64 + r.int(0, 2);
            let visits = (cards as f64 * r.range(0.01, 0.05)).round() as i64;
            bulk::report_row(
                c.id,
                d,
                None,
                None,
                Flows {
                    applications_collected: applications,
                    cards_issued: cards,
                    accounts_activated: accounts,
                    home_visits: visits,
                },
            )
        })
    });
    bulk::insert(&txn, "reports", bulk::REPORT_COLUMNS, rows, &bar).await?;
    crate::store::changes::mark_rebuild(&txn).await?;
    txn.commit().await?;
    bar.finish_and_clear();
    Ok(Generated {
        communes: communes.len(),
        reports,
        stock_values,
    })
}
