//! The write path: who submitted a report, the history of every change to
//! a report, and the data version with its change log that keeps every
//! replica's rollup engine in step with the database.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_campaigns_and_teams::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .add_column(string_len_null(Reports::SubmittedBy, 128))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReportHistory::Table)
                    .col(big_pk_auto(ReportHistory::Id))
                    .col(big_integer(ReportHistory::ReportId))
                    .col(big_integer(ReportHistory::UnitId))
                    .col(date(ReportHistory::Day))
                    .col(integer(ReportHistory::Version))
                    .col(string_len(ReportHistory::Action, 16))
                    .col(string_len(ReportHistory::Actor, 128))
                    .col(text_null(ReportHistory::Reason))
                    .col(timestamp_with_time_zone(ReportHistory::At))
                    .col(big_integer(ReportHistory::OldApplicationsCollected))
                    .col(big_integer(ReportHistory::OldCardsIssued))
                    .col(big_integer(ReportHistory::OldAccountsActivated))
                    .col(big_integer(ReportHistory::OldHomeVisits))
                    .col(big_integer(ReportHistory::NewApplicationsCollected))
                    .col(big_integer(ReportHistory::NewCardsIssued))
                    .col(big_integer(ReportHistory::NewAccountsActivated))
                    .col(big_integer(ReportHistory::NewHomeVisits))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_history_report")
                            .from(ReportHistory::Table, ReportHistory::ReportId)
                            .to(Reports::Table, Reports::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_report_history_report",
            ReportHistory::Table,
            &[ReportHistory::ReportId, ReportHistory::Version],
        )
        .await?;
        index(
            manager,
            "ix_report_history_unit_day",
            ReportHistory::Table,
            &[ReportHistory::UnitId, ReportHistory::Day],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DataVersion::Table)
                    .col(integer(DataVersion::Id).primary_key())
                    .col(big_integer(DataVersion::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(DataVersion::Table)
                    .columns([DataVersion::Id, DataVersion::Version])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DataChanges::Table)
                    .col(big_integer(DataChanges::Version).primary_key())
                    .col(string_len(DataChanges::Kind, 16))
                    .col(blob(DataChanges::Payload))
                    .col(timestamp_with_time_zone(DataChanges::At))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataChanges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DataVersion::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ReportHistory::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .drop_column(Reports::SubmittedBy)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Reports {
    Table,
    Id,
    SubmittedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReportHistory {
    Table,
    Id,
    ReportId,
    UnitId,
    Day,
    Version,
    Action,
    Actor,
    Reason,
    At,
    OldApplicationsCollected,
    OldCardsIssued,
    OldAccountsActivated,
    OldHomeVisits,
    NewApplicationsCollected,
    NewCardsIssued,
    NewAccountsActivated,
    NewHomeVisits,
}

#[derive(DeriveIden, Clone, Copy)]
enum DataVersion {
    Table,
    Id,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum DataChanges {
    Table,
    Version,
    Kind,
    Payload,
    At,
}
