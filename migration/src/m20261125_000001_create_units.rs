//! The unit tree: parent pointer plus materialised path, with validity dates
//! so that a later map (2025: no districts) can stand beside the 2023 one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Units::Table)
                    .col(big_integer(Units::Id).primary_key())
                    .col(string_len(Units::Level, 16))
                    .col(string_len(Units::Code, 16))
                    .col(string(Units::Name))
                    .col(string(Units::ShortName))
                    .col(string_len(Units::DivisionType, 32))
                    .col(string(Units::SearchKey))
                    .col(big_integer_null(Units::ParentId))
                    .col(string(Units::Path))
                    .col(integer(Units::Depth))
                    .col(date(Units::ValidFrom))
                    .col(date_null(Units::ValidTo))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_units_parent")
                            .from(Units::Table, Units::ParentId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_units_level_code_valid_from")
                    .table(Units::Table)
                    .col(Units::Level)
                    .col(Units::Code)
                    .col(Units::ValidFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_units_parent")
                    .table(Units::Table)
                    .col(Units::ParentId)
                    .col(Units::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_units_path")
                    .table(Units::Table)
                    .col(Units::Path)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Units::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Units {
    Table,
    Id,
    Level,
    Code,
    Name,
    ShortName,
    DivisionType,
    SearchKey,
    ParentId,
    Path,
    Depth,
    ValidFrom,
    ValidTo,
}
