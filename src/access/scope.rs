//! What part of the hierarchy a caller may see, and how deep.
//!
//! A scope is a subtree (a unit and everything below it) and the finest
//! level visible in it, together with what every caller reads: the
//! aggregates of the public levels (`--anonymous-level`, none under
//! `--no-anonymous`), nationwide. A key adds to what the public reads and
//! never takes away: a Hà Tĩnh officer reads the national province
//! ranking as the news does, and Hà Tĩnh's rank "of 63".
//!
//! Two questions, asked apart:
//!
//! - **Reads of aggregates** (units, rollups, ranks, rankings, completion,
//!   first-to-complete, campaigns and teams through their unit): the
//!   subtree at its levels *or* a public level anywhere —
//!   [`Scope::permits`], [`Scope::check`], [`Scope::permits_population`].
//! - **Reports, their history and every write**: strictly inside the
//!   subtree — [`Scope::owns`], [`Scope::check_owned`],
//!   [`Scope::check_reports_of`], [`Scope::owns_id`].
//!
//! Every path that yields a unit to a client goes through one of them, so
//! nested fields (`children`, `parent`, `node`, rankings, search,
//! reports) cannot reach outside.

use entity::unit::{self, UnitLevel};

use crate::error::AppError;
use crate::store::units::Visibility;

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
    /// The same territory in the other map: the largest units of the other
    /// map that lie wholly inside the root's territory (see
    /// [`crate::engine::Snapshot::inside_other_map`]), each with its
    /// subtree. Never wider than the root: a Quảng Nam (2023) key holds
    /// the 2025 communes that took only Quảng Nam's land, not Đà Nẵng
    /// (2025).
    pub also: Vec<ScopeRoot>,
    /// The finest level the caller sees (`Commune`: everything).
    pub finest: UnitLevel,
    /// Whether reports and their history are visible (not only rollups).
    pub reports: bool,
    /// The finest level whose aggregates every caller reads nationwide
    /// (the server's public levels); `None` when the server serves no
    /// caller without a key.
    pub public: Option<UnitLevel>,
}

impl Scope {
    /// Everything.
    pub fn everything() -> Self {
        Scope {
            root: None,
            also: Vec::new(),
            finest: UnitLevel::Commune,
            reports: true,
            public: None,
        }
    }

    /// One unit's subtree, all levels, with reports; and the aggregates of
    /// the public levels (`public`: the server's, `None` when it serves no
    /// caller without a key).
    pub fn subtree(root: &unit::Model, public: Option<UnitLevel>) -> Self {
        Scope {
            root: Some(ScopeRoot {
                id: root.id,
                level: root.level,
                path: root.path.clone(),
            }),
            also: Vec::new(),
            finest: UnitLevel::Commune,
            reports: true,
            public,
        }
    }

    /// Aggregates at `finest` and above, nationwide, without reports: what a
    /// request without a key sees by default.
    pub fn public(finest: UnitLevel) -> Self {
        Scope {
            root: None,
            also: Vec::new(),
            finest,
            reports: false,
            public: Some(finest),
        }
    }

    /// The scope with its territory in the other map read from `tree`'s
    /// lineage (nothing added when the tree does not hold the root).
    pub fn across_maps(mut self, tree: &crate::engine::Snapshot) -> Self {
        let Some(root) = self.root.as_ref().and_then(|r| tree.index_of(r.id)) else {
            return self;
        };
        self.also = tree
            .inside_other_map(root)
            .into_iter()
            .filter_map(|u| {
                let model = tree.directory().get(tree.unit_id(u))?;
                Some(ScopeRoot {
                    id: model.id,
                    level: model.level,
                    path: model.path.clone(),
                })
            })
            .collect();
        self
    }

    /// Whether the unit with this id is a root of the scope: its root, or
    /// one of the largest units of its territory in the other map.
    pub fn is_root(&self, id: i64) -> bool {
        self.root.as_ref().is_some_and(|r| r.id == id) || self.also.iter().any(|r| r.id == id)
    }

