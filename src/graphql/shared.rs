//! What several GraphQL types share: naming a unit in an input, loading
//! the unit a row refers to, and the scope checks on a unit id that
//! campaigns, teams and reports run before they answer or write.

use async_graphql::{Context, Result};
use entity::unit::{AdminMap as StoredMap, Model};
use futures_util::FutureExt;

use super::ContextExt;
use super::unit::{AdminMap, Unit, UnitLevel, loader};
use crate::access::Scope;
use crate::error::AppError;

/// A unit named by level and code, e.g. `{ level: COMMUNE, code: "18586" }`,
/// optionally with its map.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct UnitRefInput {
    /// The unit's level.
    pub level: UnitLevel,
    /// The unit's code at that level (statistics office code).
    pub code: String,
    /// The map the code is of. Omitted: for a report or a stock value, the
    /// map in force on its day (VN2023 until 2025-06-30, VN2025 from
    /// 2025-07-01); elsewhere, the map in force today.
    pub map: Option<AdminMap>,
}

impl UnitRefInput {
    /// The map this reference means: the one it names, else the one in
    /// force on `day`.
    pub fn map_on(&self, day: chrono::NaiveDate) -> StoredMap {
        self.map
            .map_or_else(|| StoredMap::in_force_on(day), Into::into)
    }

    /// The map this reference means outside reports: the one it names,
    /// else the one in force today.
    pub fn map_today(&self) -> StoredMap {
        map_or_today(self.map)
    }
}

/// The unit `r` names, in the map it names or else in `default`;
/// `BAD_USER_INPUT` on `argument` when that map has no such unit.
pub(crate) async fn unit_of(
    ctx: &Context<'_>,
    r: &UnitRefInput,
    default: StoredMap,
    argument: &str,
) -> Result<Model> {
    let map = r.map.map_or(default, Into::into);
    crate::store::units::by_level_code(ctx.db(), map, r.level.into(), &r.code)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| {
            AppError::bad_input(
                argument,
                format!("no unit {:?} {} in the {} map", r.level, r.code, map.name()),
            )
            .into()
        })
}

/// The map asked for, else the map in force today (in Vietnam): the
/// default of every root field that finds, lists or ranks units.
pub fn map_or_today(map: Option<AdminMap>) -> StoredMap {
    map.map_or_else(
        || StoredMap::in_force_on(crate::model::day::date(crate::model::day::today())),
        Into::into,
    )
}

/// The map of a field beneath a unit or `within` one: the map asked for,
/// which must be that unit's own (`BAD_USER_INPUT` on `map` otherwise),
/// else that unit's.
pub fn map_of_within(asked: Option<AdminMap>, within: StoredMap) -> Result<StoredMap, AppError> {
    match asked.map(StoredMap::from) {
        Some(asked) if asked != within => Err(AppError::bad_input(
            "map",
            format!(
                "`within` is a unit of the {} map, not of {}",
                within.name(),
                asked.name()
            ),
        )),
        _ => Ok(within),
    }
}

/// The unit with this id through the request's loader; a missing row is an
/// internal error (`what` says who referred to it, for the log).
pub(crate) async fn load_unit(ctx: &Context<'_>, unit_id: i64, what: &str) -> Result<Unit> {
    // In memory once the engine holds the tree: no loader round (a ranking
    // asks for 63 units at once, and a loader would wait a tick for them).
    // The request's own snapshot first, which takes no reference to the
    // shared one.
    let snapshot = &ctx.loaders().snapshot;
    let in_memory = snapshot
        .with_pinned(|s| s.directory().get(unit_id).cloned())
        .flatten()
        .or_else(|| {
            loader::with_directory(snapshot.engine())
                .and_then(|s| s.directory().get(unit_id).cloned())
        });
    if let Some(model) = in_memory {
        return Unit::visible(ctx, model);
    }
    let model = unit_row(ctx, unit_id, what).await?;
    Unit::visible(ctx, model)
}

/// The unit row with this id through the request's loader; a missing row
/// is an internal error (`what` says who referred to it, for the log).
async fn unit_row(ctx: &Context<'_>, unit_id: i64, what: &str) -> Result<std::sync::Arc<Model>> {
    let row = ctx.loaders().units.load_one(unit_id).boxed().await?;
    Ok(row.ok_or_else(|| {
        AppError::Internal(format!("{what} refers to unit {unit_id}, which has no row"))
    })?)
}

/// `FORBIDDEN` unless the caller reads the aggregates of the unit with
/// this id (campaigns and teams are visible through their unit).
pub(crate) async fn check_unit_id(ctx: &Context<'_>, unit_id: i64) -> Result<()> {
    check_unit_id_as(ctx, unit_id, Scope::check).await
}

/// `FORBIDDEN` unless the unit with this id is inside the caller's
/// subtree: what writes to it, and its reports, need.
pub(crate) async fn check_owned_unit_id(ctx: &Context<'_>, unit_id: i64) -> Result<()> {
    check_unit_id_as(ctx, unit_id, Scope::check_owned).await
}

async fn check_unit_id_as(
    ctx: &Context<'_>,
    unit_id: i64,
    check: fn(&Scope, &Model) -> Result<(), AppError>,
) -> Result<()> {
    if ctx.scope().is_everything() {
        return Ok(());
    }
    let model = unit_row(ctx, unit_id, "a scope check").await?;
    check(ctx.scope(), &model)?;
    Ok(())
}
