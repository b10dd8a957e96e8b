//! The bulk write of `tiendo import`: millions of checked rows in one
//! transaction, so an interrupted import (even `kill -9`) leaves the
//! database as it was.
//!
//! Rows go first into a temporary staging table (PostgreSQL `COPY`, SQLite
//! multi-row inserts of literal numbers and dates, which this program
//! rendered itself), then a few set-based statements merge them: changed
//! reports get a history row and their new values, new reports are
//! inserted, identical ones are left alone. This runs on sqlx directly
//! because sea-orm does not expose `COPY`.

use chrono::{NaiveDate, Utc};
use indicatif::ProgressBar;
use sea_orm::sqlx::{self, Postgres, Sqlite, Transaction};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};

use super::changes::{self, VersionedTxn};
use crate::model::rows::{RowError, ValidStock, codes};
use crate::model::values::Flows;

/// A checked report of a file.
#[derive(Debug, Clone, Copy)]
pub struct ImportReport {
    /// The line of the file it came from.
    pub line: u32,
    pub unit_id: i64,
    pub day: NaiveDate,
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    pub values: Flows,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Imported {
    pub created: u64,
    pub corrected: u64,
    pub unchanged: u64,
    pub stock_values: u64,
    /// The data version the import produced.
    pub version: i64,
}

/// Rows per staging insert on SQLite.
const SQLITE_ROWS: usize = 2_000;

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

fn db_err(context: &str) -> impl Fn(sqlx::Error) -> DbErr + '_ {
    move |err| DbErr::Custom(format!("{context}: {err}"))
}

impl Tx {
    async fn exec(&mut self, sql: &str) -> Result<u64, DbErr> {
        let done = match self {
            Tx::Sqlite(tx) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
            Tx::Postgres(tx) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
        };
        done.map_err(db_err("import"))
    }

    async fn numbers(&mut self, sql: &str) -> Result<Vec<i64>, DbErr> {
        let rows = match self {
            Tx::Sqlite(tx) => {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut **tx)
                    .await
            }
            Tx::Postgres(tx) => {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_all(&mut **tx)
                    .await
            }
        };
        rows.map_err(db_err("import"))
    }

    async fn commit(self) -> Result<(), DbErr> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(db_err("commit"))
    }
}

impl VersionedTxn for Tx {
    fn backend(&self) -> DbBackend {
        match self {
            Tx::Sqlite(_) => DbBackend::Sqlite,
            Tx::Postgres(_) => DbBackend::Postgres,
        }
    }

    async fn run(&mut self, sql: &str) -> Result<(), DbErr> {
        self.exec(sql).await.map(|_| ())
    }

    async fn run_with_bytes(&mut self, sql: &str, bytes: &[u8]) -> Result<(), DbErr> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let done = match self {
            Tx::Sqlite(tx) => sqlx::query(sql)
                .bind(bytes.to_vec())
                .execute(&mut **tx)
                .await
                .map(|_| ()),
            Tx::Postgres(tx) => sqlx::query(sql)
                .bind(bytes.to_vec())
                .execute(&mut **tx)
                .await
                .map(|_| ()),
        };
        done.map_err(db_err("import"))
    }

    async fn number(&mut self, sql: &str) -> Result<Option<i64>, DbErr> {
        Ok(self.numbers(sql).await?.first().copied())
    }
}

