//! Fewer indexes (and, on PostgreSQL, no foreign keys) on `reports`, the table every import writes millions of
//! rows into: each index costs a write per row.
//!
//! - `ix_reports_day` goes: every query by day also names units, and the
//!   key index `(unit_id, day, campaign_slot, team_slot)` serves those.
//! - `ix_reports_campaign` and `ix_reports_team` become partial (only rows
//!   attributed to a campaign or a team), so the bulk of daily reports, which
//!   have neither, costs them nothing.
//!
//! On PostgreSQL the foreign keys of `reports` go too. A foreign-key check
//! there runs a `SELECT … FOR KEY SHARE` on the referenced unit for every
//! inserted row: measured on a 500,000-row insert, 9.9 s with them and
//! 4.0 s without, the difference between a national year importing in
//! 80 s or 40 s. The references are enforced where every report is
//! written: the write path checks each row's unit, campaign and team
//! against the tables before writing (`src/ingest/validate.rs`), and no
//! path deletes units, campaigns or teams. SQLite checks foreign keys
//! without locking, cheaply, and keeps them (dropping one there would mean
//! rebuilding the table).
//!
//! Partial indexes are written in SQL: the same statement runs on SQLite
//! and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "DROP INDEX ix_reports_day",
            "DROP INDEX ix_reports_campaign",
            "DROP INDEX ix_reports_team",
            "CREATE INDEX ix_reports_campaign ON reports (campaign_id) WHERE campaign_id IS NOT NULL",
            "CREATE INDEX ix_reports_team ON reports (team_id) WHERE team_id IS NOT NULL",
        ] {
            db.execute_unprepared(statement).await?;
        }
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            for fk in ["fk_reports_unit", "fk_reports_campaign", "fk_reports_team"] {
                db.execute_unprepared(&format!("ALTER TABLE reports DROP CONSTRAINT {fk}"))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "DROP INDEX ix_reports_campaign",
            "DROP INDEX ix_reports_team",
            "CREATE INDEX ix_reports_day ON reports (day)",
            "CREATE INDEX ix_reports_campaign ON reports (campaign_id)",
            "CREATE INDEX ix_reports_team ON reports (team_id)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            for (fk, column, table) in [
                ("fk_reports_unit", "unit_id", "units"),
                ("fk_reports_campaign", "campaign_id", "campaigns"),
                ("fk_reports_team", "team_id", "teams"),
            ] {
                db.execute_unprepared(&format!(
                    "ALTER TABLE reports ADD CONSTRAINT {fk} FOREIGN KEY ({column}) REFERENCES {table} (id)"
                ))
                .await?;
            }
        }
        Ok(())
    }
}
