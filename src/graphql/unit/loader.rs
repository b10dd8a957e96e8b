//! Loaders for units: by id, and the children of a parent. Each batches all
//! keys of one request tick into one statement.
//!
//! Once the rollup engine holds a snapshot, units come from its directory
//! (see [`crate::engine::directory`]): the tree changes only by bulk loads,
//! which rebuild every snapshot, so memory is as exact as the table and a
//! dashboard document runs no SQL. Before that, and for any id the
//! directory lacks, they come from the database in one statement.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::unit::{AdminMap, Model, UnitLevel};
use sea_orm::DatabaseConnection;

use crate::engine::{Engine, Snapshot};
use crate::error::AppError;
use crate::store;

/// The engine's current snapshot, when it holds the unit rows (every
/// in-memory unit read asks this; `None` before the first snapshot).
pub fn with_directory(engine: &Engine) -> Option<Arc<Snapshot>> {
    engine.current().filter(|s| !s.directory().is_empty())
}

/// Units by id.
pub struct UnitLoader {
    pub db: DatabaseConnection,
    pub engine: Arc<Engine>,
}

impl Loader<i64> for UnitLoader {
    type Value = Arc<Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Arc<Model>>, Self::Error> {
        let mut found = HashMap::with_capacity(keys.len());
        let mut missing = Vec::new();
        let snapshot = with_directory(&self.engine);
        let directory = snapshot.as_ref().map(|s| s.directory());
        for key in keys {
            match directory.and_then(|d| d.get(*key)) {
                Some(model) => {
                    found.insert(*key, model.clone());
                }
                None => missing.push(*key),
            }
        }
        if !missing.is_empty() {
            let rows = store::units::by_ids(&self.db, &missing)
                .await
                .map_err(AppError::from)?;
            found.extend(rows.into_iter().map(|u| (u.id, Arc::new(u))));
        }
        Ok(found)
    }
}

/// All children of a parent from the table, sorted by id (pages are cut in
/// memory: a unit has at most a few hundred children). `Unit.children`
/// asks it only before the engine holds the unit rows.
pub struct ChildrenLoader(pub DatabaseConnection);

impl Loader<i64> for ChildrenLoader {
    type Value = Arc<Vec<Arc<Model>>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::units::children_of(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        let mut by_parent: HashMap<i64, Vec<Arc<Model>>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            if let Some(parent) = row.parent_id {
                by_parent.entry(parent).or_default().push(Arc::new(row));
            }
        }
        Ok(by_parent
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect())
    }
}

/// The latest version of the unit with this level and code: from the
/// engine's directory when it holds the units, else from the database.
/// The root of a map: from the engine's directory when it has one (so the
/// country answers while the database does not), else from the database.
pub async fn root(
    db: &DatabaseConnection,
    engine: &Engine,
    map: AdminMap,
) -> Result<Option<Arc<Model>>, AppError> {
    if let Some(snapshot) = with_directory(engine) {
        if let Some(root) = snapshot.directory().root(map) {
            return Ok(Some(root.clone()));
        }
    }
    Ok(store::units::root(db, map).await?.map(Arc::new))
}

pub async fn by_level_code(
    db: &DatabaseConnection,
    engine: &Engine,
    map: AdminMap,
    level: UnitLevel,
    code: &str,
) -> Result<Option<Arc<Model>>, AppError> {
    if let Some(snapshot) = with_directory(engine) {
        return Ok(snapshot
            .directory()
            .by_level_code(map, level, code)
            .cloned());
    }
    Ok(store::units::by_level_code(db, map, level, code)
        .await?
        .map(Arc::new))
}
