//! The front door: no client can make the server hold memory without a
//! bound, slow and idle clients lose their place, proxies are trusted only
//! when configured, production closes GraphiQL, and a mutation's audit
//! record commits with its write.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::process::ServerProcess;
use common::{TestApp, db_test, error_codes};
use serde_json::{Value, json};
use tiendo::access::Role;
use tiendo::access::documents::hash;

const SUBMIT: &str = r#"mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) { accepted } }"#;

fn rows(code: &str, days: std::ops::Range<u32>) -> Value {
    let reports: Vec<Value> = days
        .map(|d| {
            let day = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).expect("day")
                + chrono::Days::new(u64::from(d));
            json!({ "unit": { "level": "COMMUNE", "code": code }, "day": day.to_string(),
                "applicationsCollected": 1, "cardsIssued": 1, "accountsActivated": 1, "homeVisits": 0 })
        })
        .collect();
    json!({ "reports": reports })
}

/// A document of exactly `bytes` bytes, unique by `i` (a comment, then
/// `{ __typename }`).
fn padded_document(i: usize, bytes: usize) -> String {
    let tail = format!("\n{{ __typename }} # {i}");
    format!("#{}{tail}", "x".repeat(bytes - 1 - tail.len()))
}

fn persisted(document: &str) -> Value {
    json!({ "query": document,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash(document) } } })
}

fn by_hash(document: &str) -> Value {
    json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash(document) } } })
}

/// `extensions.cost.throttleStatus.currentlyAvailable` of a response.
fn left(body: &Value) -> u64 {
    body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        .as_u64()
        .unwrap_or_else(|| panic!("no cost in {body}"))
}

/// POSTs `body` without a key over a raw connection, ignoring a refusal
/// to take the rest of the body, and returns what the server answered
/// (empty if the connection was cut).
fn raw_post(address: &str, body: &Value) -> String {
    let body = serde_json::to_vec(body).expect("JSON");
    let Ok(mut stream) = TcpStream::connect(address) else {
        return String::new();
    };
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// Starts the real `tiendo serve` with `args` and waits for `/healthz`.
async fn healthy_server(database_url: &str, args: &[&str]) -> ServerProcess {
    let server = ServerProcess::start(database_url, args);
    server
        .answers(&reqwest::Client::new(), "/healthz", Duration::from_secs(60))
        .await;
    server
}

db_test!(units, async fn a_flood_of_persisted_documents_stays_within_the_bounds(app) {
    // Given the real server, with budgets so large that only the byte
    // bounds can stop the flood
    let server = healthy_server(&app.database_url, &[
        "--anonymous-budget", "1000000000", "--anonymous-refill", "1000000000",
        "--key-budget", "1000000000", "--key-refill", "1000000000",
        "--persisted-queries-anonymous-mb", "4", "--persisted-queries-per-key-kb", "1024",
        "--parse-cache-mb", "8", "--response-cache-mb", "16",
    ]).await;
    // What the flood can fill: the anonymous partition, the key's, the
    // parse cache and the response cache.
    let bounds: u64 = (4 << 20) + (1 << 20) + (8 << 20) + (16 << 20);
    let client = reqwest::Client::new();
    let url = server.url("/graphql");
    let post = |body: Value, key: Option<String>| {
        let mut request = client.post(&url).json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        async move {
            let response = request.send().await.expect("POST");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON"))
        }
    };
    for i in 0..20 {
        post(persisted(&padded_document(1_000_000 + i, 1_000)), None).await;
    }
    let before = server.resident_bytes();

    // When, without a key, 400 documents of 1 MiB are sent with their hash
    let address = server.url("").trim_start_matches("http://").to_owned();
    let answers = tokio::task::spawn_blocking(move || {
        (0..400usize)
            .map(|i| raw_post(&address, &persisted(&padded_document(i, 1 << 20))))
            .collect::<Vec<_>>()
    })
    .await
    .expect("the flood");
    // Then each is refused at the door (a body that large needs a key):
    // answered 413, or cut off while still sending
    assert!(answers[0].starts_with("HTTP/1.1 413"), "{}", answers[0]);
    assert!(answers[0].contains("needs an API key"), "{}", answers[0]);
    for answer in &answers {
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 413"), "{answer}");
    }
    // And when 2,000 documents of 32 KiB (the largest stored) are sent
    // without a key, and 200 of 1 MiB with a key (run, not stored)
    let mut flood = futures_util::stream::iter(0..2_000usize)
        .map(|i| post(persisted(&padded_document(i, 32 * 1024)), None))
        .buffer_unordered(8);
    while let Some((status, body)) = flood.next().await {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["__typename"], "Query");
    }
    let key = app.key(Role::Viewer, Some(("province", "42"))).await;
    let mut flood = futures_util::stream::iter(0..200usize)
        .map(|i| post(persisted(&padded_document(10_000 + i, 1 << 20)), Some(key.clone())))
        .buffer_unordered(4);
    while let Some((status, body)) = flood.next().await {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["extensions"]["persistedQuery"]["stored"], false, "{body}");
    }

    // Then resident memory grew by no more than those bounds, with room
    // for the requests in flight and the allocator (the flood sent 670 MB)
    let grown = server.resident_bytes().saturating_sub(before);
    eprintln!("resident memory grew by {} KiB (bounds {} KiB)", grown / 1024, bounds / 1024);
    assert!(grown < bounds + (40 << 20), "resident memory grew by {} MiB", grown >> 20);
    // And a document stored before the flood by hash alone: either served
    // or asked for again, never an error of another kind
    let (_, body) = post(by_hash(&padded_document(1_000_000, 1_000)), None).await;
    assert!(
        body.get("errors").is_none() || error_codes(&body) == vec!["PERSISTED_QUERY_NOT_FOUND"],
        "{body}"
    );
});

