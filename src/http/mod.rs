//! HTTP: the router, GraphQL over HTTP, GraphiQL and the health check.
//!
//! GraphQL over HTTP follows the GraphQL-over-HTTP specification:
//!
//! - `POST /graphql` takes `application/json` (one request, or a batch as a
//!   JSON array of at most `--max-batch-operations`). Any other content
//!   type — among them the three a browser may send cross-site without a
//!   CORS preflight — is refused with 415, so no mutation can ride on a
//!   CORS "simple request" (CSRF).
//! - `GET /graphql?query=…` runs queries only; a mutation → 405.
//! - A request that is not a well-formed GraphQL-over-HTTP request (no
//!   body, JSON that does not parse, `query` missing or not a string,
//!   `variables` or `extensions` not an object or null, `operationName` not
//!   a string or null) is refused with 400, whatever the client accepts.
//! - The response's media type follows `Accept` ([`wire::negotiate`]): a
//!   client that prefers `application/graphql-response+json` gets it, with
//!   the status codes the specification gives: 200 when the request was
//!   executed (even with field errors), 4xx when it was not (parse,
//!   validation, cost refusal). A client that accepts `application/json`
//!   (or `*/*`, or sends no `Accept`) gets 200 for every well-formed
//!   request. One that accepts neither gets 406. Whatever the media type,
//!   an unusable key is 401, a spent budget 429 with `Retry-After`.
//! - While the rollup engine warms up, a request that needs it waits at
//!   most `--warm-up-wait-ms` and is answered `UNAVAILABLE` (with
//!   `extensions.retryAfterSeconds`); under
//!   `application/graphql-response+json`, when nothing was answered
//!   (`data` null), that is 503 with `Retry-After`.
//! - `GET /livez`: 200 while the process runs. `GET /readyz`: 200 only when
//!   the database answers and the engine has its first snapshot and has
//!   caught up with the database's committed data version (what a load
//!   balancer asks before sending traffic), 503 otherwise. `GET /healthz`:
//!   200 when the database answers.
//! - A response to a request error (nothing was executed) has no `data`
//!   entry, only `errors` (and `extensions`); an executed one has `data`.
//!
//! May import everything: it is the top of the one-way arrows.

pub mod cache;
pub mod client;
mod handlers;
mod pipeline;
mod reply;
pub mod serve;
mod wire;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;

pub use self::handlers::UploadBuffer;
use self::handlers::*;

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.serve.limits.max_body_bytes;
    let cors = cors(&state.config.serve.access.cors_origins);
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TraceLayer::new_for_http());
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    router.with_state(state)
}

/// CORS for the configured origins (none: no CORS headers at all, so
/// browsers keep other sites from reading responses).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(Duration::from_secs(600));
    Some(if origins.iter().any(|o| o == "*") {
        layer.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        layer.allow_origin(list)
    })
}

/// `GET /livez`: 200 while the process runs; checks nothing else.
async fn livez() -> impl IntoResponse {
    (StatusCode::OK, "live")
}

/// `GET /readyz`: 200 when rollups are answered with data as fresh as the
/// database's (the engine holds a snapshot and has caught up with the
/// committed data version), 503 with the reason otherwise.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let not_ready = |why: &'static str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(
                header::RETRY_AFTER,
                crate::error::UNAVAILABLE_RETRY_SECONDS.to_string(),
            )],
            why,
        )
            .into_response()
    };
    if let Err(err) = crate::store::ping(&state.db).await {
        tracing::warn!(error = %err, "readiness: database does not answer");
        return not_ready("database unavailable");
    }
    if !state.engine.is_ready() {
        return not_ready("the rollup engine is warming up");
    }
    // The read fence: catch up with every committed write first.
    if let Err(err) = state.engine.reach_committed(&state.db).await {
        tracing::warn!(error = %err, "readiness: cannot catch up with the database");
        return not_ready("the rollup engine cannot catch up with the database");
    }
    (StatusCode::OK, "ready").into_response()
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::store::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
