//! What several GraphQL types share: naming a unit in an input, loading
//! the unit a row refers to, and the scope checks on a unit id that
//! campaigns, teams and reports run before they answer or write.

use async_graphql::{Context, Result};
use entity::unit::Model;
use futures_util::FutureExt;

use super::ContextExt;
use super::unit::{Unit, UnitLevel, loader};
use crate::access::Scope;
use crate::error::AppError;

/// A unit named by level and code, e.g. `{ level: COMMUNE, code: "18586" }`.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct UnitRefInput {
    /// The unit's level.
    pub level: UnitLevel,
    /// The unit's code at that level (statistics office code).
    pub code: String,
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
