//! The engine as the server holds it: the current snapshot, replaced
//! whole when the data changes, read without locks by requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{Mutex, watch};

use super::directory::UnitDirectory;
use super::fence::Fence;
use super::ranks::RankCache;
use super::snapshot::Snapshot;
use super::snapshot::build;
use crate::store;
use crate::store::changes::{self, Logged};

/// Shared handle to the current snapshot.
#[derive(Debug)]
pub struct Engine {
    current: watch::Sender<Option<Arc<Snapshot>>>,
    /// Held while a new snapshot is being made (a rebuild or a catch-up), so
    /// that versions are installed one after another, never twice.
    writer: Mutex<()>,
    /// Reads of the committed version, shared by concurrent requests.
    fence: Arc<Fence>,
    /// Rankings of the current data version, bounded in bytes, handed to
    /// every snapshot installed.
    rankings: Arc<RankCache>,
    /// How long a request waits for the first snapshot, in milliseconds
    /// (`--warm-up-wait-ms`).
    warm_up_ms: std::sync::atomic::AtomicU64,
    /// What this replica last heard from the database.
    contact: Contact,
}

/// What a replica last heard from its database: whether it answers, and
/// when it last confirmed that the installed snapshot holds every
/// committed write. While it does not answer, reads are served from memory
/// and marked stale, writes are refused at once, and [`Engine::follow`]
/// asks again every second.
#[derive(Debug, Default)]
struct Contact {
    /// Whether the last question to the database went unanswered.
    unreachable: AtomicBool,
    /// When the database last confirmed the snapshot current (milliseconds
    /// since the Unix epoch; 0: never).
    confirmed_ms: AtomicI64,
}

/// How a request's answer stands against the database: `extensions.freshness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// The data version of the numbers answered.
    pub data_version: i64,
    /// When the database last confirmed that this replica held every
    /// committed write (milliseconds since the Unix epoch), if ever.
    pub confirmed_ms: Option<i64>,
    /// Whether the answer could not be checked against the database (it
    /// did not answer): the numbers may miss writes committed since
    /// `confirmed_ms`.
    pub stale: bool,
}

/// How long a request waits for the database to say which version is
/// committed before it answers from memory, marked stale.
pub const FENCE_WAIT: Duration = Duration::from_secs(1);

