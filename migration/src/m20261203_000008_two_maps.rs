//! Two maps: every unit belongs to one administrative map (`vn2023`, the
//! 63-province map in force until 2025-06-30, or `vn2025`, the 34-province
//! map in force from 2025-07-01), codes are unique within (map, level),
//! and the lineage between them is a table of shares: the part of an old
//! unit that went to a new one.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_units::Units;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every unit written before this migration is of the 2023 map.
        manager
            .alter_table(
                Table::alter()
                    .table(Units::Table)
                    .add_column(string_len(UnitsMap::Map, 8).default("vn2023"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_units_level_code_valid_from")
                    .table(Units::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_units_map_level_code")
                    .table(Units::Table)
                    .col(UnitsMap::Map)
                    .col(Units::Level)
                    .col(Units::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UnitLineage::Table)
                    .col(big_integer(UnitLineage::OldUnitId))
                    .col(big_integer(UnitLineage::NewUnitId))
                    // The part of the old unit that went to the new one,
                    // in (0, 1]; the shares of one old unit sum to 1.
                    .col(double(UnitLineage::Share))
                    // Whether the share is the shipped default (equal
                    // parts of a split commune) rather than loaded data.
                    .col(boolean(UnitLineage::IsDefault))
                    .primary_key(
                        Index::create()
                            .col(UnitLineage::OldUnitId)
                            .col(UnitLineage::NewUnitId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unit_lineage_old")
                            .from(UnitLineage::Table, UnitLineage::OldUnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unit_lineage_new")
                            .from(UnitLineage::Table, UnitLineage::NewUnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_unit_lineage_new")
                    .table(UnitLineage::Table)
                    .col(UnitLineage::NewUnitId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UnitLineage::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_units_map_level_code")
                    .table(Units::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Units::Table)
                    .drop_column(UnitsMap::Map)
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
            .await
    }
}

/// The column this migration adds to `units`.
#[derive(DeriveIden)]
enum UnitsMap {
    Map,
}

/// Old unit → new unit, with the share of the old unit's territory (and
/// numbers) that went to the new one.
#[derive(DeriveIden)]
pub enum UnitLineage {
    Table,
    OldUnitId,
    NewUnitId,
    Share,
    IsDefault,
}
