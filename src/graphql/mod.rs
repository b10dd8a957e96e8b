//! The GraphQL layer: schema roots, one module per type, Relay plumbing.
//!
//! Resolvers build no SQL: they call [`crate::store`] (through the per-request
//! loaders that sit beside each type) and wrap the rows in output types.

pub mod access;
pub mod campaign;
pub mod catalog;
pub mod connection;
pub mod context;
pub mod ids;
pub mod loaders;
pub mod node;
pub mod ranking;
pub mod report;
pub mod rollup;
pub mod scalars;
pub mod team;
pub mod unit;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::config::Limits;

pub use context::ContextExt;
pub use loaders::Loaders;

/// The query root: every domain's root fields, merged.
#[derive(MergedObject, Default)]
pub struct Query(
    unit::UnitQuery,
    campaign::CampaignQuery,
    node::NodeQuery,
    catalog::CatalogQuery,
    ranking::RankingQuery,
    access::AccessQuery,
);

/// The mutation root: every domain's mutations, merged.
#[derive(MergedObject, Default)]
pub struct Mutation(
    report::ReportMutation,
    campaign::CampaignMutation,
    team::TeamMutation,
    access::AccessMutation,
);

/// The executable schema.
pub type TiendoSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with its limits; `db` is shared by every request.
/// Per-request data (the loaders, the caller) is attached by the HTTP
/// layer, which also applies the access checks around execution (see
/// [`crate::access::guard`]): the schema has no extension, so fields
/// resolve on async-graphql's plain path.
pub fn build_schema(db: DatabaseConnection, limits: &Limits) -> TiendoSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(db)
        .data(limits.clone())
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish()
}

/// The schema's types, as the cost walk reads them (async-graphql keeps
/// its own registry private to the schema).
pub fn registry() -> async_graphql::registry::Registry {
    use async_graphql::OutputType;
    let mut registry = async_graphql::registry::Registry {
        query_type: Query::type_name().into_owned(),
        mutation_type: Some(Mutation::type_name().into_owned()),
        ..Default::default()
    };
    Query::create_type_info(&mut registry);
    Mutation::create_type_info(&mut registry);
    registry
}

/// The access guard of a server with these limits.
pub fn guard(
    limits: &Limits,
    budgets: std::sync::Arc<crate::access::budget::Budgets>,
    parse_cache_bytes: u64,
) -> crate::access::guard::Guard {
    crate::access::guard::Guard::new(
        registry(),
        crate::access::cost::CostLimits {
            max_page: limits.max_page_size as u64,
            max_nodes: limits.max_nodes,
            max_aliases: limits.max_aliases,
            max_directives: limits.max_directives,
        },
        budgets,
        parse_cache_bytes,
    )
}

/// The SDL of the schema, as `tiendo export-schema` prints it and
/// `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
