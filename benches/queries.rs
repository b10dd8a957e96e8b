//! Read benchmark over HTTP: the dashboard documents of the API contract
//! against a server running in this process on a national dataset.
//!
//! ```sh
//! tiendo --database-url sqlite:///tmp/national.sqlite?mode=rwc generate --days 365
//! TIENDO_BENCH_DATABASE_URL=sqlite:///tmp/national.sqlite?mode=rwc cargo bench --bench queries
//! ```
//!
//! Prints, per document, the median, p90 and p99 latency of sequential
//! requests (client round trip included) after a warm-up.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::{COUNTRY, DRILL, RANKING, SERIES};

const REQUESTS: usize = 300;
const WARM_UP: usize = 30;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let Ok(url) = std::env::var("TIENDO_BENCH_DATABASE_URL") else {
        eprintln!("set TIENDO_BENCH_DATABASE_URL to a database filled by `tiendo generate`");
        return;
    };
    let db = tiendo::store::connect(&url).await.expect("connect");
    tiendo::store::migrate(&db).await.expect("migrate");
    let mut config = tiendo::Config::for_tests(url.clone());
    // Execution is measured here: the response cache (measured by the load
    // benchmark) would answer every repeat.
    config.serve.no_response_cache = true;
    // Budgets are measured elsewhere: here one client sends everything.
    config.serve.access.key_budget = u64::MAX / 8;
    config.serve.access.key_refill = u64::MAX / 8;
    config.serve.access.anonymous_budget = u64::MAX / 8;
    config.serve.access.anonymous_refill = u64::MAX / 8;
    let state = tiendo::AppState::new(db.clone(), config);
    let (admin_key, _) =
        tiendo::access::keys::issue(&db, tiendo::access::Role::Admin, None, "bench", false)
            .await
            .expect("an admin key");
    let started = Instant::now();
    state.engine.rebuild(&db).await.expect("build the engine");
    let warm = started.elapsed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/graphql", listener.local_addr().expect("address"));
    let in_process = state.clone();
    tokio::spawn(tiendo::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();

    println!("database: {}", url.split('@').next_back().unwrap_or(&url));
    println!("engine built in {:.2} s", warm.as_secs_f64());
    println!("| document | median ms | p90 ms | p99 ms | bytes |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, document, key) in [
        ("{ __typename }", "{ __typename }", Some(&admin_key)),
        ("Ranking (63 provinces)", RANKING, Some(&admin_key)),
        ("Ranking (63 provinces), no key", RANKING, None),
        ("Drill (one province)", DRILL, Some(&admin_key)),
        ("Series (a year by week)", SERIES, Some(&admin_key)),
        ("Country drill (63 × 705)", COUNTRY, Some(&admin_key)),
    ] {
        let body = json!({ "query": document });
        let mut times = Vec::with_capacity(REQUESTS);
        let mut bytes = 0;
        for i in 0..WARM_UP + REQUESTS {
            let t = Instant::now();
            let mut request = client.post(&base).json(&body);
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            let response = request.send().await.expect("send");
            let text = response.text().await.expect("body");
            let elapsed = t.elapsed();
            if i == 0 {
                let value: Value = serde_json::from_str(&text).expect("JSON");
                assert!(value.get("errors").is_none(), "{name}: {text}");
                bytes = text.len();
            }
            if i >= WARM_UP {
                times.push(elapsed);
            }
        }
        times.sort();
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {bytes} |",
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            percentile(&times, 0.99)
        );
    }

    access_overhead(&in_process, &db, &admin_key).await;
}

/// The Ranking document run in-process through the schema, without and
/// with the access layer (key lookup, cost estimate, budget charge and
/// refund, `extensions.cost`), alternating, to isolate what access adds.
async fn access_overhead(state: &tiendo::AppState, db: &sea_orm::DatabaseConnection, key: &str) {
    use tiendo::access::budget::Holder;
    use tiendo::access::{Caller, Scope};
    use tiendo::graphql::Loaders;
    let rounds = 2_000;
    let (mut bare, mut checked) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    let header = format!("Bearer {key}");
    for i in 0..rounds + 100 {
        let t = Instant::now();
        let request = async_graphql::Request::new(RANKING)
            .data(Loaders::new(db, &state.engine, Scope::everything()))
            .data(Caller::admin("bench"));
        let response = state.schemas.for_caller(true).execute(request).await;
        let plain = t.elapsed();
        assert!(response.errors.is_empty());

        let t = Instant::now();
        let tree = state.engine.current();
        let caller = state
            .access
            .caller(db, Some(&header), state.engine.version(), tree.as_deref())
            .await
            .expect("the key");
        let holder = caller.key_id.map(Holder::Key);
        let mut request = async_graphql::Request::new(RANKING);
        let admission = state.guard.admit(&mut request, &caller, holder, true);
        assert!(admission.refusal.is_none());
        let request = request
            .data(Loaders::new(db, &state.engine, caller.scope.clone()))
            .data(caller.clone());
        let mut response = state.schemas.for_caller(true).execute(request).await;
        state
            .guard
            .settle(&admission, &caller, holder, &mut response);
        let with_access = t.elapsed();
        assert!(response.errors.is_empty());
        assert!(response.extensions.contains_key("cost"));
        if i >= 100 {
            bare.push(plain);
            checked.push(with_access);
        }
    }
    bare.sort();
    checked.sort();
    let (b, c) = (percentile(&bare, 0.5), percentile(&checked, 0.5));
    println!();
    println!("| Ranking in-process ({rounds} runs) | median ms | p90 ms |");
    println!("| --- | --- | --- |");
    println!(
        "| without the access layer | {b:.3} | {:.3} |",
        percentile(&bare, 0.9)
    );
    println!(
        "| with key, scope, cost and budget | {c:.3} | {:.3} |",
        percentile(&checked, 0.9)
    );
    println!("access adds {:.1}% to the median", (c - b) / b * 100.0);
}