/// Writes a checked file. Refuses (writing nothing) when a row would change
/// a verified report: that needs a reason, which a file does not carry.
pub async fn write(
    db: &DatabaseConnection,
    reports: &[ImportReport],
    stocks: &[ValidStock],
    actor: &str,
    bar: &ProgressBar,
) -> Result<Result<Imported, Vec<RowError>>, DbErr> {
    let started = std::time::Instant::now();
    let backend = db.get_database_backend();
    let mut tx = match backend {
        DbBackend::Sqlite => Tx::Sqlite(
            db.get_sqlite_connection_pool()
                .begin()
                .await
                .map_err(db_err("begin"))?,
        ),
        DbBackend::Postgres => Tx::Postgres(
            db.get_postgres_connection_pool()
                .begin()
                .await
                .map_err(db_err("begin"))?,
        ),
        other => return Err(DbErr::Custom(format!("unsupported database {other:?}"))),
    };
    // The write lock and the next version first (see store::changes).
    let version = changes::take_version(&mut tx).await?;
    let temp = "CREATE TEMP TABLE";
    let on_commit = if backend == DbBackend::Postgres {
        " ON COMMIT DROP"
    } else {
        ""
    };
    tx.exec("DROP TABLE IF EXISTS import_reports; DROP TABLE IF EXISTS import_stocks")
        .await?;
    tx.exec(&format!(
        "{temp} import_reports (line BIGINT, unit_id BIGINT, day DATE, campaign_id BIGINT, \
         team_id BIGINT, campaign_slot BIGINT, team_slot BIGINT, a BIGINT, c BIGINT, \
         ac BIGINT, h BIGINT){on_commit}"
    ))
    .await?;
    tx.exec(&format!(
        "{temp} import_stocks (unit_id BIGINT, metric VARCHAR(32), valid_from DATE, \
         value BIGINT){on_commit}"
    ))
    .await?;

    stage_reports(&mut tx, reports, bar).await?;
    let mut stock_rows = Vec::new();
    for s in stocks {
        for (metric, value) in s.values.by_metric() {
            if let Some(value) = value {
                stock_rows.push((s.unit_id, metric, s.from, value));
            }
        }
    }
    for chunk in stock_rows.chunks(SQLITE_ROWS) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(unit, metric, from, value)| {
                format!("({unit}, '{}', '{from}', {value})", metric_name(*metric))
            })
            .collect();
        tx.exec(&format!(
            "INSERT INTO import_stocks (unit_id, metric, valid_from, value) VALUES {}",
            values.join(",")
        ))
        .await?;
    }
    bar.set_message("merging");

    tracing::info!(seconds = started.elapsed().as_secs_f64(), "import staged");
    // Existing reports with a key of the file, once: the three statements
    // after it touch only those.
    let key = "r.unit_id = s.unit_id AND r.day = s.day AND r.campaign_slot = s.campaign_slot \
               AND r.team_slot = s.team_slot";
    let as_table = if backend == DbBackend::Postgres {
        "CREATE TEMP TABLE import_matched ON COMMIT DROP AS"
    } else {
        "DROP TABLE IF EXISTS import_matched; CREATE TEMP TABLE import_matched AS"
    };
    tx.exec(&format!(
        "{as_table} SELECT s.line, s.a, s.c, s.ac, s.h, r.id, r.unit_id, r.day, r.version, \
         r.status, r.applications_collected AS oa, r.cards_issued AS oc, \
         r.accounts_activated AS oac, r.home_visits AS oh \
         FROM import_reports s JOIN reports r ON {key}"
    ))
    .await?;
    let differs = "(oa <> a OR oc <> c OR oac <> ac OR oh <> h)";
    let verified = tx
        .numbers(&format!(
            "SELECT line FROM import_matched WHERE status = 'verified' AND {differs} ORDER BY line"
        ))
        .await?;
    if !verified.is_empty() {
        return Ok(Err(verified
            .into_iter()
            .map(|line| RowError {
                row: line as usize,
                field: "reason".into(),
                code: codes::REASON_REQUIRED,
                message: "the report is verified: changing it needs a reason (use correctReport)"
                    .into(),
            })
            .collect()));
    }
    let now = super::sql::timestamp(Utc::now());
    let actor = super::sql::quote(actor);
    tx.exec(&format!(
        "INSERT INTO report_history (report_id, unit_id, day, version, action, actor, reason, at, \
         old_applications_collected, old_cards_issued, old_accounts_activated, old_home_visits, \
         new_applications_collected, new_cards_issued, new_accounts_activated, new_home_visits) \
         SELECT id, unit_id, day, version + 1, 'corrected', {actor}, NULL, {now}, \
         oa, oc, oac, oh, a, c, ac, h FROM import_matched WHERE {differs}"
    ))
    .await?;
    let corrected = tx
        .exec(&format!(
            "UPDATE reports SET applications_collected = m.a, cards_issued = m.c, \
             accounts_activated = m.ac, home_visits = m.h, version = reports.version + 1, \
             status = 'corrected', updated_at = {now} FROM import_matched m \
             WHERE reports.id = m.id AND (m.oa <> m.a OR m.oc <> m.c OR m.oac <> m.ac OR m.oh <> m.h)"
        ))
        .await?;
    let matched = tx.numbers("SELECT COUNT(*) FROM import_matched").await?;
    let matched = matched.first().copied().unwrap_or(0) as u64;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        matched,
        corrected,
        "import matched"
    );
    let only_new = if matched == 0 {
        String::new()
    } else {
        format!(" WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE {key})")
    };
    let created = tx
        .exec(&format!(
            "INSERT INTO reports (unit_id, day, campaign_id, team_id, campaign_slot, team_slot, \
             applications_collected, cards_issued, accounts_activated, home_visits, status, \
             version, created_at, updated_at, submitted_by) \
             SELECT s.unit_id, s.day, s.campaign_id, s.team_id, s.campaign_slot, s.team_slot, \
             s.a, s.c, s.ac, s.h, 'submitted', 1, {now}, {now}, {actor} FROM import_reports s{only_new}"
        ))
        .await?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        created,
        "import inserted"
    );

    let mut stock_values = 0;
    if !stock_rows.is_empty() {
        tx.exec(
            "DELETE FROM stock_values WHERE EXISTS (SELECT 1 FROM import_stocks i \
             WHERE i.unit_id = stock_values.unit_id AND i.metric = stock_values.metric \
             AND i.valid_from = stock_values.valid_from)",
        )
        .await?;
        stock_values = tx
            .exec(
                "INSERT INTO stock_values (unit_id, metric, valid_from, value) \
                 SELECT unit_id, metric, valid_from, value FROM import_stocks",
            )
            .await?;
        let next = "(SELECT MIN(n.valid_from) FROM stock_values n WHERE n.unit_id = \
                    stock_values.unit_id AND n.metric = stock_values.metric AND n.valid_from > \
                    stock_values.valid_from)";
        let day_before = match backend {
            DbBackend::Postgres => format!("{next} - 1"),
            _ => format!("date({next}, '-1 day')"),
        };
        tx.exec(&format!(
            "UPDATE stock_values SET valid_to = {day_before} \
             WHERE unit_id IN (SELECT unit_id FROM import_stocks)"
        ))
        .await?;
    }

    // The change log: a rebuild (replaying millions of rows one by one
    // would be slower than reading the tables again).
    changes::log(&mut tx, version, changes::KIND_REBUILD, &[]).await?;
    if backend != DbBackend::Postgres {
        tx.exec(
            "DROP TABLE IF EXISTS import_reports; DROP TABLE IF EXISTS import_stocks; \
             DROP TABLE IF EXISTS import_matched",
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "import committed"
    );
    Ok(Ok(Imported {
        created,
        corrected,
        unchanged: reports.len() as u64 - created - corrected,
        stock_values,
        version,
    }))
}

