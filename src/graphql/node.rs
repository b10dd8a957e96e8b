//! The Relay `Node` interface and `node(id:)` / `nodes(ids:)`.

use async_graphql::{Context, ID, Interface, Object, Result};

use super::ContextExt;
use super::campaign::Campaign;
use super::ids::{self, NodeType};
use super::report::Report;
use super::shared::{check_owned_unit_id, check_unit_id};
use super::team::Team;
use super::unit::Unit;
use crate::error::AppError;

/// An object with a global ID, refetchable through `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global ID of the object."))]
pub enum Node {
    /// A police unit.
    Unit(Unit),
    /// A campaign.
    Campaign(Campaign),
    /// A team.
    Team(Team),
    /// A daily report.
    Report(Report),
}

/// Root fields for refetching by global ID.
#[derive(Default)]
pub struct NodeQuery;

async fn fetch(ctx: &Context<'_>, id: &ID, argument: &str) -> Result<Option<Node>> {
    let loaders = ctx.loaders();
    let node = match ids::decode(id, argument)? {
        (NodeType::Unit, n) => match loaders.units.load_one(n).await? {
            Some(m) => Some(Node::Unit(Unit::visible(ctx, m)?)),
            None => None,
        },
        (NodeType::Campaign, n) => match loaders.campaigns.load_one(n).await? {
            Some(m) => {
                check_unit_id(ctx, m.scope_unit_id).await?;
                Some(Node::Campaign(Campaign(m)))
            }
            None => None,
        },
        (NodeType::Team, n) => match loaders.teams.load_one(n).await? {
            Some(m) => {
                check_unit_id(ctx, m.unit_id).await?;
                Some(Node::Team(Team(m)))
            }
            None => None,
        },
        (NodeType::Report, n) => {
            ctx.scope().check_reports()?;
            match loaders.reports.load_one(n).await? {
                Some(m) => {
                    check_owned_unit_id(ctx, m.unit_id).await?;
                    Some(Node::Report(Report(m)))
                }
                None => None,
            }
        }
    };
    Ok(node)
}

#[Object]
impl NodeQuery {
    /// The object with this global ID; `null` with a `NOT_FOUND` error when
    /// there is none, `BAD_USER_INPUT` when the ID is malformed.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID.")] id: ID,
    ) -> Result<Option<Node>> {
        match fetch(ctx, &id, "id").await? {
            Some(node) => Ok(Some(node)),
            None => Err(AppError::NotFound(format!("node {}", id.as_str())).into()),
        }
    }

    /// The objects with these global IDs, in the same order; `null` for
    /// each one that does not exist. At most `viewer.limits.maxPageSize`
    /// IDs.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs, at most `viewer.limits.maxPageSize`.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > ctx.limits().max_page_size {
            return Err(AppError::bad_input(
                "ids",
                format!("at most {} IDs", ctx.limits().max_page_size),
            )
            .into());
        }
        // All at once, so the loaders batch them into one statement per type.
        let fetched = async_graphql::futures_util::future::join_all(
            ids.iter().map(|id| fetch(ctx, id, "ids")),
        )
        .await;
        fetched.into_iter().collect()
    }
}