use futures_util::StreamExt;

db_test!(units, configured(|c: &mut tiendo::Config| {
    c.serve.bounds.persisted_query_max_bytes = 2_048;
    c.serve.bounds.persisted_query_points_per_kib = 100;
    c.serve.access.anonymous_budget = 500;
    c.serve.access.anonymous_refill = 1;
}), async fn persisted_documents_are_capped_paid_for_and_partitioned(app) {
    // Given two keys
    let a = app.key(Role::Viewer, Some(("province", "42"))).await;
    let b = app.key(Role::Viewer, Some(("province", "42"))).await;
    let small = padded_document(1, 1_000);
    // When key A stores a document
    let (_, body) = app.post_body(Some(&a), &persisted(&small)).await;
    assert!(body.get("errors").is_none(), "{body}");
    // Then A finds it by hash, and B does not (a partition per key)
    let (_, body) = app.post_body(Some(&a), &by_hash(&small)).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (_, body) = app.post_body(Some(&b), &by_hash(&small)).await;
    assert_eq!(error_codes(&body), vec!["PERSISTED_QUERY_NOT_FOUND"], "{body}");

    // When a document over the cap (2 KiB) is sent with its hash
    let big = padded_document(2, 3_000);
    let (status, body) = app.post_body(Some(&a), &persisted(&big)).await;
    // Then it runs, says it was not stored, and is not found by hash
    assert_eq!(status, 200);
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    assert_eq!(body["extensions"]["persistedQuery"]["stored"], false, "{body}");
    let (_, body) = app.post_body(Some(&a), &by_hash(&big)).await;
    assert_eq!(error_codes(&body), vec!["PERSISTED_QUERY_NOT_FOUND"], "{body}");

    // When a caller without a key (500 points) stores a 2 KiB document
    // (200 points) and then another
    let first = padded_document(3, 2_000);
    let (_, body) = app.post_body(None, &persisted(&first)).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(left(&body) <= 300, "storing was not charged: {body}");
    let second = padded_document(4, 2_000);
    let (_, body) = app.post_body(None, &persisted(&second)).await;
    assert!(body.get("errors").is_none(), "{body}");
    // Then the third is refused before it is stored
    let third = padded_document(5, 2_000);
    let (status, body) = app.post_body(None, &persisted(&third)).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_codes(&body), vec!["RATE_LIMITED"]);
    let (_, body) = app.post_body(None, &by_hash(&third)).await;
    assert_eq!(error_codes(&body), vec!["PERSISTED_QUERY_NOT_FOUND"], "{body}");
});

