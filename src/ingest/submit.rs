//! The write path as the API runs it: check, write in one transaction
//! (retried when the database asks for it), then bring the rollup engine
//! up to the new version before answering, so the caller reads its own
//! numbers.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use entity::report;
use sea_orm::{DatabaseConnection, DbErr};

use super::validate::Directory;
use crate::access::Scope;
use crate::engine::Engine;
use crate::error::{AppError, AppResult};
use crate::model::day::today;
use crate::model::rows::{ReportRow, StockRow};
use crate::store::reports::{self, Correction, Refused, Submitted, WriteResult};
use crate::store::stocks;

/// Attempts of a write that the database refused for contention.
const ATTEMPTS: u32 = 8;

/// Whether the database refused a write for contention (a lock, a deadlock,
/// a serialisation failure) rather than for the data: such a write is
/// retried, never shown to the client. Decided by the database's own code,
/// never by its message: PostgreSQL's SQLSTATE (`40001` serialization
/// failure, `40P01` deadlock, `55P03` lock not available) and SQLite's
/// primary result code (`SQLITE_BUSY` 5, `SQLITE_LOCKED` 6, whatever the
/// extended code).
pub fn is_transient(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    use sea_orm::sqlx::error::DatabaseError as _;
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx))
    | DbErr::Conn(RuntimeErr::SqlxError(sqlx))) = err
    else {
        return false;
    };
    let Error::Database(database) = sqlx.as_ref() else {
        return false;
    };
    if let Some(sqlite) = database.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>() {
        let primary = sqlite
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .map(|code| code & 0xff);
        return matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED));
    }
    if let Some(postgres) = database.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
    {
        return matches!(postgres.code(), "40001" | "40P01" | "55P03");
    }
    false
}

/// SQLite's primary result codes for a database held by another writer.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

/// Runs a write, retrying contention failures with a growing pause.
pub async fn retrying<T, F, Fut>(mut write: F) -> Result<T, DbErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbErr>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write().await {
            Err(err) if attempt < ATTEMPTS && is_transient(&err) => {
                tracing::debug!(error = %err, attempt, "write retried after contention");
                tokio::time::sleep(Duration::from_millis(5 << attempt.min(7))).await;
            }
            other => return other,
        }
    }
}

/// The write path's dependencies.
#[derive(Clone)]
pub struct Writer {
    pub db: DatabaseConnection,
    pub engine: Arc<Engine>,
    /// The sanity ceiling of one report value.
    pub ceiling: i64,
    /// The units the caller may write (the scope of its key).
    pub scope: Scope,
}

fn refused(refusal: Refused) -> AppError {
    match refusal {
        Refused::Rows(rows) => AppError::Rows(rows),
        Refused::VersionConflict { current } => AppError::VersionConflict { current },
        Refused::NotFound => AppError::NotFound("report".into()),
        Refused::ReasonRequired => AppError::bad_input(
            "reason",
            "the report is verified: correcting it needs a reason",
        ),
    }
}

impl Writer {
    async fn directory(&self) -> AppResult<Directory> {
        let tree = self
            .engine
            .snapshot_for_request()
            .await
            .ok_or(AppError::Unavailable("the rollup engine is still loading"))?;
        Ok(Directory::load(&self.db, tree, today(), self.ceiling).await?)
    }

    /// After a committed write: the engine catches up, so reads that follow
    /// see it. A failure here leaves the write committed; the next write or
    /// change notice catches up.
    async fn settle(&self) {
        if let Err(err) = self.engine.catch_up(&self.db).await {
            tracing::error!(error = %err, "the rollup engine could not catch up after a write");
        }
    }

    async fn finish<T>(&self, result: WriteResult<T>) -> AppResult<T> {
        match result? {
            Ok(done) => {
                self.settle().await;
                Ok(done)
            }
            Err(refusal) => Err(refused(refusal)),
        }
    }

    /// `FORBIDDEN` unless the report's unit is in the caller's scope (an
    /// unknown report passes: the write says `NOT_FOUND`).
    async fn check_report_scope(&self, directory: &Directory, report_id: i64) -> AppResult<()> {
        if self.scope.is_everything() {
            return Ok(());
        }
        let found = reports::by_ids(&self.db, &[report_id]).await?;
        match found.first() {
            Some(report) if !self.scope.owns_id(directory.tree(), report.unit_id) => Err(
                AppError::Forbidden("the report is for a unit outside your scope".into()),
            ),
            _ => Ok(()),
        }
    }

