//! Every unit row, held beside the numbers.
//!
//! The unit tree changes only through bulk loads (the demo, `generate`,
//! `import` of a new map), and every bulk load makes each replica rebuild
//! its snapshot, so names, codes and children can be answered from memory
//! as exactly as the rollups are: a dashboard document needs no SQL.

use std::collections::HashMap;
use std::sync::Arc;

use entity::unit::{self, AdminMap, UnitLevel};

/// The unit rows of one snapshot, by id, by parent and by (map, level,
/// code).
/// Rows are shared (`Arc`): a response that names 63 provinces takes 63
/// pointers, not 63 copies of five strings.
#[derive(Debug, Default)]
pub struct UnitDirectory {
    by_id: HashMap<i64, Arc<unit::Model>>,
    /// Children of each parent, sorted by id.
    children: HashMap<i64, Arc<Vec<Arc<unit::Model>>>>,
    /// The latest version (by `valid_from`) of each (map, level, code).
    by_code: HashMap<(AdminMap, UnitLevel, String), i64>,
    /// The root of each map.
    roots: HashMap<AdminMap, i64>,
    none: Arc<Vec<Arc<unit::Model>>>,
}

impl UnitDirectory {
    /// A directory of `rows` (every unit of the table).
    pub fn new(rows: Vec<unit::Model>) -> Self {
        let mut rows: Vec<Arc<unit::Model>> = rows.into_iter().map(Arc::new).collect();
        rows.sort_by_key(|u| u.id);
        let mut roots = HashMap::new();
        for row in rows.iter().filter(|u| u.parent_id.is_none()) {
            roots.entry(row.map).or_insert(row.id);
        }
        let mut children: HashMap<i64, Vec<Arc<unit::Model>>> = HashMap::new();
        let mut by_code: HashMap<(AdminMap, UnitLevel, String), (chrono::NaiveDate, i64)> =
            HashMap::new();
        for row in &rows {
            if let Some(parent) = row.parent_id {
                children.entry(parent).or_default().push(row.clone());
            }
            let latest = (row.valid_from, row.id);
            by_code
                .entry((row.map, row.level, row.code.clone()))
                .and_modify(|held| *held = (*held).max(latest))
                .or_insert(latest);
        }
        UnitDirectory {
            by_id: rows.into_iter().map(|u| (u.id, u)).collect(),
            children: children
                .into_iter()
                .map(|(parent, list)| (parent, Arc::new(list)))
                .collect(),
            by_code: by_code
                .into_iter()
                .map(|(key, (_, id))| (key, id))
                .collect(),
            roots,
            none: Arc::new(Vec::new()),
        }
    }

    /// Whether the directory holds no unit (a snapshot built without it).
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The unit with this id.
    pub fn get(&self, id: i64) -> Option<&Arc<unit::Model>> {
        self.by_id.get(&id)
    }

    /// The children of a unit, sorted by id.
    pub fn children(&self, id: i64) -> Arc<Vec<Arc<unit::Model>>> {
        self.children
            .get(&id)
            .cloned()
            .unwrap_or_else(|| self.none.clone())
    }

    /// The root of `map` (its unit without a parent, the lowest id if
    /// there were several).
    pub fn root(&self, map: AdminMap) -> Option<&Arc<unit::Model>> {
        self.roots.get(&map).and_then(|id| self.by_id.get(id))
    }

    /// The latest version of the unit of `map` with this level and code.
    pub fn by_level_code(
        &self,
        map: AdminMap,
        level: UnitLevel,
        code: &str,
    ) -> Option<&Arc<unit::Model>> {
        self.by_code
            .get(&(map, level, code.to_owned()))
            .and_then(|id| self.by_id.get(id))
    }
}
