//! The idempotency key of reports, day first: `(day, unit_id,
//! campaign_slot, team_slot)`.
//!
//! Reports arrive a day at a time for every commune. Keyed unit first, one
//! national day's 10,598 rows land on 10,598 different index pages (each
//! one a page write, and on PostgreSQL a full-page image in the WAL);
//! keyed day first, they land together at the index's right edge. The
//! reads that filter by unit and day go through the same index by day
//! range.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ux_reports_key").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_reports_key ON reports (day, unit_id, campaign_slot, team_slot)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ux_reports_key").await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_reports_key ON reports (unit_id, day, campaign_slot, team_slot)",
        )
        .await?;
        Ok(())
    }
}
