//! Access: who the caller is, the audit log and registered documents
//! (administrators only).

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::ContextExt;
use super::connection::{self, Conn};
use super::unit::Unit;
use crate::access::{Role, documents};
use crate::error::AppError;
use crate::store;

/// The GraphQL type `Viewer`, described on its `#[Object]` impl (the
/// description partner ministries read).
pub struct Viewer;

/// The caller of this request, as its API key (or its absence) makes it.
#[Object]
impl Viewer {
    /// The key's name (`anonymous` without a key).
    async fn name(&self, ctx: &Context<'_>) -> String {
        ctx.caller().name.clone()
    }

    /// The role the request runs with.
    async fn role(&self, ctx: &Context<'_>) -> Role {
        ctx.caller().role
    }

    /// The root of the caller's scope; `null` for the whole country.
    async fn scope(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        match &ctx.scope().root {
            Some(root) => super::shared::load_unit(ctx, root.id, "the caller's scope")
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// Whether reports and their history are visible.
    async fn sees_reports(&self, ctx: &Context<'_>) -> bool {
        ctx.scope().reports
    }

    /// Whether only registered documents run.
    async fn allow_list_only(&self, ctx: &Context<'_>) -> bool {
        ctx.caller().allow_list_only
    }
}

/// One mutation request, as the audit log keeps it.
#[derive(SimpleObject)]
pub struct AuditEntry {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// The API key's id (`null` without a key).
    pub key_id: Option<ID>,
    /// The key's name.
    pub actor: String,
    /// The role it ran with (lower case).
    pub role: String,
    /// The operation name it gave, if any.
    pub operation_name: Option<String>,
    /// The mutation fields it asked for, comma-separated.
    pub fields: String,
    /// SHA-256 of its variables as sent (hex).
    pub variables_digest: String,
    /// Whether it ran without errors.
    pub succeeded: bool,
}

/// Root fields for access.
#[derive(Default)]
pub struct AccessQuery;

#[Object]
impl AccessQuery {
    /// Who is calling: role and scope of the request's key.
    ///
    /// Cost model: every connection needs `first` (0 to 100). A request may
    /// touch at most 50,000 nodes (configurable), counted as GitHub does:
    /// each connection's `first` times the `first` of every connection
    /// around it, summed; lists count their items (`nodes(ids)` its ids,
    /// `series` its buckets). Its cost in points is 1 + its nodes + 10 per
    /// mutation field, charged before it runs from a budget that refills
    /// every second (60,000 points and 6,000 a second per key, 10,000 and
    /// 1,000 per address without one, by default); what it did not use is
    /// given back. Every response's `extensions.cost` gives
    /// `requestedQueryCost`, `actualQueryCost`, `nodes` and `throttleStatus`
    /// (`maximumAvailable`, `currentlyAvailable`, `restoreRate`). Over budget:
    /// `RATE_LIMITED` with `extensions.retryAfterSeconds` and HTTP 429.
    async fn viewer(&self) -> Viewer {
        Viewer
    }

    /// The audit log, newest first (ADMIN only).
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, 0 to 100.")] first: Option<i32>,
        #[graphql(desc = "Return the entries after this cursor.")] after: Option<String>,
    ) -> Result<Conn<AuditEntry>> {
        ctx.caller().check_admin()?;
        let page = connection::page(ctx.limits(), first, after)?;
        Ok(connection::paged(
            ctx,
            page,
            store::access::audit_page(ctx.db(), page),
            || store::access::audit_count(ctx.db()),
            |r| r.id,
            |r| AuditEntry {
                at: r.at,
                key_id: r.key_id.map(|k| ID(k.to_string())),
                actor: r.actor,
                role: r.role,
                operation_name: r.operation_name,
                fields: r.fields,
                variables_digest: r.variables_digest,
                succeeded: r.succeeded,
            },
        )
        .await?)
    }
}

/// A registered (trusted) document.
#[derive(SimpleObject)]
pub struct TrustedDocument {
    /// SHA-256 of the document, hex: what `persistedQuery.sha256Hash` sends.
    pub sha256_hash: String,
    /// The operation name, for people.
    pub name: Option<String>,
}

/// Access mutations (ADMIN only).
#[derive(Default)]
pub struct AccessMutation;

#[Object]
impl AccessMutation {
    /// Registers a document for the allow-list (and as a persisted query).
    /// Registering it again changes nothing.
    async fn register_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document's text, exactly as clients will send it.")] document: String,
        #[graphql(desc = "A name for people.")] name: Option<String>,
    ) -> Result<TrustedDocument> {
        ctx.caller().check_admin()?;
        if async_graphql::parser::parse_query(&document).is_err() {
            return Err(AppError::bad_input("document", "not a GraphQL document").into());
        }
        let hash = documents::hash(&document);
        let stored =
            store::access::register_document(ctx.db(), &hash, &document, name, &ctx.caller().name)
                .await
                .map_err(AppError::from)?;
        Ok(TrustedDocument {
            sha256_hash: stored.hash,
            name: stored.name,
        })
    }
}
