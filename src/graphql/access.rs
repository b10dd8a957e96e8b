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

    /// The bounds this server holds requests to, as its operator set
    /// them, and the caller's points budget: the numbers the rest of the
    /// schema's descriptions refer to by name.
    async fn limits(&self, ctx: &Context<'_>) -> RequestLimits {
        let limits = ctx.limits();
        let budget = ctx.caller().budget;
        let int = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        RequestLimits {
            max_page_size: int(limits.max_page_size as u64),
            max_nodes: int(limits.max_nodes),
            max_depth: int(limits.max_depth as u64),
            max_aliases: int(limits.max_aliases as u64),
            max_directives: int(limits.max_directives as u64),
            max_batch_operations: int(limits.max_batch_operations as u64),
            max_batch_rows: int(limits.max_batch_rows as u64),
            max_report_value: int(limits.max_report_value.max(0) as u64),
            max_body_bytes: int(limits.max_body_bytes as u64),
            query_timeout_ms: int(limits.query_timeout_ms),
            budget_points: int(budget.points),
            budget_refill_per_second: int(budget.per_second),
        }
    }
}

/// The bounds a request is held to on this server (each set by the
/// operator; the README lists the defaults). A number above 2,147,483,647
/// reads as that.
#[derive(SimpleObject)]
pub struct RequestLimits {
    /// The largest `first` of any connection, and the most IDs `nodes`
    /// takes.
    pub max_page_size: i32,
    /// The most nodes one request may touch: each connection's `first`
    /// times the `first` of every connection around it, summed (as GitHub
    /// counts them); lists count their items.
    pub max_nodes: i32,
    /// The deepest selection nesting of a document.
    pub max_depth: i32,
    /// The most aliased fields in one document.
    pub max_aliases: i32,
    /// The most directives in one document.
    pub max_directives: i32,
    /// The most operations in one batched request (a JSON array).
    pub max_batch_operations: i32,
    /// The most reports one `submitReports` call may carry.
    pub max_batch_rows: i32,
    /// The largest value of one report field (one unit, one day); a larger
    /// one is refused as `VALUE_TOO_LARGE`.
    pub max_report_value: i32,
    /// The largest request body, in bytes.
    pub max_body_bytes: i32,
    /// The longest a request may run, in milliseconds (`TIMEOUT` after).
    pub query_timeout_ms: i32,
    /// The caller's points budget: the most it can spend at once.
    pub budget_points: i32,
    /// Points given back to the caller every second.
    pub budget_refill_per_second: i32,
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
    /// Cost model: every connection needs `first` (0 to
    /// `viewer.limits.maxPageSize`). A request may touch at most
    /// `viewer.limits.maxNodes` nodes, counted as GitHub does: each
    /// connection's `first` times the `first` of every connection around
    /// it, summed; lists count their items (`nodes(ids)` its ids, `series`
    /// its buckets). Its cost in points is 1 + its nodes + 10 per mutation
    /// field, charged before it runs from a budget of
    /// `viewer.limits.budgetPoints` that refills by
    /// `viewer.limits.budgetRefillPerSecond` every second; what it did not
    /// use is given back. Every response's `extensions.cost` gives
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
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
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
        if crate::access::guard::parse_document(&document).is_err() {
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
