//! Demo data: the real unit maps of 2023 and 2025 with the lineage between
//! them, and the reference scenario of
//! DOMAIN.md, generated deterministically (fixed seed) so that every
//! published figure comes out exactly through the API.
//!
//! May import: [`crate::model`], [`crate::store`] (its bulk inserts) and
//! [`crate::text`].

pub mod bulk;
pub mod national;
pub mod recent;
pub mod rng;
pub mod scenario;
pub mod units;

use std::time::Instant;

use entity::unit;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, TransactionTrait,
};

use crate::store;

/// What to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoParts {
    /// Nothing: the database stays empty (tests that write their own world).
    Nothing,
    /// Units only.
    Units,
    /// Units, campaigns, targets and teams (no figures): fast, for tests of
    /// the catalogue.
    Catalogue,
    /// Everything: populations, opening balances and daily reports of the
    /// reference scenario, then daily reports of every reporting unit
    /// through [`recent::demo_until`] (the 2023 map until 2025-06-30, the
    /// 2025 map after) and the 2025–2026 activation campaigns.
    Full,
    /// [`DemoParts::Full`] with the years after the scenario sampled one
    /// day in [`SAMPLED_STRIDE`]: the same shape in an eighth of a million
    /// rows instead of nine million (what the tests load).
    Sampled,
}

/// The stride of [`DemoParts::Sampled`]: one day in four weeks.
pub const SAMPLED_STRIDE: u32 = 28;

impl DemoParts {
    /// Whether the parts hold figures (stocks and reports).
    pub fn has_figures(self) -> bool {
        matches!(self, DemoParts::Full | DemoParts::Sampled)
    }
}

/// Loads the full demo into an empty database; returns whether it did.
/// Everything is written in one transaction, so an interrupted load leaves
/// the database empty and the next start loads again; on PostgreSQL an
/// advisory lock makes replicas starting together load it once.
pub async fn load_if_empty(db: &DatabaseConnection, progress: bool) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    store::lock(&txn, store::Lock::Demo).await?;
    if unit::Entity::find().count(&txn).await? > 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    load_in(&txn, DemoParts::Full, progress).await?;
    txn.commit().await?;
    Ok(true)
}

/// Loads `parts` of the demo into an empty database, in one transaction.
pub async fn load(db: &DatabaseConnection, parts: DemoParts, progress: bool) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    load_in(&txn, parts, progress).await?;
    txn.commit().await
}

async fn load_in(txn: &DatabaseTransaction, parts: DemoParts, progress: bool) -> Result<(), DbErr> {
    if parts == DemoParts::Nothing {
        return Ok(());
    }
    let started = Instant::now();
    let units = units::map_2023().map_err(DbErr::Custom)?;
    let units_2025 = units::map_2025().map_err(DbErr::Custom)?;
    let lineage = units::lineage_2025(&units, &units_2025).map_err(DbErr::Custom)?;
    let mut plan = if parts == DemoParts::Units {
        None
    } else {
        Some(scenario::Scenario::build(&units, parts.has_figures()).map_err(DbErr::Custom)?)
    };
    let recent = match (&mut plan, parts) {
        (Some(plan), DemoParts::Full | DemoParts::Sampled) => {
            let stride = if parts == DemoParts::Full {
                1
            } else {
                SAMPLED_STRIDE
            };
            let first_campaign_id = plan.campaigns.iter().map(|c| c.id).max().unwrap_or(0) + 1;
            let recent = recent::Recent::plan(
                &units,
                &units_2025,
                &lineage,
                &plan.unit_populations(),
                recent::demo_from(),
                recent::demo_until(),
                stride,
                scenario::SEED,
                first_campaign_id,
            );
            plan.campaigns.extend(recent.campaigns.iter().cloned());
            plan.targets.extend(recent.targets.iter().cloned());
            Some(recent)
        }
        _ => None,
    };
    let total_rows = (units.len() + units_2025.len() + lineage.len()) as u64
        + plan.as_ref().map_or(0, |p| p.row_count())
        + recent.as_ref().map_or(0, |r| r.report_count());
    let bar = if progress {
        let bar = ProgressBar::new(total_rows);
        bar.set_style(
            ProgressStyle::with_template(
                "loading demo {bar:40} {pos}/{len} rows ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    units::insert(txn, &units, &bar).await?;
    units::insert(txn, &units_2025, &bar).await?;
    units::insert_lineage(txn, &lineage, &bar).await?;
    if let Some(plan) = &plan {
        plan.insert(txn, &bar).await?;
    }
    if let Some(recent) = &recent {
        bulk::insert(txn, "reports", bulk::REPORT_COLUMNS, recent.reports(), &bar).await?;
    }
    bar.finish_and_clear();
    store::changes::mark_rebuild(txn).await?;
    tracing::info!(
        rows = total_rows,
        seconds = started.elapsed().as_secs_f64(),
        "demo written"
    );
    Ok(())
}
