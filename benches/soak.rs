//! Soak benchmark: mixed traffic at fixed rates for a bounded time, then
//! the server's memory, its latency early against late, its errors, and
//! every rollup against the raw sums (issue #15, item 9).
//!
//! ```sh
//! cargo bench --bench soak                          # 20 minutes on PostgreSQL
//! TIENDO_SOAK_MINUTES=3 cargo bench --bench soak    # a short check
//! ```
//!
//! For each database it makes a 90-day national dataset once (`tiendo
//! generate --days 90`: 2023-10-03 to 2023-12-31, 10,598 communes of the
//! 2023 map, kept for later runs), copies it (`CREATE DATABASE … TEMPLATE`
//! on PostgreSQL, the file on SQLite) so every run starts from the same
//! data, makes an ADMIN key on the copy and starts `tiendo serve` on it as
//! a separate process with its default settings (response cache on). The
//! traffic is open-loop: each request is started on its schedule, whether
//! or not the earlier ones have returned, and its latency runs from the
//! scheduled start (so a slow server cannot slow the load down and hide
//! its own queue).
//!
//! - Cached dashboard reads, 20/s: the national Ranking and the Drill of
//!   `benches/common` as they are, alternately, the landing page every
//!   dashboard refreshes. Every write ends every cache entry, so a
//!   document asked 10 times a second misses at most once per write: with
//!   3 writes/s about 70% or more should be `HIT`
//!   (`extensions.responseCache`), and most of them must be.
//! - Uncached dashboard reads, 20/s: the same documents with variables
//!   (Ranking, Drill, Series and, one in ten, the whole-country drill),
//!   each with its own period (1 to 120 days within the data) and
//!   province, a quarter of them in the 2025 map (numbers moved across
//!   the reform by the lineage), so they miss.
//! - Officers, `submitReports`, 2/s of 50 reports each: new (commune, day)
//!   rows on the days after the dataset (still 2023-map days, none in the
//!   future), so every row is a real insert (`created` = 50).
//! - Officers, `correctReport`, 1/s: a report the benchmark submitted,
//!   with the `expectedVersion` it last saw (a report may be corrected
//!   again later, at its new version).
//! - One `tiendo import` of 5,000 CSV lines halfway through, run against
//!   the database as an operator does (4,000 new reports on a later day
//!   and 1,000 changed values of the dataset's last day: corrections); the
//!   server follows it by rebuilding its engine from the tables.
//!
//! Every second it reads the server's resident memory (`VmRSS`). At the
//! end it prints resident memory after the warm-up against the end, p50
//! and p99 of reads and writes in the first and the last window, requests,
//! rates and errors by kind, the cache's hit share, the import, and the
//! check of the rollups: the flows of the country, every province and
//! every district of the 2023 map, and of the country and every province
//! of the 2025 map, over the whole period, from the API against `SUM`s of
//! the raw report rows in SQL (subtrees by the units' materialised
//! `path`, 2025 provinces through the province lineage). It exits non-zero
//! when a target is missed:
//!
//! - resident memory at the end at most 10% above the baseline;
//! - p99 in the last window at most 1.5× the first window's, for reads and
//!   for writes;
//! - no errors (any HTTP status but 200, any GraphQL `errors` entry, a
//!   payload that is not what was asked, a failed import);
//! - most of the repeated reads (over half) answered from the response
//!   cache;
//! - every rollup equal to the raw sums.
//!
//! The windows scale with the run: the first and the last min(5 min, a
//! quarter of the run); the memory baseline is taken at min(2 min, a sixth
//! of the run).
//!
//! Environment:
//! - `TIENDO_SOAK_MINUTES`: minutes of traffic (default 20).
//! - `TIENDO_SOAK_DATABASES`: `postgres` (default), `sqlite`, or
//!   `postgres,sqlite`.
//! - `TIENDO_SOAK_POSTGRES`: the dataset's PostgreSQL database (default
//!   `postgres://postgres@127.0.0.1:5432/tiendo_soak`; the run's copy is
//!   `…_run`, dropped at the end).
//! - `TIENDO_SOAK_SQLITE`: the dataset's SQLite file (default
//!   `$HOME/.cache/tiendo-bench/soak.sqlite`; the run's copy is
//!   `soak.run.sqlite` beside it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

#[allow(
    dead_code,
    reason = "the soak repeats two of the shared documents; the others it asks with variables"
)]
mod common;
mod datasets;
use common::{DRILL, RANKING};
use datasets::{ensure_postgres_database, postgres_admin, split_postgres, work_dir};

const BIN: &str = env!("CARGO_BIN_EXE_tiendo");

/// Days of the dataset (`tiendo generate --days`), ending 2023-12-31.
const DATASET_DAYS: &str = "90";

/// Reports in one officer's `submitReports`.
const BATCH: usize = 50;

/// Lines of the CSV import: new reports, then changed dataset reports.
const IMPORT_NEW: usize = 4_000;
const IMPORT_CHANGED: usize = 1_000;

/// The targets of issue #15, item 9.
const MAX_RSS_GROWTH: f64 = 0.10;
const MAX_P99_RATIO: f64 = 1.5;

/// The errors printed as they happen; the rest are only counted.
const PRINTED_ERRORS: usize = 10;

/// The kinds of request, each sent at its own fixed rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    CachedRead,
    UncachedRead,
    Submit,
    Correct,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::CachedRead,
        Kind::UncachedRead,
        Kind::Submit,
        Kind::Correct,
    ];

    /// Requests started per second.
    fn per_second(self) -> f64 {
        match self {
            Kind::CachedRead | Kind::UncachedRead => 20.0,
            Kind::Submit => 2.0,
            Kind::Correct => 1.0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::CachedRead => "cached reads (Ranking, Drill)",
            Kind::UncachedRead => "uncached reads (varied periods, units, maps)",
            Kind::Submit => "submitReports (50 new reports)",
            Kind::Correct => "correctReport",
        }
    }
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

