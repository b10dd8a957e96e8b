//! Loaders for units: by id, and the children of a parent. Each batches all
//! keys of one request tick into one statement.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::unit::Model;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::store;

/// Units by id.
pub struct UnitLoader(pub DatabaseConnection);

impl Loader<i64> for UnitLoader {
    type Value = Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Model>, Self::Error> {
        let rows = store::units::by_ids(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// All children of a parent, sorted by id (pages are cut in memory: a unit
/// has at most a few hundred children).
pub struct ChildrenLoader(pub DatabaseConnection);

impl Loader<i64> for ChildrenLoader {
    type Value = Arc<Vec<Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::units::children_of(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        let mut by_parent: HashMap<i64, Vec<Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(parent) = row.parent_id {
                by_parent.entry(parent).or_default().push(row);
            }
        }
        Ok(by_parent
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect())
    }
}
