//! Load benchmark: the product as its users load it, on the national
//! dataset, on SQLite and PostgreSQL, with the response cache off and on.
//!
//! ```sh
//! cargo bench --bench load
//! ```
//!
//! For each database it makes the national dataset once (`tiendo generate
//! --days 365`, kept for later runs), starts `tiendo serve` as a separate
//! process, and loads it from `wrk` (Debian's package; installed with
//! apt-get when missing) on 127.0.0.1 for a fixed time per run: the
//! dashboard documents and `{ __typename }` at concurrency 1 and 32, then
//! `submitReports` of whole national days (on a copy of the database, so
//! the dataset stays the same between runs). It prints p50 and p99
//! latency, requests per second, each document's throughput as a fraction
//! of `{ __typename }` in the same run, the median of the same question
//! asked of the database directly in SQL over the raw rows, and the
//! server's memory. The run stops by itself.
//!
//! Environment:
//! - `TIENDO_LOAD_DATABASES`: `sqlite,postgres` (default), or one of them.
//! - `TIENDO_LOAD_SECONDS`: seconds per load run (default 5).
//! - `TIENDO_LOAD_SQLITE`: the SQLite file (default
//!   `$HOME/.cache/tiendo-bench/national.sqlite`).
//! - `TIENDO_LOAD_POSTGRES`: the PostgreSQL database (default
//!   `postgres://postgres@127.0.0.1:5432/tiendo_national`).
//! - `TIENDO_LOAD_MAPS`: set, the run is the two-map benchmark instead: the
//!   national dataset across both maps (`tiendo generate --from 2023-01-01
//!   --until 2026-11-30`, about 11 million reports, in `two-maps.sqlite` or
//!   `tiendo_two_maps`, made once), the seconds until rollups answer,
//!   resident memory, and the 2025 map's Ranking across the reform against
//!   the 2023 map's with the response and rank caches off, in alternating
//!   rounds (`TIENDO_LOAD_ROUNDS`), with the median ratio.
//! - `TIENDO_LOAD_BASELINE`: another build's `tiendo` binary. Instead of
//!   the table, the run is then an A/B comparison: both servers run on the
//!   same dataset with the response cache off, and the uncached Ranking
//!   and `{ __typename }` are loaded in alternating rounds (A B B A …, so
//!   a drift of the machine falls on both), `TIENDO_LOAD_ROUNDS` (default
//!   6) times each; it prints each round and the median ratio.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

mod common;
mod datasets;
use common::{COUNTRY, DRILL, RANKING, SERIES};
use datasets::{ensure_postgres_database, postgres_admin, split_postgres, work_dir};

const BIN: &str = env!("CARGO_BIN_EXE_tiendo");

/// The last day of the generated dataset, and the 90-day period asked.
const FROM: &str = "2023-10-03";
const TO: &str = "2023-12-31";

const TYPENAME: &str = "{ __typename }";

const SUBMIT: &str = r#"mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) { accepted }
}"#;

/// A read document, and the SQL that answers the same question from the
/// raw rows (the floor: what the database alone takes).
struct Document {
    name: &'static str,
    query: &'static str,
    sql: fn(DbBackend) -> String,
}

fn documents() -> Vec<Document> {
    vec![
        Document {
            name: "{ __typename }",
            query: TYPENAME,
            sql: |_| "SELECT 1".into(),
        },
        Document {
            name: "Ranking (63 provinces)",
            query: RANKING,
            sql: |_| ranking_sql("province", None),
        },
        Document {
            name: "Drill (one province)",
            query: DRILL,
            sql: |_| ranking_sql("district", Some("42")),
        },
        Document {
            name: "Series (a year by week)",
            query: SERIES,
            sql: series_sql,
        },
        Document {
            name: "Whole-country drill (63 × 705)",
            query: COUNTRY,
            sql: |_| {
                format!(
                    "SELECT * FROM ({}) a UNION ALL SELECT * FROM ({}) b",
                    ranking_sql("province", None),
                    ranking_sql("district", None)
                )
            },
        },
    ]
}

