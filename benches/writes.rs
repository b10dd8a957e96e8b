//! Write benchmark over HTTP: one national day (every commune) through
//! `submitReports`, rollups included, against a server running in this
//! process on a national dataset.
//!
//! ```sh
//! tiendo --database-url sqlite:///tmp/national.sqlite?mode=rwc generate --days 365
//! TIENDO_BENCH_DATABASE_URL=sqlite:///tmp/national.sqlite?mode=rwc cargo bench --bench writes
//! ```
//!
//! Each round submits a new day (after the last one reported) for all 10,598 communes:
//! in one call (the batch limit raised to 11,000 with `--max-batch-rows`),
//! and in two calls of 5,299 under the default limit of 10,000; then it
//! resubmits the day with every value changed (10,598 corrections, each
//! with a history row). Every round checks that the national rollup of the
//! day equals the sum submitted, read right after the mutation returned.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

const ROUNDS: usize = 8;

const SUBMIT: &str = r#"mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) { accepted created corrected }
}"#;

const CHECK: &str = r#"query($day: Date!) { unit(level: MINISTRY, code: "0", map: VN2023) {
  rollup(period: { from: $day, to: $day }) { cardsIssued } } }"#;

fn rows(communes: &[String], day: NaiveDate, bump: i64) -> (Vec<Value>, i64) {
    let mut cards = 0;
    let rows = communes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let c = (i as i64 % 50) + bump;
            cards += c;
            json!({ "unit": { "level": "COMMUNE", "code": code }, "day": day.to_string(),
                    "applicationsCollected": c + 3, "cardsIssued": c,
                    "accountsActivated": c / 2, "homeVisits": 1 })
        })
        .collect();
    (rows, cards)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "| {name} | {:.0} | {:.0} | {:.0} |",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
}

#[tokio::main]
async fn main() {
    // `RUST_LOG=tiendo=debug` shows where each submission's time goes.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    let Ok(url) = std::env::var("TIENDO_BENCH_DATABASE_URL") else {
        eprintln!("set TIENDO_BENCH_DATABASE_URL to a database filled by `tiendo generate`");
        return;
    };
    let db = tiendo::store::connect(&url).await.expect("connect");
    tiendo::store::migrate(&db).await.expect("migrate");
    let mut config = tiendo::Config::for_tests(url.clone());
    config.serve.limits.max_batch_rows = 11_000;
    config.serve.access.key_budget = u64::MAX / 8;
    config.serve.access.key_refill = u64::MAX / 8;
    let state = tiendo::AppState::new(db.clone(), config);
    let (admin_key, _) =
        tiendo::access::keys::issue(&db, tiendo::access::Role::Admin, None, "bench", false)
            .await
            .expect("an admin key");
    state.engine.rebuild(&db).await.expect("build the engine");
    let snapshot = state
        .engine
        .snapshot(Duration::from_secs(1))
        .await
        .expect("a snapshot");
    let communes: Vec<String> = snapshot
        .level(
            entity::unit::AdminMap::Vn2023,
            entity::unit::UnitLevel::Commune,
        )
        .iter()
        .map(|u| snapshot.unit(*u).code.clone())
        .collect();
    drop(snapshot);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/graphql", listener.local_addr().expect("address"));
    tokio::spawn(tiendo::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();
    let post = |body: Value| {
        let client = client.clone();
        let base = base.clone();
        let key = admin_key.clone();
        async move {
            let text = client
                .post(&base)
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .expect("send")
                .text()
                .await
                .expect("body");
            let value: Value = serde_json::from_str(&text).expect("JSON");
            assert!(
                value.get("errors").is_none(),
                "{}",
                &text[..text.len().min(2000)]
            );
            value
        }
    };
    let check = move |day: NaiveDate, expected: i64| async move {
        let v = post(json!({ "query": CHECK, "variables": { "day": day.to_string() } })).await;
        assert_eq!(
            v["data"]["unit"]["rollup"]["cardsIssued"], expected,
            "rollup of {day}"
        );
    };

    println!("database: {}", url.split('@').next_back().unwrap_or(&url));
    println!("communes: {}", communes.len());
    println!("| submitReports, one national day | median ms | min ms | max ms |");
    println!("| --- | --- | --- | --- |");
    // New days: after the last day with reports (an earlier run of this
    // benchmark on the same database left some).
    use sea_orm::{ConnectionTrait, Statement};
    let last: Option<NaiveDate> = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT MAX(day) FROM reports",
        ))
        .await
        .expect("last day")
        .and_then(|row| row.try_get_by_index(0).ok());
    let first = last.map_or(NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date"), |d| {
        d + Days::new(1)
    });
    let mut round_day = 0u64;
    let mut next_day = || {
        let d = first + Days::new(round_day);
        round_day += 1;
        d
    };
    let (mut one_call, mut two_calls, mut corrections) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // One call: a new day.
        let day = next_day();
        let (batch, cards) = rows(&communes, day, 0);
        let body = json!({ "query": SUBMIT, "variables": { "reports": batch } });
        let t = Instant::now();
        let v = post(body).await;
        one_call.push(t.elapsed());
        check(day, cards).await;
        assert_eq!(
            v["data"]["submitReports"]["created"],
            communes.len() as i64,
            "{v}"
        );

        // The same day, every value changed: corrections with history.
        let (batch, cards) = rows(&communes, day, 1 + round as i64);
        let body = json!({ "query": SUBMIT, "variables": { "reports": batch } });
        let t = Instant::now();
        post(body).await;
        corrections.push(t.elapsed());
        check(day, cards).await;

        // Two calls under the default limit: another new day.
        let day = next_day();
        let (batch, cards) = rows(&communes, day, 0);
        let half = batch.len() / 2;
        let t = Instant::now();
        post(json!({ "query": SUBMIT, "variables": { "reports": batch[..half] } })).await;
        post(json!({ "query": SUBMIT, "variables": { "reports": batch[half..] } })).await;
        two_calls.push(t.elapsed());
        check(day, cards).await;
    }
    summary("one call of 10,598 new reports", one_call);
    summary("two calls of 5,299 new reports", two_calls);
    summary("10,598 corrections (history rows)", corrections);
}