/// The Ranking of `benches/common`, with the period and map as variables.
const RANKING_VARIED: &str = r#"query Ranking($from: Date!, $to: Date!, $map: AdminMap!) {
  ranking(level: PROVINCE, indicator: CCCD_COVERAGE,
          period: { from: $from, to: $to }, first: 63, map: $map) {
    edges { node { rank outOf value numerator denominator previousRank unit { code name } } }
  }
}"#;

/// The Drill of `benches/common`, with the province, period and map as
/// variables.
const DRILL_VARIED: &str = r#"query Drill($code: String!, $from: Date!, $to: Date!, $map: AdminMap!) {
  unit(level: PROVINCE, code: $code, map: $map) {
    children(first: 50) {
      edges { node {
        name
        rollup(period: { from: $from, to: $to }) { cccdCoverage }
        rank(indicator: CCCD_COVERAGE, period: { from: $from, to: $to }) { rank outOf }
      } }
    }
  }
}"#;

/// The Series of `benches/common`, with the province, period and map as
/// variables.
const SERIES_VARIED: &str = r#"query Series($code: String!, $from: Date!, $to: Date!, $map: AdminMap!) {
  unit(level: PROVINCE, code: $code, map: $map) {
    series(period: { from: $from, to: $to }, granularity: WEEK) {
      from to cardsIssued accountsActivated cccdCoverage
    }
  }
}"#;

/// The whole-country drill of `benches/common`, with the period and map
/// as variables (in the 2025 map a province's children are communes).
const COUNTRY_VARIED: &str = r#"query CountryDrill($from: Date!, $to: Date!, $map: AdminMap!) {
  units(level: PROVINCE, first: 63, map: $map) {
    edges { node {
      code
      rollup(period: { from: $from, to: $to }) { cardsIssued cccdCoverage }
      rank(indicator: CCCD_COVERAGE, period: { from: $from, to: $to }, among: LEVEL) { rank outOf }
      children(first: 50) { edges { node {
        code
        rollup(period: { from: $from, to: $to }) { cardsIssued cccdCoverage }
        rank(indicator: CCCD_COVERAGE, period: { from: $from, to: $to }) { rank outOf }
      } } }
    } }
  }
}"#;

const SUBMIT: &str = r#"mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) {
    accepted created corrected unchanged
    reports { id version }
  }
}"#;

const CORRECT: &str = r#"mutation Correct($id: ID!, $version: Int!, $cards: Int!) {
  correctReport(input: { id: $id, expectedVersion: $version, reason: "soak: recount",
                         values: { cardsIssued: $cards } }) {
    report { id version cardsIssued }
  }
}"#;

/// The four flows of every unit the check compares, over one period.
const ROLLUPS: &str = r#"query Rollups($period: PeriodInput!) {
  old: country(map: VN2023) { code level rollup(period: $period) { ...flows } }
  new: country(map: VN2025) { code level rollup(period: $period) { ...flows } }
  oldProvinces: units(level: PROVINCE, first: 100, map: VN2023) {
    pageInfo { hasNextPage }
    edges { node {
      code level rollup(period: $period) { ...flows }
      children(first: 100) {
        pageInfo { hasNextPage }
        edges { node { code level rollup(period: $period) { ...flows } } }
      }
    } }
  }
  newProvinces: units(level: PROVINCE, first: 100, map: VN2025) {
    pageInfo { hasNextPage }
    edges { node { code level rollup(period: $period) { ...flows } } }
  }
}
fragment flows on Rollup { applicationsCollected cardsIssued accountsActivated homeVisits }"#;

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

fn minutes() -> f64 {
    std::env::var("TIENDO_SOAK_MINUTES")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|m| *m > 0.0)
        .unwrap_or(20.0)
}

/// The phases of a run of `total` seconds: the memory baseline's time and
/// the length of the first and last windows.
#[derive(Debug, Clone, Copy)]
struct Phases {
    total: f64,
    baseline: f64,
    window: f64,
}

impl Phases {
    fn of(total: f64) -> Phases {
        Phases {
            total,
            baseline: (total / 6.0).min(120.0),
            window: (total / 4.0).min(300.0),
        }
    }
}

/// A small deterministic generator (SplitMix64): the same run asks the
/// same questions.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

// ---------------------------------------------------------------------------
// The database and the server
// ---------------------------------------------------------------------------

