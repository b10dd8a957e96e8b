//! Daily reports (flows) and stock values with validity ranges.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_units::Units;
use crate::m20261125_000002_create_campaigns_and_teams::{Campaigns, Teams, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .col(big_pk_auto(Reports::Id))
                    .col(big_integer(Reports::UnitId))
                    .col(date(Reports::Day))
                    .col(big_integer_null(Reports::CampaignId))
                    .col(big_integer_null(Reports::TeamId))
                    .col(big_integer(Reports::CampaignSlot).default(0))
                    .col(big_integer(Reports::TeamSlot).default(0))
                    .col(big_integer(Reports::ApplicationsCollected).default(0))
                    .col(big_integer(Reports::CardsIssued).default(0))
                    .col(big_integer(Reports::AccountsActivated).default(0))
                    .col(big_integer(Reports::HomeVisits).default(0))
                    .col(string_len(Reports::Status, 16))
                    .col(integer(Reports::Version).default(1))
                    .col(timestamp_with_time_zone(Reports::CreatedAt))
                    .col(timestamp_with_time_zone(Reports::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reports_unit")
                            .from(Reports::Table, Reports::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reports_campaign")
                            .from(Reports::Table, Reports::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reports_team")
                            .from(Reports::Table, Reports::TeamId)
                            .to(Teams::Table, Teams::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The idempotency key of a report: one row per (unit, day, campaign, team).
        manager
            .create_index(
                Index::create()
                    .name("ux_reports_key")
                    .table(Reports::Table)
                    .col(Reports::UnitId)
                    .col(Reports::Day)
                    .col(Reports::CampaignSlot)
                    .col(Reports::TeamSlot)
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_reports_day", Reports::Table, &[Reports::Day]).await?;
        index(
            manager,
            "ix_reports_campaign",
            Reports::Table,
            &[Reports::CampaignId],
        )
        .await?;
        index(
            manager,
            "ix_reports_team",
            Reports::Table,
            &[Reports::TeamId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StockValues::Table)
                    .col(big_pk_auto(StockValues::Id))
                    .col(big_integer(StockValues::UnitId))
                    .col(string_len(StockValues::Metric, 32))
                    .col(date(StockValues::ValidFrom))
                    .col(date_null(StockValues::ValidTo))
                    .col(big_integer(StockValues::Value))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_values_unit")
                            .from(StockValues::Table, StockValues::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_stock_values_key")
                    .table(StockValues::Table)
                    .col(StockValues::UnitId)
                    .col(StockValues::Metric)
                    .col(StockValues::ValidFrom)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StockValues::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Reports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Reports {
    Table,
    Id,
    UnitId,
    Day,
    CampaignId,
    TeamId,
    CampaignSlot,
    TeamSlot,
    ApplicationsCollected,
    CardsIssued,
    AccountsActivated,
    HomeVisits,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum StockValues {
    Table,
    Id,
    UnitId,
    Metric,
    ValidFrom,
    ValidTo,
    Value,
}
