//! The lineage between the maps (`unit_lineage`), and the units of one map
//! whatever map the API serves.

use entity::unit::{self, AdminMap};
use entity::unit_lineage;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

use crate::model::rows::LineageRow;

/// Every unit of `map`, by id.
pub async fn units_of(db: &impl ConnectionTrait, map: AdminMap) -> Result<Vec<unit::Model>, DbErr> {
    unit::Entity::find()
        .filter(unit::Column::Map.eq(map))
        .order_by_asc(unit::Column::Id)
        .all(db)
        .await
}

/// Every lineage row, by old unit then new unit.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<LineageRow>, DbErr> {
    Ok(unit_lineage::Entity::find()
        .order_by_asc(unit_lineage::Column::OldUnitId)
        .order_by_asc(unit_lineage::Column::NewUnitId)
        .all(db)
        .await?
        .into_iter()
        .map(|row| LineageRow {
            old_unit_id: row.old_unit_id,
            new_unit_id: row.new_unit_id,
            share: row.share,
            is_default: row.is_default,
        })
        .collect())
}

/// Replaces the shares of every old unit `rows` names by `rows`, in one
/// transaction that also takes a data version and logs it as a rebuild
/// (shares change the numbers of the newer map before its first day), so
/// every replica reads the tables again. All or nothing.
pub async fn replace(db: &DatabaseConnection, rows: &[LineageRow]) -> Result<i64, DbErr> {
    let txn = db.begin().await?;
    let mut old: Vec<i64> = rows.iter().map(|r| r.old_unit_id).collect();
    old.sort_unstable();
    old.dedup();
    for chunk in old.chunks(500) {
        unit_lineage::Entity::delete_many()
            .filter(unit_lineage::Column::OldUnitId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    for chunk in rows.chunks(500) {
        unit_lineage::Entity::insert_many(chunk.iter().map(|r| unit_lineage::ActiveModel {
            old_unit_id: Set(r.old_unit_id),
            new_unit_id: Set(r.new_unit_id),
            share: Set(r.share),
            is_default: Set(r.is_default),
        }))
        .exec(&txn)
        .await?;
    }
    let version = super::changes::mark_rebuild(&txn).await?;
    txn.commit().await?;
    Ok(version)
}