    /// Submits a batch of reports: all or nothing.
    pub async fn submit_reports(&self, rows: &[ReportRow], actor: &str) -> AppResult<Submitted> {
        let started = std::time::Instant::now();
        let directory = self.directory().await?;
        let valid = directory
            .check_reports(rows, |i| i)
            .map_err(AppError::Rows)?;
        self.scope
            .check_rows(directory.tree(), valid.iter().map(|r| r.unit_id))?;
        let checked = started.elapsed();
        let positions: Vec<usize> = (0..valid.len()).collect();
        let result = retrying(|| reports::submit(&self.db, &valid, &positions, actor)).await;
        let written = started.elapsed();
        let done = self.finish(result).await;
        tracing::debug!(
            rows = rows.len(),
            check_ms = checked.as_secs_f64() * 1e3,
            write_ms = (written - checked).as_secs_f64() * 1e3,
            engine_ms = (started.elapsed() - written).as_secs_f64() * 1e3,
            "reports submitted"
        );
        done
    }

    /// Corrects one report (optimistic concurrency on its version).
    pub async fn correct_report(
        &self,
        correction: &Correction,
        actor: &str,
    ) -> AppResult<report::Model> {
        let directory = self.directory().await?;
        self.check_report_scope(&directory, correction.report_id)
            .await?;
        for (field, value) in correction.values.named() {
            if let Some(v) = value {
                let row = directory.check_value_alone(v);
                if let Some((code, message)) = row {
                    return Err(AppError::bad_input(
                        format!("values.{field}"),
                        format!("{message} ({code})"),
                    ));
                }
            }
        }
        let result = retrying(|| reports::correct(&self.db, correction, actor)).await;
        self.finish(result).await.map(|(m, _)| m)
    }

    /// Marks a report verified.
    pub async fn verify_report(
        &self,
        report_id: i64,
        expected_version: Option<i32>,
        actor: &str,
    ) -> AppResult<report::Model> {
        let directory = self.directory().await?;
        self.check_report_scope(&directory, report_id).await?;
        let result =
            retrying(|| reports::verify(&self.db, report_id, expected_version, actor)).await;
        self.finish(result).await.map(|(m, _)| m)
    }

    /// Sets stock values: all or nothing.
    pub async fn set_stocks(&self, rows: &[StockRow]) -> AppResult<i64> {
        let directory = self.directory().await?;
        let valid = directory
            .check_stocks(rows, |i| i)
            .map_err(AppError::Rows)?;
        self.scope
            .check_rows(directory.tree(), valid.iter().map(|r| r.unit_id))?;
        let version = retrying(|| stocks::set(&self.db, &valid)).await?;
        self.settle().await;
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectOptions, ConnectionTrait, Database, TransactionTrait};

    use super::is_transient;

    /// Real errors from a real database file: a write lock held by another
    /// connection is contention; a missing table or a broken key is not.
    #[tokio::test]
    async fn contention_is_told_from_bad_data_by_code() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/t.sqlite?mode=rwc", dir.path().display());
        let connect = |url: String| async move {
            let mut options = ConnectOptions::new(url);
            options
                .max_connections(1)
                .sqlx_logging(false)
                .map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::ZERO));
            Database::connect(options).await.expect("connect")
        };
        let holder = connect(url.clone()).await;
        holder
            .execute_unprepared("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .await
            .expect("create");
        let other = connect(url).await;

        let txn = holder.begin().await.expect("begin");
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
        let busy = other
            .execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .expect_err("the file is locked by the other connection");
        assert!(is_transient(&busy), "{busy:?}");
        txn.commit().await.expect("commit");

        let missing = other
            .execute_unprepared("INSERT INTO nowhere VALUES (1)")
            .await
            .expect_err("no such table");
        assert!(!is_transient(&missing), "{missing:?}");
        let duplicate = other
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect_err("duplicate key");
        assert!(!is_transient(&duplicate), "{duplicate:?}");
        assert!(!is_transient(&sea_orm::DbErr::Custom(
            "database is locked".into()
        )));
    }
}