/// `tiendo ARGS` on `database_url`; its standard output.
fn tiendo(database_url: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(BIN)
        .args(["--database-url", database_url])
        .args(args)
        .env_remove("DATABASE_URL")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("run tiendo: {e}"))?;
    if !output.status.success() {
        return Err(format!("tiendo {args:?} failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

async fn query_all(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn count_reports(db: &DatabaseConnection) -> i64 {
    query_all(db, "SELECT COUNT(*) FROM reports").await[0]
        .try_get_by_index(0)
        .expect("a count")
}

/// Counts the reports, making the 90-day dataset first when there are none.
async fn ensure_dataset(database_url: &str) -> i64 {
    let db = tiendo::store::connect(database_url).await.expect("connect");
    tiendo::store::migrate(&db).await.expect("migrate");
    let mut n = count_reports(&db).await;
    db.close().await.ok();
    if n == 0 {
        eprintln!("making the {DATASET_DAYS}-day national dataset in {database_url} (once)");
        tiendo(database_url, &["generate", "--days", DATASET_DAYS]).expect("generate");
        let db = tiendo::store::connect(database_url).await.expect("connect");
        n = count_reports(&db).await;
        db.close().await.ok();
    }
    n
}

fn sqlite_file(url: &str) -> String {
    url.trim_start_matches("sqlite://")
        .split('?')
        .next()
        .expect("a path")
        .to_owned()
}

/// The run's copy of the dataset: a new database from the dataset's
/// template on PostgreSQL, a copy of the file on SQLite.
async fn copy_dataset(url: &str, copy_url: &str) {
    if url.starts_with("sqlite:") {
        let (file, copy) = (sqlite_file(url), sqlite_file(copy_url));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{copy}{suffix}"));
            if Path::new(&format!("{file}{suffix}")).exists() {
                std::fs::copy(format!("{file}{suffix}"), format!("{copy}{suffix}"))
                    .expect("copy the dataset");
            }
        }
    } else {
        let (_, name) = split_postgres(url);
        let (_, copy) = split_postgres(copy_url);
        postgres_admin(url, &format!("DROP DATABASE IF EXISTS {copy}")).await;
        postgres_admin(url, &format!("CREATE DATABASE {copy} TEMPLATE {name}")).await;
    }
}

async fn drop_copy(url: &str, copy_url: &str) {
    if url.starts_with("sqlite:") {
        let copy = sqlite_file(copy_url);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{copy}{suffix}"));
        }
    } else {
        let (_, copy) = split_postgres(copy_url);
        postgres_admin(url, &format!("DROP DATABASE IF EXISTS {copy}")).await;
    }
}

/// A `tiendo serve` process; stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGINT: a graceful stop, so SQLite folds its WAL back.
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(database_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(BIN)
            .args(["--database-url", database_url, "serve", "--no-demo"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tiendo serve");
        Server { child, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }
}

/// Resident memory of process `pid`, in MiB (`VmRSS`).
fn resident_mib(pid: u32) -> Option<f64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
}

/// Waits until the server answers a rollup (its engine is built).
async fn wait_ready(client: &reqwest::Client, url: &str, key: &str) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(response) = client
            .post(url)
            .bearer_auth(key)
            .json(&json!({ "query": RANKING }))
            .send()
            .await
        {
            if let Ok(body) = response.json::<Value>().await {
                if body.get("errors").is_none() && body["data"]["ranking"].is_object() {
                    return started.elapsed();
                }
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the server did not get ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ---------------------------------------------------------------------------
// The dataset as the traffic sees it
// ---------------------------------------------------------------------------

/// What the traffic needs to know of the run's copy.
struct Dataset {
    reports: i64,
    /// 2023-map communes, by id: the rows officers submit.
    communes: Vec<String>,
    /// Province codes of each map.
    provinces_2023: Vec<String>,
    provinces_2025: Vec<String>,
    first_day: NaiveDate,
    last_day: NaiveDate,
    /// The first day officers write (the day after the dataset).
    officers_from: NaiveDate,
    /// The day of the import's new reports, after every officer's day.
    import_day: NaiveDate,
}

async fn codes(db: &DatabaseConnection, map: &str, level: &str) -> Vec<String> {
    query_all(
        db,
        &format!("SELECT code FROM units WHERE map = '{map}' AND level = '{level}' ORDER BY id"),
    )
    .await
    .iter()
    .map(|r| r.try_get_by_index::<String>(0).expect("a code"))
    .collect()
}

async fn read_dataset(url: &str, seconds: f64) -> Dataset {
    let db = tiendo::store::connect(url).await.expect("connect");
    let reports = count_reports(&db).await;
    let communes = codes(&db, "vn2023", "commune").await;
    let provinces_2023 = codes(&db, "vn2023", "province").await;
    let provinces_2025 = codes(&db, "vn2025", "province").await;
    let row = &query_all(
        &db,
        "SELECT CAST(MIN(day) AS TEXT), CAST(MAX(day) AS TEXT) FROM reports",
    )
    .await[0];
    let day = |i: usize| {
        let text: String = row.try_get_by_index(i).expect("a day");
        NaiveDate::parse_from_str(&text[..10], "%Y-%m-%d").expect("a day")
    };
    let (first_day, last_day) = (day(0), day(1));
    db.close().await.ok();
    // The officers' rows fill whole days of every commune in turn.
    let rows = Kind::Submit.per_second() * seconds * BATCH as f64;
    let officer_days = (rows / communes.len() as f64).ceil() as i64 + 1;
    let officers_from = last_day.succ_opt().expect("a next day");
    let import_day = officers_from + chrono::Duration::days(officer_days + 1);
    // Every written day is of the 2023 map, where the dataset's communes
    // are in force, and not in the future; the check of the 2025 map's
    // provinces relies on it.
    assert!(
        import_day < entity::unit::AdminMap::reform_day(),
        "the run is too long for the 2023 map's days: shorten TIENDO_SOAK_MINUTES"
    );
    Dataset {
        reports,
        communes,
        provinces_2023,
        provinces_2025,
        first_day,
        last_day,
        officers_from,
        import_day,
    }
}

// ---------------------------------------------------------------------------
// The traffic
// ---------------------------------------------------------------------------

/// One finished request.
#[derive(Debug, Clone, Copy)]
struct Sample {
    kind: Kind,
    /// Seconds from the start of the traffic to the scheduled start.
    at: f64,
    /// From the scheduled start to the whole answer read.
    ms: f64,
}

/// What the traffic recorded.
#[derive(Default)]
struct Log {
    samples: Vec<Sample>,
    /// Errors by kind (indexed as `Kind::ALL`), and the import's.
    errors: [u64; 4],
    import_errors: u64,
    /// Corrections not sent: nothing submitted yet to correct.
    skipped: u64,
    /// `HIT` answers and reads, cached and uncached.
    hits: [(u64, u64); 2],
    /// Latest a request was started after its schedule, ms, by kind.
    lag_ms: [f64; 4],
    /// Resident memory every second: (seconds from the start, MiB).
    rss: Vec<(f64, f64)>,
    import: Option<(f64, f64, String)>,
}

/// What every request task shares.
struct Shared {
    client: reqwest::Client,
    url: String,
    key: String,
    data: Dataset,
    started: Instant,
    log: Mutex<Log>,
    /// Reports the benchmark submitted and may correct: (id, version).
    correctable: Mutex<Vec<(String, i64)>>,
}

fn index(kind: Kind) -> usize {
    Kind::ALL.iter().position(|k| *k == kind).expect("a kind")
}

fn clip(text: &str) -> String {
    text.chars().take(400).collect()
}

impl Shared {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().expect("the log")
    }

    /// Counts an error of a request of `kind` (`None`: the import), and
    /// prints the first few.
    fn error(&self, kind: Option<Kind>, message: &str) {
        let mut log = self.log();
        let total = log.errors.iter().sum::<u64>() + log.import_errors;
        if (total as usize) < PRINTED_ERRORS {
            eprintln!(
                "error at {:.1} s, {}: {}",
                self.started.elapsed().as_secs_f64(),
                kind.map_or("import", Kind::name),
                clip(message)
            );
        }
        match kind {
            Some(kind) => log.errors[index(kind)] += 1,
            None => log.import_errors += 1,
        }
    }

    /// POSTs `body`; the answer, or why it is an error (a status other
    /// than 200, a body that is not JSON, any GraphQL `errors` entry).
    async fn graphql(&self, body: &Value) -> Result<Value, String> {
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("no body: {e}"))?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("HTTP {status}: {}", clip(&text)));
        }
        let answer: Value =
            serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {}", clip(&text)))?;
        if let Some(errors) = answer.get("errors") {
            return Err(format!("GraphQL errors: {}", clip(&errors.to_string())));
        }
        Ok(answer)
    }
}

/// How a request ended, when it did not fail.
enum Done {
    Read { hit: bool },
    Written,
    Skipped,
}

fn hit(answer: &Value) -> Done {
    Done::Read {
        hit: answer["extensions"]["responseCache"] == "HIT",
    }
}

/// Read `i` of the repeated documents: Ranking and Drill, alternately.
async fn cached_read(shared: &Shared, i: u64) -> Result<Done, String> {
    let query = if i % 2 == 0 { RANKING } else { DRILL };
    let answer = shared.graphql(&json!({ "query": query })).await?;
    let data = &answer["data"];
    if !(data["ranking"].is_object() || data["unit"].is_object()) {
        return Err(format!("no data: {}", clip(&answer.to_string())));
    }
    Ok(hit(&answer))
}

/// Read `i` with its own period, province and map.
async fn uncached_read(shared: &Shared, i: u64) -> Result<Done, String> {
    let data = &shared.data;
    let r = mix(i ^ 0x5eed_0001);
    // Periods start anywhere from the dataset's first day to the
    // officers' first days, and last 1 to 120 days.
    let span = (data.officers_from - data.first_day).num_days() + 3;
    let from = data.first_day + chrono::Duration::days((r % span as u64) as i64);
    let to = from + chrono::Duration::days(((r >> 16) % 120) as i64);
    let (map, provinces) = if (r >> 32) % 4 == 0 {
        ("VN2025", &data.provinces_2025)
    } else {
        ("VN2023", &data.provinces_2023)
    };
    let code = &provinces[((r >> 40) as usize) % provinces.len()];
    let (query, root) = match i % 10 {
        9 => (COUNTRY_VARIED, "units"),
        n if n % 3 == 0 => (RANKING_VARIED, "ranking"),
        n if n % 3 == 1 => (DRILL_VARIED, "unit"),
        _ => (SERIES_VARIED, "unit"),
    };
    let mut variables = json!({ "from": day_text(from), "to": day_text(to), "map": map });
    if root == "unit" {
        variables["code"] = json!(code);
    }
    let answer = shared
        .graphql(&json!({ "query": query, "variables": variables }))
        .await?;
    if !answer["data"][root].is_object() {
        return Err(format!("no data: {}", clip(&answer.to_string())));
    }
    Ok(hit(&answer))
}

/// Batch `i` of the officers: rows `i × 50 …` of the (day, commune)
/// sequence after the dataset, each a new report.
async fn submit(shared: &Shared, i: u64) -> Result<Done, String> {
    let communes = &shared.data.communes;
    let rows: Vec<Value> = (0..BATCH as u64)
        .map(|j| {
            let k = i * BATCH as u64 + j;
            let day = shared.data.officers_from
                + chrono::Duration::days((k / communes.len() as u64) as i64);
            let code = &communes[(k % communes.len() as u64) as usize];
            let v = mix(k) % 40;
            json!({ "unit": { "level": "COMMUNE", "code": code }, "day": day_text(day),
                    "applicationsCollected": v + 2, "cardsIssued": v,
                    "accountsActivated": v / 2, "homeVisits": v % 3 })
        })
        .collect();
    let answer = shared
        .graphql(&json!({ "query": SUBMIT, "variables": { "reports": rows } }))
        .await?;
    let payload = &answer["data"]["submitReports"];
    if payload["accepted"] != BATCH || payload["created"] != BATCH {
        return Err(format!(
            "not {BATCH} new reports: {}",
            clip(&payload.to_string())
        ));
    }
    let written: Vec<(String, i64)> = payload["reports"]
        .as_array()
        .map(|reports| {
            reports
                .iter()
                .filter_map(|r| Some((r["id"].as_str()?.to_owned(), r["version"].as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    if written.len() != BATCH {
        return Err(format!("{} reports in the payload", written.len()));
    }
    shared
        .correctable
        .lock()
        .expect("the reports")
        .extend(written);
    Ok(Done::Written)
}

/// Correction `i`: one report the benchmark submitted, at the version it
/// last saw.
async fn correct(shared: &Shared, i: u64) -> Result<Done, String> {
    let picked = {
        let mut reports = shared.correctable.lock().expect("the reports");
        if reports.is_empty() {
            None
        } else {
            let n = (mix(i ^ 0xc0_ffee) as usize) % reports.len();
            Some(reports.swap_remove(n))
        }
    };
    let Some((id, version)) = picked else {
        return Ok(Done::Skipped);
    };
    let cards = 41 + (mix(i) % 40) as i64;
    let answer = shared
        .graphql(&json!({ "query": CORRECT,
                          "variables": { "id": id, "version": version, "cards": cards } }))
        .await?;
    let report = &answer["data"]["correctReport"]["report"];
    if report["version"] != version + 1 || report["cardsIssued"] != cards {
        return Err(format!(
            "not corrected to version {}: {}",
            version + 1,
            clip(&report.to_string())
        ));
    }
    shared
        .correctable
        .lock()
        .expect("the reports")
        .push((id, version + 1));
    Ok(Done::Written)
}

/// One request of `kind`, scheduled at `at`: sends it and records its
/// latency from the schedule, or its error.
async fn request(shared: Arc<Shared>, kind: Kind, i: u64, at: Instant) {
    let outcome = match kind {
        Kind::CachedRead => cached_read(&shared, i).await,
        Kind::UncachedRead => uncached_read(&shared, i).await,
        Kind::Submit => submit(&shared, i).await,
        Kind::Correct => correct(&shared, i).await,
    };
    let ms = at.elapsed().as_secs_f64() * 1000.0;
    let offset = at.duration_since(shared.started).as_secs_f64();
    match outcome {
        Err(message) => shared.error(Some(kind), &message),
        Ok(Done::Skipped) => shared.log().skipped += 1,
        Ok(done) => {
            let mut log = shared.log();
            log.samples.push(Sample {
                kind,
                at: offset,
                ms,
            });
            if let Done::Read { hit } = done {
                let counts = &mut log.hits[usize::from(kind == Kind::UncachedRead)];
                counts.0 += u64::from(hit);
                counts.1 += 1;
            }
        }
    }
}

/// Starts requests of `kind` at its fixed rate until `end`, each in its
/// own task (open loop), then waits for the last ones.
async fn drive(shared: Arc<Shared>, kind: Kind, end: Instant) {
    let mut ticker = tokio::time::interval_at(
        shared.started,
        Duration::from_secs_f64(1.0 / kind.per_second()),
    );
    // A late tick is sent at once, not skipped: the rate is kept.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut tasks = JoinSet::new();
    for i in 0.. {
        let at = ticker.tick().await;
        if at >= end {
            break;
        }
        let lag = at.elapsed().as_secs_f64() * 1000.0;
        {
            let mut log = shared.log();
            let worst = &mut log.lag_ms[index(kind)];
            *worst = worst.max(lag);
        }
        tasks.spawn(request(shared.clone(), kind, i, at));
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Reads the server's resident memory every second until `stop`.
async fn sample_memory(shared: Arc<Shared>, pid: u32, stop: Arc<AtomicBool>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        if let Some(mib) = resident_mib(pid) {
            let at = shared.started.elapsed().as_secs_f64();
            shared.log().rss.push((at, mib));
        }
    }
}

/// The CSV the operator imports: new reports of every 2023 commune in
/// turn on the import day, then changed values of the dataset's last day.
fn import_file(data: &Dataset, path: &Path) {
    let mut csv = String::from(
        "type,level,code,day,campaign_id,team_id,applications_collected,cards_issued,\
         accounts_activated,home_visits,eligible_population,present_population,\
         accounts_eligible,cards_issued_opening,accounts_activated_opening\n",
    );
    let lines = (0..IMPORT_NEW)
        .map(|k| (k, data.import_day))
        .chain((0..IMPORT_CHANGED).map(|k| (k, data.last_day)));
    for (k, day) in lines {
        let code = &data.communes[k % data.communes.len()];
        let v = 50 + mix(k as u64 ^ 0x1_4b07) % 40;
        let _ = writeln!(
            csv,
            "report,COMMUNE,{code},{},,,{},{v},{},{},,,,,",
            day_text(day),
            v + 3,
            v / 2,
            v % 4
        );
    }
    std::fs::write(path, csv).expect("write the import file");
}

/// Runs `tiendo import` against the run's database at `at` seconds.
async fn import_at(shared: Arc<Shared>, database_url: String, file: PathBuf, at: Duration) {
    tokio::time::sleep_until(shared.started + at).await;
    let began = shared.started.elapsed().as_secs_f64();
    let file_arg = file.display().to_string();
    let result = tokio::task::spawn_blocking(move || {
        // The summary is the last line (the log goes to standard output too).
        tiendo(&database_url, &["import", &file_arg])
            .map(|out| out.trim().lines().last().unwrap_or_default().to_owned())
    })
    .await
    .expect("the import task");
    let seconds = shared.started.elapsed().as_secs_f64() - began;
    match result {
        Ok(summary) => shared.log().import = Some((began, seconds, summary)),
        Err(message) => shared.error(None, &message),
    }
}

// ---------------------------------------------------------------------------
// The check: every rollup against the raw sums
// ---------------------------------------------------------------------------

/// (map, level, code) → the four flows.
type Flows = BTreeMap<(String, String, String), [Option<i64>; 4]>;

/// The flows of every unit the `Rollups` document lists.
fn api_flows(answer: &Value) -> Result<Flows, String> {
    let mut flows = Flows::new();
    let mut add = |map: &str, node: &Value| {
        let rollup = &node["rollup"];
        let values = [
            "applicationsCollected",
            "cardsIssued",
            "accountsActivated",
            "homeVisits",
        ]
        .map(|f| rollup[f].as_i64());
        let key = (
            map.to_owned(),
            node["level"].as_str().unwrap_or("?").to_ascii_lowercase(),
            node["code"].as_str().unwrap_or("?").to_owned(),
        );
        flows.insert(key, values);
    };
    let data = &answer["data"];
    add("vn2023", &data["old"]);
    add("vn2025", &data["new"]);
    for (map, list) in [("vn2023", "oldProvinces"), ("vn2025", "newProvinces")] {
        if data[list]["pageInfo"]["hasNextPage"] != false {
            return Err(format!("{list}: more than one page"));
        }
        for edge in data[list]["edges"].as_array().into_iter().flatten() {
            let node = &edge["node"];
            add(map, node);
            if node["children"].is_object() {
                if node["children"]["pageInfo"]["hasNextPage"] != false {
                    return Err(format!("children of {}: more than one page", node["code"]));
                }
                for child in node["children"]["edges"].as_array().into_iter().flatten() {
                    add(map, &child["node"]);
                }
            }
        }
    }
    Ok(flows)
}

fn sums(rows: &[sea_orm::QueryResult], map: Option<&str>) -> Flows {
    rows.iter()
        .map(|row| {
            let text = |i: usize| row.try_get_by_index::<String>(i).expect("a column");
            let value = |i: usize| Some(row.try_get_by_index::<i64>(i).expect("a sum"));
            let map = map.map_or_else(|| text(0), str::to_owned);
            (
                (map, text(1), text(2)),
                [value(3), value(4), value(5), value(6)],
            )
        })
        .collect()
}

/// The same flows from the raw report rows: for every unit above the
/// communes of the 2023 map, the sums of the reports in its subtree
/// (materialised path); for the 2025 map's provinces, the sums of the
/// 2023 provinces the lineage merged into them (every day is before the
/// reform), and its country the 2023 country's.
async fn sql_flows(db: &DatabaseConnection, from: NaiveDate, to: NaiveDate) -> Flows {
    let per_unit = format!(
        "per_unit AS (
           SELECT unit_id, SUM(applications_collected) AS a, SUM(cards_issued) AS c,
                  SUM(accounts_activated) AS v, SUM(home_visits) AS h
           FROM reports WHERE day BETWEEN '{}' AND '{}' GROUP BY unit_id)",
        day_text(from),
        day_text(to)
    );
    let subtree = "FROM units t JOIN units u ON u.path LIKE t.path || '%'
                   JOIN per_unit p ON p.unit_id = u.id";
    let totals = "CAST(SUM(p.a) AS BIGINT), CAST(SUM(p.c) AS BIGINT),
                  CAST(SUM(p.v) AS BIGINT), CAST(SUM(p.h) AS BIGINT)";
    let old = query_all(
        db,
        &format!(
            "WITH {per_unit}
             SELECT t.map, t.level, t.code, {totals} {subtree}
             WHERE t.map = 'vn2023' AND t.level <> 'commune'
             GROUP BY t.map, t.level, t.code"
        ),
    )
    .await;
    let new_provinces = query_all(
        db,
        &format!(
            "WITH {per_unit},
             old_provinces AS (
               SELECT t.id, SUM(p.a) AS a, SUM(p.c) AS c, SUM(p.v) AS v, SUM(p.h) AS h
               {subtree} WHERE t.map = 'vn2023' AND t.level = 'province' GROUP BY t.id)
             SELECT 'vn2025', n.level, n.code, {totals}
             FROM old_provinces p JOIN unit_lineage l ON l.old_unit_id = p.id
             JOIN units n ON n.id = l.new_unit_id AND n.level = 'province'
             GROUP BY n.level, n.code"
        ),
    )
    .await;
    let mut flows = sums(&old, None);
    flows.extend(sums(&new_provinces, Some("vn2025")));
    let country: Vec<_> = flows
        .iter()
        .filter(|((map, level, _), _)| map == "vn2023" && level == "ministry")
        .map(|(_, v)| *v)
        .collect();
    let new_root = query_all(
        db,
        "SELECT code FROM units WHERE map = 'vn2025' AND level = 'ministry'",
    )
    .await;
    if let (Some(values), Some(row)) = (country.first(), new_root.first()) {
        let code: String = row.try_get_by_index(0).expect("a code");
        flows.insert(("vn2025".into(), "ministry".into(), code), *values);
    }
    flows
}

/// Units compared, and the differences (at most a few described).
struct Check {
    compared: usize,
    differed: usize,
    examples: Vec<String>,
    by_map: BTreeMap<String, BTreeMap<String, usize>>,
}

async fn check_rollups(shared: &Shared, database_url: &str) -> Check {
    let (from, to) = (shared.data.first_day, shared.data.import_day);
    let answer = shared
        .graphql(&json!({ "query": ROLLUPS,
                          "variables": { "period": { "from": day_text(from), "to": day_text(to) } } }))
        .await;
    let api = match answer.and_then(|a| api_flows(&a)) {
        Ok(api) => api,
        Err(message) => {
            return Check {
                compared: 0,
                differed: 1,
                examples: vec![format!("the API's rollups: {message}")],
                by_map: BTreeMap::new(),
            };
        }
    };
    let db = tiendo::store::connect(database_url).await.expect("connect");
    let sql = sql_flows(&db, from, to).await;
    db.close().await.ok();
    let keys: BTreeSet<_> = api.keys().chain(sql.keys()).cloned().collect();
    let mut check = Check {
        compared: keys.len(),
        differed: 0,
        examples: Vec::new(),
        by_map: BTreeMap::new(),
    };
    for key in keys {
        *check
            .by_map
            .entry(key.0.clone())
            .or_default()
            .entry(key.1.clone())
            .or_default() += 1;
        // A unit without reports has no row in SQL: its sums are 0.
        let expected = sql.get(&key).copied().unwrap_or([Some(0); 4]);
        let got = api.get(&key).copied();
        if got != Some(expected) {
            check.differed += 1;
            if check.examples.len() < 5 {
                check.examples.push(format!(
                    "{} {} {}: API {got:?}, SQL {expected:?}",
                    key.0, key.1, key.2
                ));
            }
        }
    }
    check
}

// ---------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// p50 and p99 (ms) and the count of the samples of `kinds` started in
/// `[from, to)` seconds.
fn latency(samples: &[Sample], kinds: &[Kind], from: f64, to: f64) -> (f64, f64, usize) {
    let mut ms: Vec<f64> = samples
        .iter()
        .filter(|s| kinds.contains(&s.kind) && s.at >= from && s.at < to)
        .map(|s| s.ms)
        .collect();
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99), ms.len())
}

/// A target's line, and whether it was met.
struct Target {
    what: String,
    met: bool,
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// Prints the run's tables; returns the targets.
fn report(
    database: &str,
    phases: Phases,
    ready: Duration,
    log: &Log,
    check: &Check,
    data: &Dataset,
) -> Vec<Target> {
    let mut targets = Vec::new();
    let Phases {
        total,
        baseline,
        window,
    } = phases;
    println!(
        "\nsoak on {database}: {:.1} min of traffic on {} reports ({} to {}), server ready \
         {:.1} s after start; windows: the first and the last {window:.0} s; memory baseline \
         at {baseline:.0} s",
        total / 60.0,
        data.reports,
        data.first_day,
        data.last_day,
        ready.as_secs_f64()
    );

    // Memory.
    let at_baseline = log
        .rss
        .iter()
        .find(|(t, _)| *t >= baseline)
        .map_or(f64::NAN, |(_, m)| *m);
    let after: Vec<f64> = log
        .rss
        .iter()
        .filter(|(t, _)| *t >= baseline && *t <= total)
        .map(|(_, m)| *m)
        .collect();
    let max_after = after.iter().copied().fold(f64::NAN, f64::max);
    let at_end = after.last().copied().unwrap_or(f64::NAN);
    let growth = at_end / at_baseline - 1.0;
    let max_growth = max_after / at_baseline - 1.0;
    println!("\n| resident memory (VmRSS) | MiB | vs baseline | target |");
    println!("| --- | ---: | ---: | --- |");
    println!("| at {baseline:.0} s (baseline) | {at_baseline:.1} | | |");
    println!(
        "| highest after the baseline | {max_after:.1} | {:+.1}% | |",
        max_growth * 100.0
    );
    let memory_met = growth <= MAX_RSS_GROWTH;
    println!(
        "| at the end ({total:.0} s) | {at_end:.1} | {:+.1}% | ≤ +{:.0}%: {} |",
        growth * 100.0,
        MAX_RSS_GROWTH * 100.0,
        verdict(memory_met)
    );
    // The course, every tenth of the run: a plateau is a cache filling
    // up to its bound, a steady climb is not.
    let course: Vec<String> = (1..=10)
        .filter_map(|tenth| {
            let t = total * f64::from(tenth) / 10.0;
            let (at, mib) = log.rss.iter().rev().find(|(at, _)| *at <= t)?;
            Some(format!("{at:.0} s {mib:.0}"))
        })
        .collect();
    println!("\nresident MiB over the run: {}", course.join(", "));
    targets.push(Target {
        what: format!(
            "resident memory at the end {:+.1}% of the baseline (≤ +{:.0}%)",
            growth * 100.0,
            MAX_RSS_GROWTH * 100.0
        ),
        met: memory_met,
    });

    // Latency, early against late.
    let last_from = total - window;
    println!(
        "\n| requests | first {window:.0} s: n, p50 / p99 ms | last {window:.0} s: n, p50 / p99 ms \
         | p99 last / first | target |"
    );
    println!("| --- | ---: | ---: | ---: | --- |");
    let groups: [(&str, &[Kind], bool); 6] = [
        ("reads", &[Kind::CachedRead, Kind::UncachedRead], true),
        ("… cached", &[Kind::CachedRead], false),
        ("… uncached", &[Kind::UncachedRead], false),
        ("writes", &[Kind::Submit, Kind::Correct], true),
        ("… submitReports", &[Kind::Submit], false),
        ("… correctReport", &[Kind::Correct], false),
    ];
    for (name, kinds, is_target) in groups {
        let (p50a, p99a, na) = latency(&log.samples, kinds, 0.0, window);
        let (p50b, p99b, nb) = latency(&log.samples, kinds, last_from, total);
        let ratio = p99b / p99a;
        let target = if is_target {
            let met = ratio <= MAX_P99_RATIO;
            targets.push(Target {
                what: format!(
                    "{name}: p99 of the last window {ratio:.2}× the first's (≤ {MAX_P99_RATIO})"
                ),
                met,
            });
            format!("≤ {MAX_P99_RATIO}: {}", verdict(met))
        } else {
            String::new()
        };
        println!(
            "| {name} | {na}, {p50a:.2} / {p99a:.2} | {nb}, {p50b:.2} / {p99b:.2} | {ratio:.2} | {target} |"
        );
    }

    // Requests, rates, errors.
    println!(
        "\n| kind | asked /s | answered | achieved /s | errors | latest start behind schedule ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for kind in Kind::ALL {
        let answered = log.samples.iter().filter(|s| s.kind == kind).count();
        println!(
            "| {} | {:.0} | {answered} | {:.2} | {} | {:.1} |",
            kind.name(),
            kind.per_second(),
            answered as f64 / total,
            log.errors[index(kind)],
            log.lag_ms[index(kind)]
        );
    }
    let errors = log.errors.iter().sum::<u64>() + log.import_errors;
    println!(
        "| all | {:.0} | {} | {:.2} | {errors} | |",
        Kind::ALL.iter().map(|k| k.per_second()).sum::<f64>(),
        log.samples.len(),
        log.samples.len() as f64 / total
    );
    if log.skipped > 0 {
        println!(
            "\n{} corrections not sent: nothing submitted yet to correct",
            log.skipped
        );
    }
    targets.push(Target {
        what: format!("{errors} errors (0)"),
        met: errors == 0,
    });

    // The response cache.
    let share = |(hits, reads): (u64, u64)| {
        format!(
            "{hits} of {reads} ({:.1}%)",
            100.0 * hits as f64 / reads.max(1) as f64
        )
    };
    let writes_per_second = Kind::Submit.per_second() + Kind::Correct.per_second();
    println!(
        "\nresponse cache HIT: cached reads {}, uncached reads {} (every write ends every \
         entry, so a repeated document asked {:.0}/s misses at most once per write: with \
         {writes_per_second:.0} writes/s, about {:.0}% or more should hit)",
        share(log.hits[0]),
        share(log.hits[1]),
        Kind::CachedRead.per_second() / 2.0,
        100.0 * (1.0 - writes_per_second / (Kind::CachedRead.per_second() / 2.0))
    );
    let (hits, reads) = log.hits[0];
    let hit_share = hits as f64 / reads.max(1) as f64;
    targets.push(Target {
        what: format!(
            "{:.1}% of the repeated reads answered from the response cache (over 50%)",
            hit_share * 100.0
        ),
        met: hit_share > 0.5,
    });

    // The import.
    match &log.import {
        Some((at, seconds, summary)) => println!(
            "import of {} lines at {at:.0} s took {seconds:.1} s: {summary}",
            IMPORT_NEW + IMPORT_CHANGED
        ),
        None => println!("import: did not complete (see the errors)"),
    }

    // The rollups.
    let units: Vec<String> = check
        .by_map
        .iter()
        .map(|(map, levels)| {
            let levels: Vec<String> = levels.iter().map(|(l, n)| format!("{n} {l}")).collect();
            format!("{map}: {}", levels.join(", "))
        })
        .collect();
    println!(
        "rollups {} to {} against the raw sums: {} units compared ({}), {} differed",
        data.first_day,
        data.import_day,
        check.compared,
        units.join("; "),
        check.differed
    );
    for example in &check.examples {
        println!("  {example}");
    }
    targets.push(Target {
        what: format!(
            "{} of {} rollups differ from the raw sums (0)",
            check.differed, check.compared
        ),
        met: check.differed == 0 && check.compared > 0,
    });

    println!("\ntargets on {database}:");
    for target in &targets {
        println!("- {}: {}", target.what, verdict(target.met));
    }
    targets
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/// One soak on one database; whether every target was met.
async fn soak(database: &str, url: &str, copy_url: &str) -> bool {
    let phases = Phases::of(minutes() * 60.0);
    ensure_dataset(url).await;
    copy_dataset(url, copy_url).await;
    let key = tiendo(
        copy_url,
        &[
            "keys",
            "create",
            "--role",
            "admin",
            "--name",
            "soak benchmark",
            "--budget",
            "1000000000000",
            "--refill",
            "1000000000000",
        ],
    )
    .expect("make a key")
    .lines()
    .last()
    .expect("a key")
    .trim()
    .to_owned();
    let data = read_dataset(copy_url, phases.total).await;
    let file = work_dir().join(format!("soak-import-{database}.csv"));
    import_file(&data, &file);

    let server = Server::start(copy_url);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client");
    let ready = wait_ready(&client, &server.url(), &key).await;
    eprintln!(
        "soak on {database}: {:.1} min of traffic from now",
        phases.total / 60.0
    );

    let shared = Arc::new(Shared {
        client,
        url: server.url(),
        key,
        data,
        started: Instant::now() + Duration::from_millis(100),
        log: Mutex::new(Log::default()),
        correctable: Mutex::new(Vec::new()),
    });
    let end = shared.started + Duration::from_secs_f64(phases.total);
    let stop = Arc::new(AtomicBool::new(false));
    let memory = tokio::spawn(sample_memory(
        shared.clone(),
        server.child.id(),
        stop.clone(),
    ));
    let mut streams = JoinSet::new();
    for kind in Kind::ALL {
        streams.spawn(drive(shared.clone(), kind, end));
    }
    streams.spawn(import_at(
        shared.clone(),
        copy_url.to_owned(),
        file,
        Duration::from_secs_f64(phases.total / 2.0),
    ));
    while let Some(done) = streams.join_next().await {
        done.expect("a traffic task");
    }
    stop.store(true, Ordering::Relaxed);
    memory.await.expect("the memory task");

    let check = check_rollups(&shared, copy_url).await;
    let log = std::mem::take(&mut *shared.log());
    let targets = report(database, phases, ready, &log, &check, &shared.data);
    drop(server);
    drop_copy(url, copy_url).await;
    targets.iter().all(|t| t.met)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let databases = std::env::var("TIENDO_SOAK_DATABASES").unwrap_or_else(|_| "postgres".into());
    let started = std::time::Instant::now();
    let mut missed = Vec::new();
    for database in databases.split(',').map(str::trim) {
        let (name, url, copy) = match database {
            "postgres" => {
                let url = std::env::var("TIENDO_SOAK_POSTGRES")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/tiendo_soak".into());
                ensure_postgres_database(&url).await;
                let (base, name) = split_postgres(&url);
                let copy = format!("{}/{name}_run", base.trim_end_matches("/postgres"));
                ("PostgreSQL", url, copy)
            }
            "sqlite" => {
                let file = std::env::var("TIENDO_SOAK_SQLITE")
                    .map(PathBuf::from)
                    .unwrap_or_else(|_| work_dir().join("soak.sqlite"));
                let url = format!("sqlite://{}?mode=rwc", file.display());
                let copy = format!(
                    "sqlite://{}?mode=rwc",
                    file.with_extension("run.sqlite").display()
                );
                ("SQLite", url, copy)
            }
            other => panic!("unknown database `{other}` in TIENDO_SOAK_DATABASES"),
        };
        if !soak(name, &url, &copy).await {
            missed.push(name);
        }
    }
    println!(
        "\nsoak benchmark: {:.0} s in all",
        started.elapsed().as_secs_f64()
    );
    if !missed.is_empty() {
        eprintln!("soak: targets missed on {}", missed.join(", "));
        std::process::exit(1);
    }
}
