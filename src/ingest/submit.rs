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
use crate::store::faults::is_transient;
use crate::store::reports::{self, Correction, Refused, Submitted, WriteResult};
use crate::store::stocks;

/// Attempts of a write that the database refused for contention.
const ATTEMPTS: u32 = 8;

/// No attempt starts after this long: contention that lasts longer (an
/// SQLite file another process holds past its busy timeout) is answered
/// `UNAVAILABLE`, to be retried later, rather than held open.
const PATIENCE: Duration = Duration::from_secs(5);

/// Runs a write, retrying contention failures with a growing pause.
pub async fn retrying<T, F, Fut>(mut write: F) -> Result<T, DbErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbErr>>,
{
    let started = std::time::Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write().await {
            Err(err)
                if attempt < ATTEMPTS && started.elapsed() < PATIENCE && is_transient(&err) =>
            {
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