fn metric_name(metric: entity::stock_value::StockMetric) -> &'static str {
    use entity::stock_value::StockMetric::*;
    match metric {
        EligiblePopulation => "eligible_population",
        PresentPopulation => "present_population",
        AccountsEligible => "accounts_eligible",
        CardsIssuedOpening => "cards_issued_opening",
        AccountsActivatedOpening => "accounts_activated_opening",
    }
}

/// Fills the staging table of reports.
async fn stage_reports(
    tx: &mut Tx,
    reports: &[ImportReport],
    bar: &ProgressBar,
) -> Result<(), DbErr> {
    const COLUMNS: &str =
        "line, unit_id, day, campaign_id, team_id, campaign_slot, team_slot, a, c, ac, h";
    match tx {
        Tx::Postgres(pg) => {
            let mut copy = pg
                .copy_in_raw(&format!("COPY import_reports ({COLUMNS}) FROM STDIN"))
                .await
                .map_err(db_err("copy"))?;
            let mut buffer = String::with_capacity(1 << 20);
            for chunk in reports.chunks(20_000) {
                buffer.clear();
                for r in chunk {
                    use std::fmt::Write;
                    let nullable =
                        |v: Option<i64>| v.map_or_else(|| "\\N".to_owned(), |v| v.to_string());
                    let _ = writeln!(
                        buffer,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.line,
                        r.unit_id,
                        r.day,
                        nullable(r.campaign_id),
                        nullable(r.team_id),
                        r.campaign_id.unwrap_or(0),
                        r.team_id.unwrap_or(0),
                        r.values.applications_collected,
                        r.values.cards_issued,
                        r.values.accounts_activated,
                        r.values.home_visits
                    );
                }
                copy.send(buffer.as_bytes()).await.map_err(db_err("copy"))?;
                bar.inc(chunk.len() as u64);
            }
            copy.finish().await.map_err(db_err("copy"))?;
        }
        Tx::Sqlite(_) => {
            for chunk in reports.chunks(SQLITE_ROWS) {
                let mut sql = String::with_capacity(chunk.len() * 64 + 128);
                sql.push_str("INSERT INTO import_reports (");
                sql.push_str(COLUMNS);
                sql.push_str(") VALUES ");
                for (i, r) in chunk.iter().enumerate() {
                    use std::fmt::Write;
                    if i > 0 {
                        sql.push(',');
                    }
                    let _ = write!(
                        sql,
                        "({},{},'{}',{},{},{},{},{},{},{},{})",
                        r.line,
                        r.unit_id,
                        r.day,
                        super::sql::number_or_null(r.campaign_id),
                        super::sql::number_or_null(r.team_id),
                        r.campaign_id.unwrap_or(0),
                        r.team_id.unwrap_or(0),
                        r.values.applications_collected,
                        r.values.cards_issued,
                        r.values.accounts_activated,
                        r.values.home_visits
                    );
                }
                tx.exec(&sql).await?;
                bar.inc(chunk.len() as u64);
            }
        }
    }
    Ok(())
}
