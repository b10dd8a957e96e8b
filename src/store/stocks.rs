//! Stock values: set from a day on, keeping every row's `valid_to` (the
//! day before the next value of the same unit and metric) right.

use chrono::Days;
use entity::stock_value;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};

use super::changes;
use crate::model::change::Change;
use crate::model::rows::ValidStock;

/// Sets stock values in one transaction; returns the data version.
pub async fn set(db: &DatabaseConnection, rows: &[ValidStock]) -> Result<i64, DbErr> {
    let (txn, version) = changes::begin_write(db).await?;
    write(&txn, rows).await?;
    let mut units: Vec<i64> = rows.iter().map(|r| r.unit_id).collect();
    units.sort_unstable();
    units.dedup();
    let change = Change {
        flows: Vec::new(),
        stock_units: units,
    };
    changes::commit_write(txn, version, &change).await?;
    Ok(version)
}

/// Writes stock values inside an open write transaction.
pub async fn write(txn: &DatabaseTransaction, rows: &[ValidStock]) -> Result<(), DbErr> {
    for row in rows {
        for (metric, value) in row.values.by_metric() {
            let Some(value) = value else { continue };
            let value = &value;
            let existing = stock_value::Entity::find()
                .filter(stock_value::Column::UnitId.eq(row.unit_id))
                .filter(stock_value::Column::Metric.eq(metric))
                .order_by_asc(stock_value::Column::ValidFrom)
                .all(txn)
                .await?;
            match existing.iter().find(|s| s.valid_from == row.from) {
                Some(same_day) if same_day.value == *value => continue,
                Some(same_day) => {
                    stock_value::Entity::update_many()
                        .col_expr(stock_value::Column::Value, Expr::value(*value))
                        .filter(stock_value::Column::Id.eq(same_day.id))
                        .exec(txn)
                        .await?;
                    continue;
                }
                None => {}
            }
            // A new row: it ends where the next one starts; the one before
            // it now ends the day before it.
            let next = existing.iter().find(|s| s.valid_from > row.from);
            let previous = existing.iter().rev().find(|s| s.valid_from < row.from);
            stock_value::Entity::insert(stock_value::ActiveModel {
                unit_id: Set(row.unit_id),
                metric: Set(metric),
                valid_from: Set(row.from),
                valid_to: Set(next.and_then(|n| n.valid_from.checked_sub_days(Days::new(1)))),
                value: Set(*value),
                ..Default::default()
            })
            .exec_without_returning(txn)
            .await?;
            if let Some(previous) = previous {
                stock_value::Entity::update_many()
                    .col_expr(
                        stock_value::Column::ValidTo,
                        Expr::value(row.from.checked_sub_days(Days::new(1))),
                    )
                    .filter(stock_value::Column::Id.eq(previous.id))
                    .exec(txn)
                    .await?;
            }
        }
    }
    Ok(())
}