/// Sums of a level's units over the period and the previous one, their
/// eligible population on the last day, the rate and its rank (within the
/// parent for districts), from the raw report rows.
fn ranking_sql(level: &str, within_province: Option<&str>) -> String {
    // Communes are two levels below a province, one below a district.
    let (leaf_join, filter) = match level {
        "province" => (
            "JOIN units d ON d.parent_id = u.id JOIN units c ON c.parent_id = d.id",
            String::new(),
        ),
        _ => (
            "JOIN units c ON c.parent_id = u.id",
            within_province.map_or(String::new(), |code| {
                format!(
                    " AND u.parent_id = (SELECT id FROM units WHERE level = 'province' AND code = '{code}')"
                )
            }),
        ),
    };
    // The reports of the two periods are summed per commune first (one
    // pass over the day range), then up the tree.
    format!(
        "WITH per_commune AS (
           SELECT unit_id,
                  SUM(CASE WHEN day >= '{FROM}' THEN cards_issued ELSE 0 END) AS cards,
                  SUM(CASE WHEN day < '{FROM}' THEN cards_issued ELSE 0 END) AS previous
           FROM reports WHERE day BETWEEN '2023-07-05' AND '{TO}'
           GROUP BY unit_id),
         flows AS (
           SELECT u.id, u.parent_id, SUM(r.cards) AS cards, SUM(r.previous) AS previous
           FROM units u {leaf_join}
           JOIN per_commune r ON r.unit_id = c.id
           WHERE u.level = '{level}'{filter}
           GROUP BY u.id, u.parent_id),
         population AS (
           SELECT u.id, SUM(s.value) AS eligible
           FROM units u {leaf_join}
           JOIN stock_values s ON s.unit_id = c.id AND s.metric = 'eligible_population'
            AND s.valid_from <= '{TO}' AND (s.valid_to IS NULL OR s.valid_to > '{TO}')
           WHERE u.level = '{level}'{filter}
           GROUP BY u.id)
         SELECT f.id, f.cards, p.eligible,
                RANK() OVER (PARTITION BY f.parent_id ORDER BY f.cards * 1.0 / p.eligible DESC) AS rank,
                RANK() OVER (PARTITION BY f.parent_id ORDER BY f.previous * 1.0 / p.eligible DESC) AS previous_rank
         FROM flows f JOIN population p ON p.id = f.id"
    )
}

fn series_sql(backend: DbBackend) -> String {
    let week = match backend {
        DbBackend::Postgres => "date_trunc('week', r.day)",
        _ => "strftime('%Y-%W', r.day)",
    };
    format!(
        "SELECT {week} AS week, SUM(r.cards_issued), SUM(r.accounts_activated)
         FROM reports r
         WHERE r.day BETWEEN '2023-01-01' AND '{TO}' AND r.unit_id IN (
           SELECT c.id FROM units p JOIN units d ON d.parent_id = p.id
           JOIN units c ON c.parent_id = d.id WHERE p.level = 'province' AND p.code = '42')
         GROUP BY 1 ORDER BY 1"
    )
}

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    p50_ms: f64,
    p99_ms: f64,
    rps: f64,
    errors: u64,
}

/// One row of the table.
struct Row {
    database: &'static str,
    cache: &'static str,
    document: String,
    c1: Run,
    c32: Run,
    floor_share: Option<f64>,
    sql_ms: Option<f64>,
}

