//! What part of the hierarchy a caller may see, and how deep.
//!
//! A scope is a subtree (a unit and everything below it) and the finest
//! level visible in it. Every path that yields a unit to a client goes
//! through [`Scope::check`] (single units) or [`Scope::permits`] (lists),
//! so nested fields (`children`, `parent`, `node`, rankings, search,
//! reports) cannot reach outside it.

use entity::unit::{self, UnitLevel};

use crate::error::AppError;

/// The root of a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRoot {
    pub id: i64,
    pub level: UnitLevel,
    /// Materialised path of the root, e.g. `/1/43/`.
    pub path: String,
}

/// A subtree and the finest level visible in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `None`: the whole country.
    pub root: Option<ScopeRoot>,
    /// The finest level the caller sees (`Commune`: everything).
    pub finest: UnitLevel,
    /// Whether reports and their history are visible (not only rollups).
    pub reports: bool,
}

impl Scope {
    /// Everything.
    pub fn everything() -> Self {
        Scope {
            root: None,
            finest: UnitLevel::Commune,
            reports: true,
        }
    }

    /// One unit's subtree, all levels, with reports.
    pub fn subtree(root: &unit::Model) -> Self {
        Scope {
            root: Some(ScopeRoot {
                id: root.id,
                level: root.level,
                path: root.path.clone(),
            }),
            finest: UnitLevel::Commune,
            reports: true,
        }
    }

    /// Aggregates at `finest` and above, nationwide, without reports: what a
    /// request without a key sees by default.
    pub fn public(finest: UnitLevel) -> Self {
        Scope {
            root: None,
            finest,
            reports: false,
        }
    }

    /// Whether nothing is hidden.
    pub fn is_everything(&self) -> bool {
        self.root.is_none() && self.finest == UnitLevel::Commune && self.reports
    }

    /// The subtree's path prefix (`/` for the whole country).
    pub fn path_prefix(&self) -> &str {
        self.root.as_ref().map_or("/", |r| r.path.as_str())
    }

    /// The levels visible, when not all are.
    pub fn visible_levels(&self) -> Option<Vec<UnitLevel>> {
        use sea_orm::Iterable;
        (self.finest != UnitLevel::Commune)
            .then(|| UnitLevel::iter().filter(|l| *l <= self.finest).collect())
    }

    /// The scope root's path, when the scope is a subtree.
    pub fn root_path(&self) -> Option<String> {
        self.root.as_ref().map(|r| r.path.clone())
    }

    /// Whether a unit at `path` and `level` is visible.
    pub fn permits_path(&self, path: &str, level: UnitLevel) -> bool {
        level <= self.finest && path.starts_with(self.path_prefix())
    }

    /// Whether the unit is visible.
    pub fn permits(&self, unit: &unit::Model) -> bool {
        self.permits_path(&unit.path, unit.level)
    }

    /// The unit if it is visible, `FORBIDDEN` otherwise (saying nothing
    /// about the unit).
    pub fn check(&self, unit: &unit::Model) -> Result<(), AppError> {
        if self.permits(unit) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "this unit is outside your scope".into(),
            ))
        }
    }

    /// Whether the unit with this id, in the rollup engine's tree, is
    /// visible (for checks of thousands of rows without a query).
    pub fn permits_id(&self, tree: &crate::engine::Snapshot, unit_id: i64) -> bool {
        let Some(u) = tree.index_of(unit_id) else {
            return false;
        };
        if tree.unit(u).level > self.finest {
            return false;
        }
        let Some(root) = &self.root else {
            return true;
        };
        let mut at = Some(u);
        while let Some(a) = at {
            if tree.unit(a).id == root.id {
                return true;
            }
            at = tree.parent(a);
        }
        false
    }

    /// `FORBIDDEN` unless every unit of `unit_ids` (rows of a batch, in
    /// order) is visible; the error names the rows, not the units.
    pub fn check_rows(
        &self,
        tree: &crate::engine::Snapshot,
        unit_ids: impl Iterator<Item = i64>,
    ) -> Result<(), AppError> {
        if self.is_everything() {
            return Ok(());
        }
        let outside: Vec<usize> = unit_ids
            .enumerate()
            .filter(|(_, id)| !self.permits_id(tree, *id))
            .map(|(i, _)| i)
            .collect();
        if outside.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = outside.iter().take(20).map(|i| i.to_string()).collect();
        Err(AppError::Forbidden(format!(
            "{} row(s) are for units outside your scope (rows {}{}); nothing was written",
            outside.len(),
            shown.join(", "),
            if outside.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        )))
    }

    /// `FORBIDDEN` unless reports are visible.
    pub fn check_reports(&self) -> Result<(), AppError> {
        if self.reports {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "reports and their history need an API key".into(),
            ))
        }
    }

    /// Whether a whole level-wide list (a ranking of every unit of `level`
    /// under `within`) stays inside the scope. `within` is the ancestor's
    /// path (`None`: the whole country).
    pub fn permits_population(&self, level: UnitLevel, within: Option<&str>) -> bool {
        if level > self.finest {
            return false;
        }
        within.unwrap_or("/").starts_with(self.path_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, level: UnitLevel, path: &str) -> unit::Model {
        unit::Model {
            id,
            level,
            code: id.to_string(),
            name: String::new(),
            short_name: String::new(),
            division_type: String::new(),
            search_key: String::new(),
            parent_id: None,
            path: path.into(),
            depth: 0,
            valid_from: chrono::NaiveDate::MIN,
            valid_to: None,
        }
    }

    #[test]
    fn a_subtree_sees_itself_and_below_only() {
        let ha_tinh = unit(43, UnitLevel::Province, "/1/43/");
        let scope = Scope::subtree(&ha_tinh);
        assert!(scope.permits(&ha_tinh));
        assert!(scope.permits(&unit(520, UnitLevel::District, "/1/43/520/")));
        assert!(!scope.permits(&unit(1, UnitLevel::Ministry, "/1/")));
        assert!(!scope.permits(&unit(49, UnitLevel::Province, "/1/49/")));
        // A sibling whose id starts with the same digits.
        assert!(!scope.permits(&unit(430, UnitLevel::Province, "/1/430/")));
        assert!(scope.permits_population(UnitLevel::Commune, Some("/1/43/")));
        assert!(!scope.permits_population(UnitLevel::Province, None));
    }

    #[test]
    fn the_public_sees_provinces_and_above() {
        let scope = Scope::public(UnitLevel::Province);
        assert!(scope.permits(&unit(1, UnitLevel::Ministry, "/1/")));
        assert!(scope.permits(&unit(43, UnitLevel::Province, "/1/43/")));
        assert!(!scope.permits(&unit(520, UnitLevel::District, "/1/43/520/")));
        assert!(scope.permits_population(UnitLevel::Province, None));
        assert!(!scope.permits_population(UnitLevel::Commune, Some("/1/43/")));
        assert!(scope.check_reports().is_err());
    }
}
