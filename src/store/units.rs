//! Reads of the unit tree.
//!
//! The tables hold both maps (see `entity::unit::AdminMap`); every read of
//! a tree, a level or a code names the map it reads.

use entity::unit::{self, AdminMap, UnitLevel};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::Page;
use super::page::escape_like;

/// Units by id, in no particular order.
pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<unit::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    unit::Entity::find()
        .filter(unit::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// Every unit of both maps (the rollup engine keeps them in memory).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<unit::Model>, DbErr> {
    unit::Entity::find()
        .order_by_asc(unit::Column::Id)
        .all(db)
        .await
}

/// The unit of `map` with this level and code. When the code has several
/// versions (validity ranges), the latest is returned.
pub async fn by_level_code(
    db: &DatabaseConnection,
    map: AdminMap,
    level: UnitLevel,
    code: &str,
) -> Result<Option<unit::Model>, DbErr> {
    unit::Entity::find()
        .filter(unit::Column::Map.eq(map))
        .filter(unit::Column::Level.eq(level))
        .filter(unit::Column::Code.eq(code))
        .order_by_desc(unit::Column::ValidFrom)
        .one(db)
        .await
}

/// The root of one map's tree (the ministry).
pub async fn root(db: &DatabaseConnection, map: AdminMap) -> Result<Option<unit::Model>, DbErr> {
    unit::Entity::find()
        .filter(unit::Column::Map.eq(map))
        .filter(unit::Column::ParentId.is_null())
        .order_by_asc(unit::Column::Id)
        .one(db)
        .await
}

/// The children of every given parent, in one statement, sorted by parent
/// then id (ids follow the statistics office's code order).
pub async fn children_of(
    db: &DatabaseConnection,
    parent_ids: &[i64],
) -> Result<Vec<unit::Model>, DbErr> {
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    unit::Entity::find()
        .filter(unit::Column::ParentId.is_in(parent_ids.iter().copied()))
        .order_by_asc(unit::Column::ParentId)
        .order_by_asc(unit::Column::Id)
        .all(db)
        .await
}

/// Which units a listing or search wants.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    /// Only units of this map; `None`: both.
    pub map: Option<AdminMap>,
    /// Folded search text (see [`crate::text::fold`]); matched anywhere in
    /// the folded name, or exactly against the code when it is all digits.
    pub search: Option<String>,
    /// Only units of this level.
    pub level: Option<UnitLevel>,
    /// Only units strictly below the unit with this materialised path.
    pub within_path: Option<String>,
    /// Only the units the caller sees; `None`: all.
    pub visible: Option<Visibility>,
}

/// Which units a caller sees: those of some levels in a subtree, or those
/// of the public levels anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    /// Subtrees' path prefixes and the levels visible in each.
    pub subtrees: Vec<(String, Vec<UnitLevel>)>,
    /// The levels visible everywhere.
    pub public_levels: Option<Vec<UnitLevel>>,
}

impl Visibility {
    /// The condition on the `units` table.
    pub fn condition(&self) -> Condition {
        let mut any = Condition::any();
        for (path, levels) in &self.subtrees {
            any = any.add(
                Condition::all()
                    .add(super::page::in_subtree_of(path))
                    .add(unit::Column::Level.is_in(levels.iter().copied())),
            );
        }
        if let Some(levels) = &self.public_levels {
            any = any.add(unit::Column::Level.is_in(levels.iter().copied()));
        }
        any
    }
}

impl UnitFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(map) = self.map {
            cond = cond.add(unit::Column::Map.eq(map));
        }
        if self.search.as_deref() == Some("") {
            // Text made only of punctuation folds to nothing: it matches
            // nothing (rather than everything).
            cond = cond.add(Expr::value(1).eq(0));
        }
        if let Some(search) = self.search.as_deref().filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(search));
            let mut any = Condition::any()
                .add(Expr::col(unit::Column::SearchKey).like(LikeExpr::new(pattern).escape('\\')));
            if search.bytes().all(|b| b.is_ascii_digit()) {
                any = any.add(unit::Column::Code.eq(search.trim_start_matches('0')));
            }
            cond = cond.add(any);
        }
        if let Some(level) = self.level {
            cond = cond.add(unit::Column::Level.eq(level));
        }
        if let Some(path) = &self.within_path {
            cond = cond
                .add(super::page::in_subtree_of(path))
                .add(unit::Column::Path.ne(path.as_str()));
        }
        if let Some(visible) = &self.visible {
            cond = cond.add(visible.condition());
        }
        cond
    }
}

/// One page of the units matching `filter`, ordered by id (which orders by
/// level, then code). Returns the rows and whether more follow.
pub async fn list(
    db: &DatabaseConnection,
    filter: &UnitFilter,
    page: Page,
) -> Result<(Vec<unit::Model>, bool), DbErr> {
    let mut query = unit::Entity::find().filter(filter.condition());
    if let Some(after) = page.after_id {
        query = query.filter(unit::Column::Id.gt(after));
    }
    let mut rows = query
        .order_by_asc(unit::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    let has_next = rows.len() > page.first;
    rows.truncate(page.first);
    Ok((rows, has_next))
}

/// How many units match `filter`.
pub async fn count(db: &DatabaseConnection, filter: &UnitFilter) -> Result<u64, DbErr> {
    unit::Entity::find()
        .filter(filter.condition())
        .count(db)
        .await
}

/// How many units the database holds (0 means "load the demo").
pub async fn count_all(db: &DatabaseConnection) -> Result<u64, DbErr> {
    unit::Entity::find().count(db).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(super::escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