fn seconds() -> u64 {
    std::env::var("TIENDO_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

/// Rounds of an alternating comparison (`TIENDO_LOAD_ROUNDS`, default 6).
fn rounds() -> usize {
    std::env::var("TIENDO_LOAD_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6)
}

fn tiendo(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(["--database-url", database_url])
        .args(args)
        .env_remove("DATABASE_URL")
        .stderr(Stdio::inherit())
        .output()
        .expect("run tiendo");
    assert!(output.status.success(), "tiendo {args:?} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ensure_wrk() {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return;
    }
    eprintln!("wrk is missing: installing Debian's package");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-qq", "wrk"])
        .status()
        .is_ok_and(|s| s.success())
        || (Command::new("apt-get")
            .args(["update", "-qq"])
            .status()
            .is_ok_and(|s| s.success())
            && Command::new("apt-get")
                .args(["install", "-y", "-qq", "wrk"])
                .status()
                .is_ok_and(|s| s.success()));
    assert!(installed, "install wrk (apt-get install wrk) and run again");
}

/// Counts the reports, making the national dataset first when there are none.
async fn ensure_dataset(database_url: &str) -> i64 {
    let db = tiendo::store::connect(database_url).await.expect("connect");
    tiendo::store::migrate(&db).await.expect("migrate");
    let count = |db: sea_orm::DatabaseConnection| async move {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) FROM reports",
            ))
            .await
            .expect("count the reports")
            .expect("a row");
        let n: i64 = row.try_get_by_index(0).expect("a count");
        db.close().await.ok();
        n
    };
    let n = count(db).await;
    if n > 0 {
        return n;
    }
    eprintln!("making the national dataset in {database_url} (once)");
    tiendo(database_url, &["generate", "--days", "365"]);
    let db = tiendo::store::connect(database_url).await.expect("connect");
    count(db).await
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
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
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
    fn start(database_url: &str, extra: &[&str]) -> Server {
        Server::start_binary(Path::new(BIN), database_url, extra)
    }

    fn start_binary(binary: &Path, database_url: &str, extra: &[&str]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .args(["--database-url", database_url, "serve", "--no-demo"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
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

    /// Resident and peak resident memory, in MiB.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Resets the peak to the current resident size (Linux `clear_refs` 5).
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }
}

async fn post(client: &reqwest::Client, url: &str, key: &str, body: &Value) -> Value {
    client
        .post(url)
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("POST /graphql")
        .json()
        .await
        .expect("a JSON answer")
}

/// Waits until the server answers a rollup (its engine is built).
async fn wait_ready(client: &reqwest::Client, server: &Server, key: &str) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(response) = client
            .post(server.url())
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

fn parse_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// Loads `url` with `body` from wrk for the configured time.
fn wrk(url: &str, key: &str, body: &Value, connections: u32, script: &Path) -> Run {
    std::fs::write(script.with_extension("json"), body.to_string()).expect("write the body");
    std::fs::write(
        script,
        format!(
            "local f = io.open({:?}, 'rb')\nwrk.method = 'POST'\nwrk.body = f:read('*a')\nf:close()\n\
             wrk.headers['Content-Type'] = 'application/json'\nwrk.headers['Authorization'] = 'Bearer {key}'\n",
            script.with_extension("json").display().to_string()
        ),
    )
    .expect("write the wrk script");
    let threads = connections.min(2);
    let output = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args(["-d", &format!("{}s", seconds()), "--latency", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut run = Run::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("50.000%" | "50%"), Some(v)) => run.p50_ms = parse_ms(v).unwrap_or(f64::NAN),
            (Some("99.000%" | "99%"), Some(v)) => run.p99_ms = parse_ms(v).unwrap_or(f64::NAN),
            (Some("Requests/sec:"), Some(v)) => run.rps = v.parse().unwrap_or(0.0),
            (Some("Non-2xx"), _) => {
                run.errors = line
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or(0)
            }
            (Some("Socket"), _) => run.errors += 1,
            _ => {}
        }
    }
    run
}

/// Median of the SQL run directly, in ms.
async fn sql_median(db: &sea_orm::DatabaseConnection, sql: &str) -> f64 {
    let runs = 7;
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs + 1 {
        let started = Instant::now();
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        if i > 0 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// One national day of reports for every commune, as the Submit variables.
fn national_day(communes: &[String], day: chrono::NaiveDate, seed: u64) -> Value {
    let rows: Vec<Value> = communes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let v = (i as u64 * 7 + seed * 13) % 40;
            json!({ "unit": { "level": "COMMUNE", "code": code }, "day": day.to_string(),
                    "applicationsCollected": v + 2, "cardsIssued": v, "accountsActivated": v / 2,
                    "homeVisits": v % 3 })
        })
        .collect();
    json!({ "query": SUBMIT, "variables": { "reports": rows } })
}

/// `submitReports` of whole national days: `rounds` at a time from
/// `connections` clients; each request a new day.
async fn submit_load(
    url: &str,
    key: &str,
    communes: &[String],
    first_day: &mut chrono::NaiveDate,
    connections: usize,
    per_client: usize,
) -> Run {
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for i in 0..connections * per_client {
        bodies.push(national_day(communes, *first_day, i as u64));
        *first_day = first_day.succ_opt().expect("a next day");
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut chunks = bodies.into_iter();
    for _ in 0..connections {
        let mine: Vec<Value> = chunks.by_ref().take(per_client).collect();
        let client = client.clone();
        let url = url.to_owned();
        let key = key.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut errors = 0u64;
            for body in mine {
                let t = Instant::now();
                let answer = post(&client, &url, &key, &body).await;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                if answer["data"]["submitReports"]["accepted"].as_u64() != Some(communes_len(&body))
                {
                    errors += 1;
                    eprintln!(
                        "submitReports failed: {}",
                        answer.to_string().chars().take(300).collect::<String>()
                    );
                }
            }
            (times, errors)
        }));
    }
    let mut times = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (t, e) = task.await.expect("a client task");
        times.extend(t);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    Run {
        p50_ms: percentile(&times, 0.5),
        p99_ms: percentile(&times, 0.99),
        rps: times.len() as f64 / elapsed,
        errors,
    }
}