/// How long the follower waits for the database to answer a probe.
const PROBE_WAIT: Duration = Duration::from_secs(1);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Engine {
    /// An engine with no snapshot yet that keeps at most `bytes` of
    /// rankings (`--rank-cache-mb`).
    pub fn with_rank_cache(bytes: u64) -> Arc<Self> {
        Arc::new(Engine {
            current: watch::channel(None).0,
            writer: Mutex::new(()),
            fence: Arc::new(Fence::default()),
            rankings: Arc::new(RankCache::new(bytes)),
            warm_up_ms: std::sync::atomic::AtomicU64::new(1_000),
            contact: Contact::default(),
        })
    }

    /// Sets how long a request waits for the first snapshot.
    pub fn set_warm_up_wait(&self, wait: Duration) {
        self.warm_up_ms.store(
            u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The current snapshot for a request: at once when there is one,
    /// else after waiting for the first at most the warm-up wait (`None`:
    /// still warming up, to be answered `UNAVAILABLE`).
    pub async fn snapshot_for_request(&self) -> Option<Arc<Snapshot>> {
        let wait = self.warm_up_ms.load(std::sync::atomic::Ordering::Relaxed);
        self.snapshot(Duration::from_millis(wait)).await
    }

    /// The rankings kept for the current data version, held beside the
    /// snapshot (every snapshot installed shares it; it forgets rankings
    /// of older data versions by itself).
    pub fn rankings(&self) -> &Arc<RankCache> {
        &self.rankings
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

    /// The installed snapshot, if there is one (without waiting).
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.borrow().clone()
    }

    /// Whether a snapshot is installed.
    pub fn is_ready(&self) -> bool {
        self.current.borrow().is_some()
    }

    /// The data version of the installed snapshot.
    pub fn version(&self) -> Option<i64> {
        self.current.borrow().as_ref().map(|s| s.version())
    }

    /// Installs a snapshot; requests that start afterwards read it.
    pub fn install(&self, snapshot: Snapshot) {
        self.current.send_replace(Some(Arc::new(snapshot)));
    }

    /// Reads every row the engine needs from the database, installs a new
    /// snapshot, then replays any change committed meanwhile.
    pub async fn rebuild(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let _writer = self.writer.lock().await;
        self.rebuild_locked(db).await?;
        self.catch_up_locked(db).await
    }

    /// Brings the snapshot up to the committed data version by replaying the
    /// change log (a write calls this after its commit, so that its caller
    /// reads its own numbers; replicas call it when told of a change). Does
    /// nothing before the first snapshot: the build replays the log itself.
    pub async fn catch_up(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        if !self.is_ready() {
            return Ok(());
        }
        let _writer = self.writer.lock().await;
        self.catch_up_locked(db).await
    }

    /// Brings the snapshot up to every write committed before this call,
    /// on this replica or any other: the read fence of a request that must
    /// not answer from older data (see [`super::fence`]). Costs one shared
    /// query when the snapshot is already current. Does nothing before the
    /// first snapshot (rollup fields wait for it, and it is built current).
    ///
    /// While the database does not answer (this call waits at most
    /// [`FENCE_WAIT`] for it), it fails at once: the request is answered
    /// from memory, marked stale, and the follower asks the database again
    /// every second.
    pub async fn reach_committed(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let Some(mine) = self.version() else {
            return Ok(());
        };
        if self.is_unreachable() {
            return Err(DbErr::Custom("the database does not answer".into()));
        }
        let asked = now_ms();
        let committed = match tokio::time::timeout(FENCE_WAIT, self.fence.committed(db)).await {
            Ok(Ok(committed)) => committed,
            Ok(Err(err)) => {
                self.lost_contact();
                return Err(err);
            }
            Err(_) => {
                self.lost_contact();
                return Err(DbErr::Custom(format!(
                    "the database did not say its version within {} ms",
                    FENCE_WAIT.as_millis()
                )));
            }
        };
        if committed > mine {
            let _writer = self.writer.lock().await;
            // Another request may have caught up while this one waited.
            if self.version().is_none_or(|v| v < committed) {
                self.catch_up_locked(db).await?;
            }
        }
        self.confirmed(asked, committed);
        Ok(())
    }

    /// Whether the database went unanswered the last time it was asked
    /// (writes are then refused at once, as `UNAVAILABLE`).
    pub fn is_unreachable(&self) -> bool {
        self.contact.unreachable.load(Ordering::Acquire)
    }

    fn lost_contact(&self) {
        if !self.contact.unreachable.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                "the database does not answer: serving reads from memory, refusing writes"
            );
        }
    }

    /// The database answered, at `asked_ms`, that `committed` is the
    /// committed version, and the snapshot holds it.
    fn confirmed(&self, asked_ms: i64, committed: i64) {
        if self.version().is_some_and(|v| v >= committed) {
            self.contact
                .confirmed_ms
                .fetch_max(asked_ms, Ordering::AcqRel);
        }
        if self.contact.unreachable.swap(false, Ordering::AcqRel) {
            tracing::info!("the database answers again");
        }
    }

    /// How an answer read from the installed snapshot stands (`fenced`:
    /// whether its request's read fence held). `None` before the first
    /// snapshot.
    pub fn freshness(&self, fenced: bool) -> Option<Freshness> {
        let data_version = self.data_version()?;
        let confirmed_ms = self.contact.confirmed_ms.load(Ordering::Acquire);
        Some(Freshness {
            data_version,
            confirmed_ms: (confirmed_ms > 0).then_some(confirmed_ms),
            stale: !fenced,
        })
    }

    /// The data version of the installed snapshot's data (see
    /// [`Snapshot::data_version`]).
    pub fn data_version(&self) -> Option<i64> {
        self.current.borrow().as_ref().map(|s| s.data_version())
    }

    async fn catch_up_locked(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let Some(mut snapshot) = self.current.borrow().clone() else {
            return Ok(());
        };
        let pending = changes::since(db, snapshot.version()).await?;
        for (version, logged) in pending {
            if version <= snapshot.version() {
                // A rebuild earlier in this loop read past this entry.
                continue;
            }
            let next = match logged {
                Logged::Rebuild => None,
                Logged::Access => Some(snapshot.moved_to(version)),
                Logged::Delta(change) => {
                    let needed = snapshot.stock_rows_needed(&change);
                    let rows = store::engine::stocks_of(db, &needed).await?;
                    let base = snapshot.clone();
                    tokio::task::spawn_blocking(move || base.apply(version, &change, &rows).ok())
                        .await
                        .map_err(|err| DbErr::Custom(format!("engine update failed: {err}")))?
                }
            };
            match next {
                Some(next) => {
                    self.install(next);
                }
                None => {
                    self.rebuild_locked(db).await?;
                }
            }
            let Some(now) = self.current.borrow().clone() else {
                return Ok(());
            };
            snapshot = now;
        }
        Ok(())
    }

    /// Reads a consistent image of the tables: the data version before and
    /// after the reads must agree (every write bumps it in its transaction),
    /// else a write committed in between and the read starts again. After a
    /// few tries the reads run while holding the write lock.
    async fn rebuild_locked(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let started = Instant::now();
        let asked = now_ms();
        let mut attempt = 0;
        let (version, rows, builder, stocks) = loop {
            attempt += 1;
            if attempt > 3 {
                let txn = changes::hold_writes(db).await?;
                let version = changes::current(&txn).await?;
                let rows = store::units::all(&txn).await?;
                let lineage = store::lineage::all(&txn).await?;
                let mut builder = build::Builder::new(store::engine::units(&txn).await?, &lineage);
                let stocks = store::engine::stocks(&txn).await?;
                store::engine::reports_in(&txn, |r| builder.report(r)).await?;
                txn.rollback().await?;
                break (version, rows, builder, stocks);
            }
            let before = changes::current(db).await?;
            let rows = store::units::all(db).await?;
            let lineage = store::lineage::all(db).await?;
            let mut builder = build::Builder::new(store::engine::units(db).await?, &lineage);
            let stocks = store::engine::stocks(db).await?;
            store::engine::reports(db, |r| builder.report(r)).await?;
            if changes::current(db).await? == before {
                break (before, rows, builder, stocks);
            }
        };
        let read = started.elapsed();
        let snapshot = tokio::task::spawn_blocking(move || {
            builder.finish(&stocks, version, UnitDirectory::new(rows))
        })
        .await
        .map_err(|err| DbErr::Custom(format!("engine build failed: {err}")))?;
        tracing::info!(
            version,
            units = snapshot.unit_count(),
            rows = snapshot.source_rows(),
            read_seconds = read.as_secs_f64(),
            total_seconds = started.elapsed().as_secs_f64(),
            "rollup engine ready"
        );
        self.install(snapshot);
        // The image read is the committed data as of when the reads began.
        self.confirmed(asked, version);
        release_freed_memory();
        Ok(())
    }
}