    /// The path prefixes of the subtree: the root's, and those of its
    /// territory in the other map.
    fn prefixes(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.path_prefix()).chain(self.also.iter().map(|r| r.path.as_str()))
    }

    /// Whether nothing is hidden.
    pub fn is_everything(&self) -> bool {
        self.root.is_none() && self.finest == UnitLevel::Commune && self.reports
    }

    /// The subtree's path prefix (`/` for the whole country).
    pub fn path_prefix(&self) -> &str {
        self.root.as_ref().map_or("/", |r| r.path.as_str())
    }

    /// Whether `level` is read nationwide by every caller.
    pub fn is_public(&self, level: UnitLevel) -> bool {
        self.public.is_some_and(|p| level <= p)
    }

    /// Which units a list may return, as a filter the store applies;
    /// `None` when every unit is visible.
    pub fn visibility(&self) -> Option<Visibility> {
        use sea_orm::Iterable;
        if self.root.is_none() && self.finest == UnitLevel::Commune {
            return None;
        }
        let up_to = |finest: UnitLevel| -> Vec<UnitLevel> {
            UnitLevel::iter().filter(|l| *l <= finest).collect()
        };
        // The subtree adds nothing where the public levels already reach
        // its levels everywhere.
        let subtrees = if self.is_public(self.finest) {
            Vec::new()
        } else {
            self.prefixes()
                .map(|p| (p.to_owned(), up_to(self.finest)))
                .collect()
        };
        Some(Visibility {
            subtrees,
            public_levels: self.public.map(up_to),
        })
    }

    /// Whether a unit at `path` and `level` is in the subtree, at its
    /// levels.
    pub fn owns_path(&self, path: &str, level: UnitLevel) -> bool {
        level <= self.finest && self.prefixes().any(|p| path.starts_with(p))
    }

    /// Whether the aggregates of a unit at `path` and `level` are visible:
    /// in the subtree, or at a public level.
    pub fn permits_path(&self, path: &str, level: UnitLevel) -> bool {
        self.owns_path(path, level) || self.is_public(level)
    }

    /// Whether the unit's aggregates are visible.
    pub fn permits(&self, unit: &unit::Model) -> bool {
        self.permits_path(&unit.path, unit.level)
    }

    /// Whether the unit is in the subtree (its reports, and writes to it).
    pub fn owns(&self, unit: &unit::Model) -> bool {
        self.owns_path(&unit.path, unit.level)
    }

    /// The unit's aggregates if they are visible, `FORBIDDEN` otherwise
    /// (saying nothing about the unit).
    pub fn check(&self, unit: &unit::Model) -> Result<(), AppError> {
        if self.permits(unit) {
            Ok(())
        } else {
            Err(outside())
        }
    }

    /// `FORBIDDEN` unless the unit is in the subtree: writes to a unit,
    /// and to what belongs to it (campaigns, teams).
    pub fn check_owned(&self, unit: &unit::Model) -> Result<(), AppError> {
        if self.owns(unit) {
            Ok(())
        } else {
            Err(outside())
        }
    }

    /// Whether the unit with this id, in the rollup engine's tree, is in
    /// the subtree (for checks of thousands of written rows without a
    /// query).
    pub fn owns_id(&self, tree: &crate::engine::Snapshot, unit_id: i64) -> bool {
        let Some(u) = tree.index_of(unit_id) else {
            return false;
        };
        if tree.unit(u).level > self.finest {
            return false;
        }
        if self.root.is_none() {
            return true;
        }
        let mut at = Some(u);
        while let Some(a) = at {
            if self.is_root(tree.unit(a).id) {
                return true;
            }
            at = tree.parent(a);
        }
        false
    }

    /// `FORBIDDEN` unless every unit of `unit_ids` (rows of a batch, in
    /// order) is in the subtree; the error names the rows, not the units.
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
            .filter(|(_, id)| !self.owns_id(tree, *id))
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

    /// `FORBIDDEN` unless reports are visible at all.
    pub fn check_reports(&self) -> Result<(), AppError> {
        if self.reports {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "reports and their history need an API key".into(),
            ))
        }
    }

    /// `FORBIDDEN` unless the reports of `unit`'s subtree are visible: a
    /// key reads reports only inside its own subtree, also where it reads
    /// the aggregates as the public does.
    pub fn check_reports_of(&self, unit: &unit::Model) -> Result<(), AppError> {
        self.check_reports()?;
        if self.owns(unit) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "reports and their history outside your scope are not visible".into(),
            ))
        }
    }

    /// Whether a whole level-wide list (a ranking of every unit of `level`
    /// under `within`) is visible: a public level anywhere, or the
    /// subtree's levels inside it. `within` is the ancestor's path (`None`:
    /// the whole country).
    pub fn permits_population(&self, level: UnitLevel, within: Option<&str>) -> bool {
        if self.is_public(level) {
            return true;
        }
        if level > self.finest {
            return false;
        }
        let within = within.unwrap_or("/");
        self.prefixes().any(|p| within.starts_with(p))
    }
}

fn outside() -> AppError {
    AppError::Forbidden("this unit is outside your scope".into())
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
            map: unit::AdminMap::Vn2023,
        }
    }

    #[test]
    fn a_subtree_sees_itself_and_below_only() {
        let ha_tinh = unit(43, UnitLevel::Province, "/1/43/");
        let scope = Scope::subtree(&ha_tinh, None);
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
    fn a_key_reads_the_public_levels_but_owns_only_its_subtree() {
        let ha_tinh = unit(43, UnitLevel::Province, "/1/43/");
        let quang_nam = unit(49, UnitLevel::Province, "/1/49/");
        let scope = Scope::subtree(&ha_tinh, Some(UnitLevel::Province));
        assert!(scope.permits(&quang_nam) && !scope.owns(&quang_nam));
        assert!(scope.check_owned(&quang_nam).is_err());
        assert!(scope.check_reports_of(&quang_nam).is_err());
        assert!(scope.check_reports_of(&ha_tinh).is_ok());
        assert!(!scope.permits(&unit(600, UnitLevel::District, "/1/49/600/")));
        assert!(scope.permits_population(UnitLevel::Province, None));
        assert!(!scope.permits_population(UnitLevel::District, Some("/1/49/")));
        // Without a public, nothing is added.
        let closed = Scope::subtree(&ha_tinh, None);
        assert!(!closed.permits(&quang_nam));
        assert!(!closed.permits_population(UnitLevel::Province, None));
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