fn communes_len(body: &Value) -> u64 {
    body["variables"]["reports"]
        .as_array()
        .map_or(0, |a| a.len() as u64)
}

struct Measured {
    rows: Vec<Row>,
    notes: Vec<String>,
}

/// The dataset (made once) and an ADMIN key with an unlimited budget.
async fn prepare(url: &str) -> (i64, String) {
    let reports = ensure_dataset(url).await;
    let key_output = tiendo(
        url,
        &[
            "keys",
            "create",
            "--role",
            "admin",
            "--name",
            "load benchmark",
            "--budget",
            "1000000000000",
            "--refill",
            "1000000000000",
        ],
    );
    let key = key_output.lines().last().expect("a key").trim().to_owned();
    (reports, key)
}

/// A/B: this build against `baseline` on the same dataset, response cache
/// off, in alternating rounds. Prints the rounds and the median ratios.
async fn compare(database: &'static str, url: &str, baseline: &Path) {
    let (reports, key) = prepare(url).await;
    let rounds = rounds();
    let client = reqwest::Client::new();
    let script = work_dir().join(format!("wrk-ab-{database}.lua"));
    let flags = ["--no-response-cache"];
    let servers = [
        ("A (baseline)", Server::start_binary(baseline, url, &flags)),
        ("B (this build)", Server::start(url, &flags)),
    ];
    for (_, server) in &servers {
        wait_ready(&client, server, &key).await;
    }
    println!(
        "\nA/B on {database} ({reports} reports), response cache off, {} s per run",
        seconds()
    );
    println!(
        "| round | server | Ranking c1 p50 ms | Ranking c32 req/s | Ranking c32 p99 ms | __typename c32 req/s |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: |");
    let ranking = json!({ "query": RANKING });
    let typename = json!({ "query": TYPENAME });
    for (_, server) in &servers {
        let answer = post(&client, &server.url(), &key, &ranking).await;
        assert!(answer.get("errors").is_none(), "Ranking: {answer}");
    }
    let mut rps = [Vec::new(), Vec::new()];
    let mut floor = [Vec::new(), Vec::new()];
    let mut c1 = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        // A B, then B A: a drift of the machine falls on both sides.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let (name, server) = &servers[side];
            let one = wrk(&server.url(), &key, &ranking, 1, &script);
            let many = wrk(&server.url(), &key, &ranking, 32, &script);
            let bare = wrk(&server.url(), &key, &typename, 32, &script);
            assert_eq!(
                many.errors + one.errors + bare.errors,
                0,
                "{name}: errors under load"
            );
            println!(
                "| {} | {name} | {:.2} | {:.0} | {:.2} | {:.0} |",
                round + 1,
                one.p50_ms,
                many.rps,
                many.p99_ms,
                bare.rps
            );
            rps[side].push(many.rps);
            floor[side].push(bare.rps);
            c1[side].push(one.p50_ms);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        percentile(v, 0.5)
    };
    let [mut ra, mut rb] = rps;
    let [mut fa, mut fb] = floor;
    let [mut la, mut lb] = c1;
    let (ra, rb, fa, fb, la, lb) = (
        median(&mut ra),
        median(&mut rb),
        median(&mut fa),
        median(&mut fb),
        median(&mut la),
        median(&mut lb),
    );
    println!(
        "{database} medians: Ranking c32 A {ra:.0} req/s, B {rb:.0} req/s, B/A {:.3}; \
         c1 p50 A {la:.2} ms, B {lb:.2} ms; {{ __typename }} c32 A {fa:.0}, B {fb:.0}, B/A {:.3}",
        rb / ra,
        fb / fa
    );
}