/// Opens a raw connection that sends the headers of a POST of `length`
/// bytes with `key`, then one byte of body every `every`.
fn slow_upload(
    base: &str,
    key: &str,
    length: usize,
    every: Duration,
) -> std::thread::JoinHandle<String> {
    let address = base.trim_start_matches("http://").to_owned();
    let key = key.to_owned();
    std::thread::spawn(move || {
        let mut stream = TcpStream::connect(&address).expect("connect");
        let head = format!(
            "POST /graphql HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
             authorization: Bearer {key}\r\ncontent-length: {length}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("send headers");
        stream.set_read_timeout(Some(every)).expect("timeout");
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if stream.write_all(b" ").is_err() {
                break;
            }
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
                Err(_) => {}
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    })
}

db_test!(units, configured(|c: &mut tiendo::Config| {
    c.serve.front_door.body_read_timeout_ms = 3_000;
}), async fn slow_uploads_do_not_delay_a_submission(app) {
    // Given three officers' uploads of 3 MB arriving a byte at a time
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let slow: Vec<_> = (0..3)
        .map(|_| slow_upload(&app.base, &officer, 3_000_000, Duration::from_millis(50)))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // When an officer submits a day's reports, small and large (over the
    // 64 KiB of a small body)
    let started = Instant::now();
    let (status, body) = app.post_as(Some(&officer), SUBMIT, rows("18586", 0..2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["submitReports"]["accepted"], 2, "{body}");
    let large = rows("18586", 10..700);
    assert!(serde_json::to_vec(&json!({ "query": SUBMIT, "variables": large })).expect("JSON").len() > 64 * 1024);
    let (status, body) = app.post_as(Some(&officer), SUBMIT, large).await;
    let took = started.elapsed();

    // Then both are written at once, not after the slow uploads
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["submitReports"]["accepted"], 690, "{body}");
    assert!(took < Duration::from_millis(2_500), "the submissions took {took:?}");
    // And the slow uploads lose their place with 408 after the body timeout
    for upload in slow {
        let answer = upload.join().expect("slow upload");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
});

db_test!(units, configured(|c: &mut tiendo::Config| {
    c.serve.front_door.max_connections = 8;
    c.serve.front_door.header_read_timeout_ms = 600;
}), async fn connections_beyond_the_limit_are_refused_and_idle_ones_closed(app) {
    // Given 8 open connections, the limit
    let address = app.base.trim_start_matches("http://").to_owned();
    let held: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(&address).expect("connect")).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // When one more asks
    let response = reqwest::Client::new()
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("an answer");
    // Then it is refused clearly, with a retry time
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(error_codes(&body), vec!["UNAVAILABLE"], "{body}");

    // And the idle connections are closed after the header timeout (600 ms)
    for mut stream in held {
        stream.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
        let mut buffer = [0u8; 64];
        let started = Instant::now();
        let read = stream.read(&mut buffer);
        assert!(matches!(read, Ok(0)) || read.is_err() || started.elapsed() < Duration::from_secs(3),
            "an idle connection stayed open");
        assert!(started.elapsed() < Duration::from_millis(2_900), "closed only after {:?}", started.elapsed());
    }
    // So that new clients are served again
    let started = Instant::now();
    loop {
        let (status, body) = app.post_as(None, "{ __typename }", json!({})).await;
        if status == 200 {
            assert_eq!(body["data"]["__typename"], "Query");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "still refused: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // And headers sent too slowly close the connection
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream.write_all(b"POST /graphql HTTP/1.1\r\nhost: x\r\n").expect("part of the headers");
    stream.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(started.elapsed() < Duration::from_millis(2_900), "still open after {:?}", started.elapsed());
});

/// The bucket left after an anonymous `{ __typename }` sent with
/// `X-Forwarded-For: forwarded`.
async fn left_after(app: &TestApp, forwarded: &str) -> u64 {
    let response = app
        .client()
        .post(app.url("/graphql"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("POST");
    left(&response.json::<Value>().await.expect("JSON"))
}

fn anonymous_budget_of_100(c: &mut tiendo::Config) {
    c.serve.access.anonymous_budget = 100;
    c.serve.access.anonymous_refill = 1;
}

db_test!(units, configured(|c: &mut tiendo::Config| {
    anonymous_budget_of_100(c);
    c.serve.front_door.trusted_proxies = vec![tiendo::http::client::Cidr::parse("127.0.0.0/8").expect("block")];
}), async fn forwarded_addresses_count_from_trusted_proxies_only(app) {
    // Given a server behind a trusted proxy (the test client, on 127.0.0.1)
    // When two clients are forwarded
    let a = left_after(&app, "203.0.113.1").await;
    let b = left_after(&app, "198.51.100.7, 203.0.113.2").await;
    let a_again = left_after(&app, "203.0.113.1").await;
    // Then each has its own bucket (the rightmost untrusted address)
    assert_eq!(a, 99);
    assert_eq!(b, 99);
    assert_eq!(a_again, 98);

    // Given a server that trusts no proxy
    let name = format!("{}_untrusted", module_path!());
    let untrusted = TestApp::spawn_configured(&name, app.backend, tiendo::demo::DemoParts::Units,
        anonymous_budget_of_100).await;
    // When clients claim other addresses
    let first = left_after(&untrusted, "203.0.113.1").await;
    let second = left_after(&untrusted, "203.0.113.2").await;
    // Then the header is ignored: one bucket, the socket's
    assert_eq!((first, second), (99, 98));
});

db_test!(units, configured(|c: &mut tiendo::Config| {
    c.serve.access.production = true;
}), async fn production_serves_no_graphiql_unless_asked(app) {
    let browser = || {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("accept", "text/html".parse().expect("header"));
        headers
    };
    // Given --production without --graphiql: no GraphiQL
    let response = app.get("/graphql", browser()).await;
    assert_eq!(response.status(), 404);
    assert!(!response.text().await.expect("body").to_lowercase().contains("graphiql.min"));
    // Queries still run
    let (status, _) = app.post_as(None, "{ __typename }", json!({})).await;
    assert_eq!(status, 200);

    // Given --production --graphiql: GraphiQL
    let name = format!("{}_graphiql", module_path!());
    let asked = TestApp::spawn_configured(&name, app.backend, tiendo::demo::DemoParts::Units, |c| {
        c.serve.access.production = true;
        c.serve.graphiql = true;
    }).await;
    let response = asked.get("/graphql", browser()).await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.expect("body").to_lowercase().contains("graphiql"));
});

#[test]
fn the_demo_loads_only_into_sqlite_or_when_asked() {
    use clap::Parser;
    let parse = |args: &[&str]| {
        let mut all = vec!["tiendo", "serve"];
        all.extend_from_slice(args);
        match tiendo::config::Cli::parse_from(all).command {
            Some(tiendo::config::Command::Serve(serve)) => *serve,
            _ => panic!("not serve"),
        }
    };
    let sqlite = "sqlite://data/tiendo.sqlite?mode=rwc";
    let postgres = "postgres://postgres@127.0.0.1/tiendo";
    assert!(parse(&[]).loads_demo(sqlite));
    assert!(!parse(&[]).loads_demo(postgres));
    assert!(parse(&["--demo"]).loads_demo(postgres));
    assert!(!parse(&["--no-demo"]).loads_demo(sqlite));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs TIENDO_TEST_POSTGRES; run with --include-ignored"]
async fn an_empty_postgres_database_stays_empty_without_demo() {
    // Given an empty PostgreSQL database
    use sea_orm::ConnectionTrait;
    let server_url = std::env::var(common::POSTGRES_ENV).expect("TIENDO_TEST_POSTGRES");
    let database = common::postgres_database_name("front_door_empty_postgres");
    let (base, _) = server_url.rsplit_once('/').expect("a database URL");
    let url = format!("{base}/{database}");
    let admin = sea_orm::Database::connect(server_url.as_str())
        .await
        .expect("connect");
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        ))
        .await
        .expect("drop");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{database}\""))
        .await
        .expect("create");
    // When the server starts on it without --demo or --no-demo
    let server = healthy_server(&url, &[]).await;
    // Then it migrated it and loaded nothing
    let db = tiendo::store::connect(&url).await.expect("connect");
    let units = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM units",
        ))
        .await
        .expect("count")
        .expect("a row");
    let n: i64 = units.try_get("", "n").expect("n");
    assert_eq!(n, 0, "the demo was loaded into PostgreSQL");
    drop(server);
    db.close().await.ok();
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        ))
        .await
        .ok();
}

db_test!(units, async fn a_mutation_that_wrote_always_has_its_audit_record(app) {
    use sea_orm::ConnectionTrait;
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    // Given a submission that writes: its record is there
    let (_, body) = app.post_as(Some(&officer), SUBMIT, rows("18586", 0..1)).await;
    assert_eq!(body["data"]["submitReports"]["accepted"], 1, "{body}");
    let db = tiendo::store::connect(&app.database_url).await.expect("connect");
    let audits = tiendo::store::access::audit_count(&db).await.expect("count");
    assert!(audits >= 1);

    // Given an audit log that cannot be written (its table is gone)
    db.execute_unprepared("DROP TABLE audit_log").await.expect("drop the audit log");
    // When an officer submits
    let (_, body) = app.post_as(Some(&officer), SUBMIT, rows("18586", 1..2)).await;
    // Then the submission fails and wrote nothing: the record and the rows
    // commit together or not at all
    assert!(body.get("errors").is_some(), "{body}");
    let reports = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM reports",
        ))
        .await
        .expect("count")
        .expect("a row");
    let n: i64 = reports.try_get("", "n").expect("n");
    assert_eq!(n, 1, "a mutation wrote without its audit record");
    db.close().await.ok();
});