/// How often a replica checks the data version when no notification came
/// (SQLite has none; on PostgreSQL it covers a lost connection).
const POLL: Duration = Duration::from_secs(1);

impl Engine {
    /// Keeps this replica's snapshot in step with writes made by other
    /// processes: on PostgreSQL it listens for the version notifications
    /// that every write sends at commit; everywhere it also polls the data
    /// version. Runs until the process ends.
    ///
    /// Every second it also asks the database which version is committed
    /// (at most [`PROBE_WAIT`]): that probe is how a replica learns that
    /// the database answers again after an outage, and catches up by itself.
    pub async fn follow(self: Arc<Self>, db: DatabaseConnection) {
        let mut listener = None;
        loop {
            if db.get_database_backend() == sea_orm::DbBackend::Postgres
                && listener.is_none()
                && !self.is_unreachable()
            {
                listener = tokio::time::timeout(PROBE_WAIT, listen(&db))
                    .await
                    .ok()
                    .flatten();
            }
            let notified = match listener.as_mut() {
                Some(l) => match tokio::time::timeout(POLL, l.recv()).await {
                    Ok(Ok(_)) => true,
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, "lost the change notifications; reconnecting");
                        listener = None;
                        false
                    }
                    Err(_) => false,
                },
                None => {
                    tokio::time::sleep(POLL).await;
                    false
                }
            };
            let asked = now_ms();
            let committed = match tokio::time::timeout(PROBE_WAIT, changes::current(&db)).await {
                Ok(Ok(committed)) => committed,
                _ => {
                    self.lost_contact();
                    // The notifications' connection went with the rest.
                    listener = None;
                    continue;
                }
            };
            let behind = self.version().is_some_and(|mine| committed > mine);
            if notified || behind {
                if let Err(err) = self.catch_up(&db).await {
                    tracing::warn!(error = %err, "could not catch up with the change log");
                    continue;
                }
            }
            self.confirmed(asked, committed);
        }
    }
}

async fn listen(db: &DatabaseConnection) -> Option<sea_orm::sqlx::postgres::PgListener> {
    let mut listener =
        sea_orm::sqlx::postgres::PgListener::connect_with(db.get_postgres_connection_pool())
            .await
            .ok()?;
    listener.listen(changes::CHANNEL).await.ok()?;
    Some(listener)
}

/// Gives the memory freed after a build back to the operating system: the
/// allocator's (mimalloc, which would otherwise return it over the first
/// seconds of load) and the C library's (SQLite's page cache, and the
/// arenas of the worker threads that decoded rows).
#[allow(unsafe_code)]
fn release_freed_memory() {
    // SAFETY: mi_collect only returns free pages of the allocator's heaps
    // and segments; it has no preconditions.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it has no
    // preconditions and touches no memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