/// The 63 provinces of 2023, or the 34 of 2025, ranked over a period
/// across the 1 July 2025 reform.
fn ranking_across_the_reform(map: &str) -> Value {
    json!({ "query": format!(
        "query RankingAcross {{ ranking(level: PROVINCE, indicator: CCCD_COVERAGE, map: {map},
           period: {{ from: \"2025-04-01\", to: \"2025-09-30\" }}, first: 63) {{
           edges {{ node {{ rank outOf value previousRank unit {{ code name }} }} }} }} }}"
    ) })
}

/// The two maps (`TIENDO_LOAD_MAPS=1`): the national dataset across both
/// maps (2023-01-01 to 2026-11-30, made once), the time until rollups
/// answer, resident memory, and the 2025 map's uncached Ranking across
/// the reform against the 2023 map's, in alternating rounds.
async fn two_maps(database: &'static str, url: &str) {
    let db = tiendo::store::connect(url).await.expect("connect");
    tiendo::store::migrate(&db).await.expect("migrate");
    let empty = tiendo::store::units::count_all(&db).await.expect("count") == 0;
    db.close().await.ok();
    if empty {
        eprintln!("making the two-map national dataset in {url} (once)");
        let started = Instant::now();
        tiendo(
            url,
            &["generate", "--from", "2023-01-01", "--until", "2026-11-30"],
        );
        eprintln!("made in {:.0} s", started.elapsed().as_secs_f64());
    }
    let (reports, key) = prepare(url).await;
    let rounds = rounds();
    let client = reqwest::Client::new();
    let script = work_dir().join(format!("wrk-maps-{database}.lua"));
    // No response cache and no rank cache: every Ranking is computed.
    let server = Server::start(url, &["--no-response-cache", "--rank-cache-mb", "0"]);
    let ready = wait_ready(&client, &server, &key).await;
    let (rss, peak) = server.memory();
    println!(
        "\ntwo maps on {database} ({reports} reports): ready (rollups answering) {:.1} s after start; \
         resident {rss:.0} MiB (peak {peak:.0} MiB)",
        ready.as_secs_f64()
    );
    let bodies = [
        ranking_across_the_reform("VN2023"),
        ranking_across_the_reform("VN2025"),
    ];
    for body in &bodies {
        let answer = post(&client, &server.url(), &key, body).await;
        assert!(answer.get("errors").is_none(), "{answer}");
    }
    println!("| round | map | Ranking c32 req/s | p50 ms | p99 ms |");
    println!("| ---: | --- | ---: | ---: | ---: |");
    let mut rps = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let run = wrk(&server.url(), &key, &bodies[side], 32, &script);
            assert_eq!(run.errors, 0, "errors under load");
            let map = ["VN2023", "VN2025"][side];
            println!(
                "| {} | {map} | {:.0} | {:.2} | {:.2} |",
                round + 1,
                run.rps,
                run.p50_ms,
                run.p99_ms
            );
            rps[side].push(run.rps);
        }
    }
    let [mut old, mut new] = rps;
    old.sort_by(f64::total_cmp);
    new.sort_by(f64::total_cmp);
    let (old, new) = (percentile(&old, 0.5), percentile(&new, 0.5));
    println!(
        "{database} medians: VN2023 {old:.0} req/s, VN2025 {new:.0} req/s, VN2025/VN2023 {:.3}",
        new / old
    );
}

