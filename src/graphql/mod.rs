//! The GraphQL layer: schema roots, one module per type, Relay plumbing.
//!
//! Resolvers build no SQL: they call [`crate::store`] (through the per-request
//! loaders that sit beside each type) and wrap the rows in output types.
//!
//! May import every layer below it: [`crate::access`], [`crate::ingest`],
//! [`crate::engine`], [`crate::store`], [`crate::model`], [`crate::text`], [`crate::error`]
//! and [`crate::config`]; never [`crate::http`].

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
pub mod shared;
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
    described().data(db).data(limits.clone()).finish()
}

/// The executable schema twice over: with field suggestions ("Did you
/// mean …?") in validation messages for callers who may explore the
/// schema, and without them for those who may not (suggestions would name
/// what introspection hides). Chosen per request, so no message is edited
/// after the fact.
#[derive(Clone)]
pub struct Schemas {
    exploring: TiendoSchema,
    plain: TiendoSchema,
}

impl Schemas {
    /// Both schemas over `db`, with these limits.
    pub fn new(db: DatabaseConnection, limits: &Limits) -> Self {
        Schemas {
            exploring: build_schema(db.clone(), limits),
            plain: described()
                .data(db)
                .data(limits.clone())
                .disable_suggestions()
                .finish(),
        }
    }

    /// The schema a request runs on: `introspection` is whether its caller
    /// may explore the schema.
    pub fn for_caller(&self, introspection: bool) -> &TiendoSchema {
        if introspection {
            &self.exploring
        } else {
            &self.plain
        }
    }
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
            max_depth: limits.max_depth,
            max_complexity: limits.max_complexity,
        },
        budgets,
        parse_cache_bytes,
    )
}

/// The SDL of the schema, as `tiendo export-schema` prints it and
/// `schema.graphql` holds it.
pub fn sdl() -> String {
    described().finish().sdl()
}

/// The schema with descriptions for the types async-graphql generates (the
/// Relay connections) or brings (`DateTime`), which have no doc comment of
/// ours to read.
fn described() -> async_graphql::SchemaBuilder<Query, Mutation, EmptySubscription> {
    use connection::Conn;
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(
            "An instant in time, written in RFC 3339 with its offset, always UTC \
             (`2023-04-15T10:00:00Z`; 17:00 in Vietnam).",
        )
        .override_output_type_description::<Conn<unit::Unit>>(CONNECTION_OF_UNITS)
        .override_output_type_description::<Conn<campaign::Campaign>>(
            "A page of campaigns (a Relay connection).",
        )
        .override_output_type_description::<Conn<team::Team>>(
            "A page of teams (a Relay connection).",
        )
        .override_output_type_description::<Conn<report::Report>>(
            "A page of daily reports (a Relay connection).",
        )
        .override_output_type_description::<Conn<report::ReportChange>>(
            "A page of a report's changes, newest first (a Relay connection).",
        )
        .override_output_type_description::<Conn<ranking::RankingEntry>>(
            "A page of a ranking, in rank order (a Relay connection).",
        )
        .override_output_type_description::<Conn<ranking::CompletionEntry>>(
            "A page of units in the order they first completed (a Relay connection).",
        )
        .override_output_type_description::<Conn<access::AuditEntry>>(
            "A page of the audit log, newest first (a Relay connection).",
        )
}

/// How every connection reads, said once on the commonest one.
const CONNECTION_OF_UNITS: &str = "A page of units (a Relay connection). Every connection \
    of this API reads the same way: `edges` (each with a `cursor` and its \
    `node`) or `nodes`, `pageInfo` to ask for the next page with `after: \
    endCursor`, and `totalCount` (counted only when asked). Cursors are \
    opaque and stay valid while rows are added.";
