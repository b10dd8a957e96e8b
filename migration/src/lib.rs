//! Migrations of tiendo. Every migration runs unchanged on SQLite and
//! PostgreSQL: only portable column types, and indexes created separately.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_units;
mod m20261125_000002_create_campaigns_and_teams;
mod m20261125_000003_create_reports_and_stocks;
mod m20261125_000004_create_history_and_changes;
mod m20261125_000005_lean_report_indexes;
mod m20261125_000006_day_first_report_key;
mod m20261125_000007_create_access;
mod m20261203_000008_two_maps;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_units::Migration),
            Box::new(m20261125_000002_create_campaigns_and_teams::Migration),
            Box::new(m20261125_000003_create_reports_and_stocks::Migration),
            Box::new(m20261125_000004_create_history_and_changes::Migration),
            Box::new(m20261125_000005_lean_report_indexes::Migration),
            Box::new(m20261125_000006_day_first_report_key::Migration),
            Box::new(m20261125_000007_create_access::Migration),
            Box::new(m20261203_000008_two_maps::Migration),
        ]
    }
}