async fn measure(database: &'static str, url: &str, scratch_url: &str, measured: &mut Measured) {
    let (reports, key) = prepare(url).await;
    measured
        .notes
        .push(format!("{database}: {reports} reports in the dataset"));
    let db = tiendo::store::connect(url).await.expect("connect");
    let backend = db.get_database_backend();
    let client = reqwest::Client::new();
    let script = work_dir().join(format!("wrk-{database}.lua"));

    // The same questions asked of the database directly.
    let mut sql = Vec::new();
    for doc in documents() {
        sql.push(sql_median(&db, &(doc.sql)(backend)).await);
    }

    for (cache, flags) in [("off", vec!["--no-response-cache"]), ("on", vec![])] {
        let server = Server::start(url, &flags);
        let ready = wait_ready(&client, &server, &key).await;
        let (rss_ready, peak_build) = server.memory();
        server.reset_peak();
        let mut typename_rps = None;
        for (doc, sql_ms) in documents().iter().zip(&sql) {
            let body = json!({ "query": doc.query });
            let answer = post(&client, &server.url(), &key, &body).await;
            assert!(answer.get("errors").is_none(), "{}: {answer}", doc.name);
            let c1 = wrk(&server.url(), &key, &body, 1, &script);
            let c32 = wrk(&server.url(), &key, &body, 32, &script);
            let floor = *typename_rps.get_or_insert(c32.rps);
            measured.rows.push(Row {
                database,
                cache,
                document: doc.name.into(),
                c1,
                c32,
                floor_share: Some(c32.rps / floor),
                sql_ms: Some(*sql_ms),
            });
        }
        let (rss, peak) = server.memory();
        measured.notes.push(format!(
            "{database}, cache {cache}: ready in {:.1} s; resident {rss_ready:.0} MiB when ready \
             (peak {peak_build:.0} MiB while building the engine), {rss:.0} MiB after the load, \
             peak {peak:.0} MiB while serving",
            ready.as_secs_f64()
        ));
    }
    db.close().await.ok();

    // Writes, on a copy of the dataset.
    match backend {
        DbBackend::Sqlite => {
            let file = url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .expect("a path")
                .to_owned();
            let copy = scratch_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .expect("a path")
                .to_owned();
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{copy}{suffix}"));
                if Path::new(&format!("{file}{suffix}")).exists() {
                    std::fs::copy(format!("{file}{suffix}"), format!("{copy}{suffix}"))
                        .expect("copy the dataset");
                }
            }
        }
        _ => {
            let (_, name) = split_postgres(url);
            let (_, scratch) = split_postgres(scratch_url);
            postgres_admin(url, &format!("DROP DATABASE IF EXISTS {scratch}")).await;
            postgres_admin(url, &format!("CREATE DATABASE {scratch} TEMPLATE {name}")).await;
        }
    }
    let scratch = tiendo::store::connect(scratch_url)
        .await
        .expect("connect to the copy");
    let communes: Vec<String> = scratch
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT code FROM units WHERE level = 'commune' ORDER BY id",
        ))
        .await
        .expect("communes")
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("a code"))
        .collect();
    let last: String = scratch
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST(MAX(day) AS TEXT) FROM reports",
        ))
        .await
        .expect("the last day")
        .expect("a row")
        .try_get_by_index(0)
        .expect("a day");
    scratch.close().await.ok();
    let mut day = chrono::NaiveDate::parse_from_str(&last[..10], "%Y-%m-%d")
        .expect("a day")
        .succ_opt()
        .expect("a next day");
    // Writes queue on the data version: at 32 in flight the last waits
    // for 31 others, so the timeout is raised to measure the queue.
    let server = Server::start(
        scratch_url,
        &["--max-batch-rows", "11000", "--query-timeout-ms", "600000"],
    );
    wait_ready(&client, &server, &key).await;
    server.reset_peak();
    let c1 = submit_load(&server.url(), &key, &communes, &mut day, 1, 8).await;
    let c32 = submit_load(&server.url(), &key, &communes, &mut day, 32, 1).await;
    let (rss, peak) = server.memory();
    measured.rows.push(Row {
        database,
        cache: "on",
        document: format!("submitReports, one national day ({} rows)", communes.len()),
        c1,
        c32,
        floor_share: None,
        sql_ms: None,
    });
    measured.notes.push(format!(
        "{database}, writes: {rss:.0} MiB resident after, peak {peak:.0} MiB while writing \
         (32 national days of 1.3 MB each sent at once)"
    ));
    drop(server);
    if backend == DbBackend::Postgres {
        let (_, scratch) = split_postgres(scratch_url);
        postgres_admin(url, &format!("DROP DATABASE IF EXISTS {scratch}")).await;
    }
}

