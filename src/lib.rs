//! tiendo ("tiến độ", progress): the GraphQL API that follows the Đề án 06
//! campaigns — chip ID cards (CCCD) issued and VNeID accounts activated,
//! unit by unit, day by day.
//!
//! Data flows one way, and nothing below knows about anything above it:
//!
//! - [`http`]: the router, GraphQL over HTTP, GraphiQL, `/healthz`.
//! - [`access`]: API keys, roles and scopes, the cost model and budgets,
//!   trusted documents, the audit log.
//! - [`graphql`]: schema roots and one module per type (unit, campaign,
//!   team, catalog), each with its loaders; Relay connections and node IDs.
//! - [`engine`]: the rollup engine: flows and stocks in memory, periods,
//!   rankings, completion, target projections.
//! - [`store`]: data access as plain async functions over sea-orm.
//! - [`demo`]: the real 2023 unit map and the reference scenario.
//! - [`model`]: the vocabulary every layer shares (days, flows and stocks,
//!   rows and row codes, changes); it imports nothing of the crate.
//! - [`config`], [`cli`], [`error`], [`text`]: the cross-cutting parts.
//!
//! The binary only parses arguments and calls [`cli::run`]. The server takes
//! an already-bound listener and a shutdown future ([`serve`]), so tests bind
//! port 0 and stop it when they are done.

pub mod access;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod model;
pub mod store;
pub mod text;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

pub use config::Config;
pub use graphql::{Schemas, TiendoSchema, build_schema};

/// What every request handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The executable schema, with and without field suggestions.
    pub schemas: Schemas,
    /// The configuration the server runs with.
    pub config: Arc<Config>,
    /// The rollup engine (current snapshot of the numbers).
    pub engine: Arc<engine::Engine>,
    /// Keys, budgets and trusted documents of this replica.
    pub access: Arc<access::AccessState>,
    /// The access checks around execution (cost, limits, budget).
    pub guard: Arc<access::guard::Guard>,
    /// Slots for parsing and running requests with large bodies
    /// (`--large-request-slots`).
    pub large_requests: Arc<tokio::sync::Semaphore>,
    /// Bytes of large bodies being received (`--upload-buffer-mb`).
    pub upload_buffer: Arc<http::UploadBuffer>,
    /// The response cache (`None` with `--no-response-cache`).
    pub cache: Option<Arc<http::cache::ResponseCache>>,
}

impl AppState {
    /// State for a server over `db` configured by `config`.
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        let bounds = config.serve.bounds.clone();
        let access = Arc::new(access::AccessState::new(
            config.serve.access.settings(),
            &bounds.access(),
        ));
        let schemas = Schemas::new(db.clone(), &config.serve.limits);
        let guard = Arc::new(graphql::guard(
            &config.serve.limits,
            access.budgets.clone(),
            config::mib(bounds.parse_cache_mb),
        ));
        let front = config.serve.front_door.clone();
        let cache = (!config.serve.no_response_cache).then(|| {
            Arc::new(http::cache::ResponseCache::new(
                config.serve.response_cache_mb.saturating_mul(1024 * 1024),
            ))
        });
        AppState {
            large_requests: Arc::new(tokio::sync::Semaphore::new(
                front.large_request_slots.max(1),
            )),
            upload_buffer: Arc::new(http::UploadBuffer::new(config::mib(front.upload_buffer_mb))),
            guard,
            cache,
            db,
            schemas,
            engine: {
                let engine = engine::Engine::with_rank_cache(config::mib(bounds.rank_cache_mb));
                engine.set_warm_up_wait(warm_up_wait(&config));
                engine
            },
            config: Arc::new(config),
            access,
        }
    }
}

/// The configured wait for the engine's first snapshot.
fn warm_up_wait(config: &Config) -> std::time::Duration {
    std::time::Duration::from_millis(config.serve.limits.warm_up_wait_ms)
}

impl AppState {
    /// The same state over an engine that already holds a snapshot of this
    /// database (tests share one across copies of a template database).
    pub fn with_engine(mut self, engine: Arc<engine::Engine>) -> Self {
        engine.set_warm_up_wait(warm_up_wait(&self.config));
        self.engine = engine;
        self
    }
}

/// Aborts a background task when the server stops.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The application's router.
pub fn app(state: AppState) -> Router {
    http::router(state)
}

/// Serves on `listener` until `shutdown` completes, then lets requests in
/// flight finish. The rollup engine is built in the background: the server
/// answers at once, and rollup fields wait for the first snapshot.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let engine = state.engine.clone();
    let db = state.db.clone();
    let follower = tokio::spawn(async move {
        // The first build is retried until it succeeds: a database that is
        // down when the server starts delays readiness, nothing more.
        while !engine.is_ready() {
            if let Err(err) = engine.rebuild(&db).await {
                tracing::error!(error = %err, "the rollup engine could not be built; retrying in 2 s");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
        engine.follow(db).await;
    });
    let _stop_following = AbortOnDrop(follower);
    let front = &state.config.serve.front_door;
    let limits = http::serve::ConnectionLimits {
        max_connections: front.max_connections,
        header_read_timeout: std::time::Duration::from_millis(front.header_read_timeout_ms.max(1)),
    };
    http::serve::serve(listener, app(state), limits, shutdown).await
}
