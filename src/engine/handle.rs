//! The engine as the server holds it: the current snapshot, replaced
//! whole when the data changes, read without locks by requests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::watch;

use super::build;
use super::snapshot::Snapshot;
use crate::store;

/// Shared handle to the current snapshot.
#[derive(Debug)]
pub struct Engine {
    current: watch::Sender<Option<Arc<Snapshot>>>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            current: watch::channel(None).0,
        }
    }
}

impl Engine {
    /// An engine with no snapshot yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Engine::default())
    }

    /// The current snapshot, waiting up to `timeout` for the first one.
    pub async fn snapshot(&self, timeout: Duration) -> Option<Arc<Snapshot>> {
        let mut rx = self.current.subscribe();
        let ready = tokio::time::timeout(timeout, rx.wait_for(Option::is_some)).await;
        match ready {
            Ok(Ok(guard)) => guard.clone(),
            _ => None,
        }
    }

    /// Whether a snapshot is installed.
    pub fn is_ready(&self) -> bool {
        self.current.borrow().is_some()
    }

    /// Installs a snapshot; requests that start afterwards read it.
    pub fn install(&self, snapshot: Snapshot) {
        self.current.send_replace(Some(Arc::new(snapshot)));
    }

    /// Reads every row the engine needs from the database and installs a
    /// new snapshot.
    pub async fn rebuild(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let started = Instant::now();
        let units = store::engine::units(db).await?;
        let stocks = store::engine::stocks(db).await?;
        let reports = store::engine::reports(db).await?;
        let read = started.elapsed();
        let snapshot = tokio::task::spawn_blocking(move || build::build(units, &stocks, &reports))
            .await
            .map_err(|err| DbErr::Custom(format!("engine build failed: {err}")))?;
        tracing::info!(
            units = snapshot.unit_count(),
            rows = snapshot.source_rows(),
            read_seconds = read.as_secs_f64(),
            total_seconds = started.elapsed().as_secs_f64(),
            "rollup engine ready"
        );
        self.install(snapshot);
        release_freed_memory();
        Ok(())
    }
}

/// Gives the memory freed after a build back to the operating system.
/// Reading millions of rows on several worker threads leaves glibc's
/// per-thread arenas holding hundreds of megabytes they no longer use.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no
    // preconditions and touches no memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
