//! Campaigns with their targets, and teams with the units they serve.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_units::Units;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(big_pk_auto(Campaigns::Id))
                    .col(string(Campaigns::Name))
                    .col(text_null(Campaigns::Description))
                    .col(big_integer(Campaigns::ScopeUnitId))
                    .col(date(Campaigns::StartsOn))
                    .col(date(Campaigns::EndsOn))
                    .col(date_null(Campaigns::Deadline))
                    .col(big_integer_null(Campaigns::ParentId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaigns_scope")
                            .from(Campaigns::Table, Campaigns::ScopeUnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaigns_parent")
                            .from(Campaigns::Table, Campaigns::ParentId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_campaigns_scope",
            Campaigns::Table,
            &[Campaigns::ScopeUnitId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignTargets::Table)
                    .col(big_pk_auto(CampaignTargets::Id))
                    .col(big_integer(CampaignTargets::CampaignId))
                    .col(string_len(CampaignTargets::Metric, 48))
                    .col(big_integer(CampaignTargets::TargetValue))
                    .col(date(CampaignTargets::DueOn))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_targets_campaign")
                            .from(CampaignTargets::Table, CampaignTargets::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_campaign_targets_campaign",
            CampaignTargets::Table,
            &[CampaignTargets::CampaignId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(big_pk_auto(Teams::Id))
                    .col(string(Teams::Name))
                    .col(string_len(Teams::Kind, 16))
                    .col(integer(Teams::Size))
                    .col(big_integer(Teams::UnitId))
                    .col(big_integer_null(Teams::CampaignId))
                    .col(integer_null(Teams::OpensMinute))
                    .col(integer_null(Teams::ClosesMinute))
                    .col(date_null(Teams::ActiveFrom))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_teams_unit")
                            .from(Teams::Table, Teams::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_teams_campaign")
                            .from(Teams::Table, Teams::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_teams_unit", Teams::Table, &[Teams::UnitId]).await?;
        index(
            manager,
            "ix_teams_campaign",
            Teams::Table,
            &[Teams::CampaignId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TeamUnits::Table)
                    .col(big_integer(TeamUnits::TeamId))
                    .col(big_integer(TeamUnits::UnitId))
                    .primary_key(
                        Index::create()
                            .col(TeamUnits::TeamId)
                            .col(TeamUnits::UnitId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_units_team")
                            .from(TeamUnits::Table, TeamUnits::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_units_unit")
                            .from(TeamUnits::Table, TeamUnits::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_team_units_unit",
            TeamUnits::Table,
            &[TeamUnits::UnitId],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TeamUnits::Table.into_iden(),
            Teams::Table.into_iden(),
            CampaignTargets::Table.into_iden(),
            Campaigns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Creates a plain (non-unique) index.
pub(crate) async fn index<T: IntoIden + Copy, C: IntoIden + Copy>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    manager.create_index(stmt.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Campaigns {
    Table,
    Id,
    Name,
    Description,
    ScopeUnitId,
    StartsOn,
    EndsOn,
    Deadline,
    ParentId,
}

#[derive(DeriveIden, Clone, Copy)]
enum CampaignTargets {
    Table,
    Id,
    CampaignId,
    Metric,
    TargetValue,
    DueOn,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Teams {
    Table,
    Id,
    Name,
    Kind,
    Size,
    UnitId,
    CampaignId,
    OpensMinute,
    ClosesMinute,
    ActiveFrom,
}

#[derive(DeriveIden, Clone, Copy)]
enum TeamUnits {
    Table,
    TeamId,
    UnitId,
}
