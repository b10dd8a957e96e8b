//! Data access: plain `async fn`s over a sea-orm connection.
//!
//! Nothing here knows about GraphQL or HTTP, so every function can be tested
//! on its own. Functions that serve loaders take many keys and issue one
//! statement per call (`WHERE id IN (…)`), never one per key.
//!
//! May import: `entity`, [`crate::model`] and [`crate::text`], nothing above
//! (`tests/layers.rs` checks it).

pub mod access;
pub mod campaigns;
pub mod changes;
pub mod engine;
pub mod faults;
pub mod import;
pub mod lineage;
pub mod page;
pub mod planning;
pub mod reports;
pub mod sql;
pub mod stocks;
pub mod teams;
pub mod units;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, TransactionTrait,
};

pub use page::Page;

/// Opens the database named by `url`, creating the SQLite file's folder when
/// needed, and tunes the connection for this workload (WAL on SQLite).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_sized(url, None).await
}

/// Connections of a file SQLite database's pool when none is configured
/// (WAL readers run in parallel; writers queue on the file lock).
pub const SQLITE_POOL_SIZE: u32 = 8;

/// Connections of a PostgreSQL pool when none is configured.
pub const POSTGRES_POOL_SIZE: u32 = 16;

/// [`connect`] with a pool of at most `max_connections` (`None`: the
/// defaults above). An in-memory SQLite database always has one
/// connection: a second would open a different, empty database.
pub async fn connect_sized(
    url: &str,
    max_connections: Option<u32>,
) -> Result<DatabaseConnection, DbErr> {
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        if let Some(dir) = sqlite_file_dir(url) {
            std::fs::create_dir_all(&dir).map_err(|err| {
                DbErr::Custom(format!("cannot create folder {}: {err}", dir.display()))
            })?;
        }
    }
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(faults::ACQUIRE_TIMEOUT)
        .acquire_timeout(faults::ACQUIRE_TIMEOUT);
    if is_sqlite {
        let size = if in_memory {
            1
        } else {
            max_connections.unwrap_or(SQLITE_POOL_SIZE).max(1)
        };
        options.max_connections(size).min_connections(1);
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(faults::SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .pragma("cache_size", "-16384")
                .pragma("temp_store", "memory")
        });
    } else {
        options
            .max_connections(max_connections.unwrap_or(POSTGRES_POOL_SIZE).max(1))
            .min_connections(1);
    }
    if url.starts_with("postgres") {
        // A pool retries a refused connection until its acquire timeout and
        // then reports only "pool timed out". One direct connection first
        // fails fast with the real reason (refused, unknown database, …).
        use sea_orm::sqlx::Connection;
        let attempt = tokio::time::timeout(
            Duration::from_secs(10),
            sea_orm::sqlx::postgres::PgConnection::connect(url),
        )
        .await
        .map_err(|_| DbErr::Custom("no answer within 10 s".into()))?;
        let conn = attempt.map_err(|err| {
            DbErr::Custom(match err.as_database_error() {
                Some(db_err) => db_err.message().to_owned(),
                None => err.to_string(),
            })
        })?;
        let _ = conn.close().await;
    }
    Database::connect(options).await
}

/// The folder of an SQLite file URL (`sqlite://data/x.sqlite?mode=rwc` →
/// `data`), if it names a file in a folder.
fn sqlite_file_dir(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    (!parent.as_os_str().is_empty()).then(|| parent.to_path_buf())
}

/// Brings the schema up to date, in one transaction under an advisory lock
/// on PostgreSQL, so replicas starting together migrate once and the others
/// wait, then find nothing to do. (DDL is transactional on both databases.)
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    lock(&txn, Lock::Schema).await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// Start-up jobs that only one replica may run at a time.
#[derive(Debug, Clone, Copy)]
pub enum Lock {
    /// Migrating the schema.
    Schema,
    /// Loading the demo into an empty database.
    Demo,
}

impl Lock {
    /// The advisory-lock key ("tien" and a number).
    fn key(self) -> i64 {
        match self {
            Lock::Schema => 0x7469_656E_0001,
            Lock::Demo => 0x7469_656E_0002,
        }
    }
}

/// Takes `lock` until the end of `txn` (PostgreSQL advisory lock). SQLite
/// needs none: its writers are serialised by the database file lock.
pub async fn lock(txn: &DatabaseTransaction, lock: Lock) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({})", lock.key()))
            .await?;
    }
    Ok(())
}

/// Whether the database answers (for `/healthz`).
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// Which SQL dialect the connection speaks.
pub fn backend(db: &DatabaseConnection) -> DbBackend {
    db.get_database_backend()
}