fn table(measured: &Measured) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| database | cache | document | c1 p50 ms | c1 p99 ms | c32 p50 ms | c32 p99 ms | c32 req/s | of `__typename` | SQL p50 ms |"
    );
    let _ = writeln!(
        out,
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for row in &measured.rows {
        let errors = row.c1.errors + row.c32.errors;
        let _ = writeln!(
            out,
            "| {} | {} | {}{} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {} | {} |",
            row.database,
            row.cache,
            row.document,
            if errors > 0 {
                format!(" ({errors} errors)")
            } else {
                String::new()
            },
            row.c1.p50_ms,
            row.c1.p99_ms,
            row.c32.p50_ms,
            row.c32.p99_ms,
            row.c32.rps,
            row.floor_share
                .map_or("".into(), |s| format!("{:.0}%", s * 100.0)),
            row.sql_ms.map_or("".into(), |s| format!("{s:.2}")),
        );
    }
    for note in &measured.notes {
        let _ = writeln!(out, "\n- {note}");
    }
    out
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    ensure_wrk();
    let databases =
        std::env::var("TIENDO_LOAD_DATABASES").unwrap_or_else(|_| "sqlite,postgres".into());
    let mut measured = Measured {
        rows: Vec::new(),
        notes: Vec::new(),
    };
    let started = Instant::now();
    let baseline = std::env::var_os("TIENDO_LOAD_BASELINE").map(PathBuf::from);
    for database in databases.split(',').map(str::trim) {
        let (name, url, scratch) = match database {
            "sqlite" => {
                let file = std::env::var("TIENDO_LOAD_SQLITE")
                    .map(PathBuf::from)
                    .unwrap_or_else(|_| work_dir().join("national.sqlite"));
                let url = format!("sqlite://{}?mode=rwc", file.display());
                let scratch = format!(
                    "sqlite://{}?mode=rwc",
                    file.with_extension("writes.sqlite").display()
                );
                ("SQLite", url, scratch)
            }
            "postgres" => {
                let url = std::env::var("TIENDO_LOAD_POSTGRES").unwrap_or_else(|_| {
                    "postgres://postgres@127.0.0.1:5432/tiendo_national".into()
                });
                ensure_postgres_database(&url).await;
                let (base, name) = split_postgres(&url);
                let scratch = format!("{}/{name}_writes", base.trim_end_matches("/postgres"));
                ("PostgreSQL", url, scratch)
            }
            other => panic!("unknown database `{other}` in TIENDO_LOAD_DATABASES"),
        };
        if let Some(baseline) = &baseline {
            compare(name, &url, baseline).await;
            continue;
        }
        if std::env::var_os("TIENDO_LOAD_MAPS").is_some() {
            let url = match database {
                "sqlite" => format!(
                    "sqlite://{}?mode=rwc",
                    work_dir().join("two-maps.sqlite").display()
                ),
                _ => {
                    let url = url.replace("tiendo_national", "tiendo_two_maps");
                    ensure_postgres_database(&url).await;
                    url
                }
            };
            two_maps(name, &url).await;
            continue;
        }
        measure(name, &url, &scratch, &mut measured).await;
        println!("{}", table(&measured));
    }
    println!(
        "load benchmark: {} s per run, wrk -t2 -c32 and -t1 -c1 on 127.0.0.1; {:.0} s in all",
        seconds(),
        started.elapsed().as_secs_f64()
    );
}
