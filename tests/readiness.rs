//! Readiness during warm-up, through a real `tiendo serve` process on a
//! national dataset: `/livez` answers at once, `/readyz` is 503 until the
//! rollup engine has its first snapshot and has caught up, and a request
//! that needs the engine meanwhile is answered `UNAVAILABLE` within the
//! warm-up wait (503 with `Retry-After` under
//! `application/graphql-response+json`), never left to time out.

mod common;

use std::time::{Duration, Instant};

use common::process::ServerProcess;
use common::{db_test, tiendo};
use serde_json::{Value, json};

const RANKING: &str = r#"{ ranking(level: PROVINCE, map: VN2023, metric: CARDS_ISSUED,
  period: { from: "2023-06-01", to: "2023-12-31" }, first: 3) { totalCount } }"#;

/// The answer to [`RANKING`] in the media type `accept`.
async fn ranking(server: &ServerProcess, client: &reqwest::Client, accept: &str) -> Value {
    client
        .post(server.url("/graphql"))
        .header("accept", accept)
        .json(&json!({ "query": RANKING }))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("JSON")
}

db_test!(nothing, async fn a_warming_server_says_so_at_once(app) {
    // Given a national dataset (1.6 million reports) the engine takes
    // seconds to read
    let out = tiendo(&app, &["generate", "--days", "150"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // When a server starts on it
    let server = ServerProcess::start(&app.database_url, &["--no-demo", "--warm-up-wait-ms", "1000"]);
    let client = reqwest::Client::new();
    let started = Instant::now();
    server.listening(&client).await;

    // Then it is live at once, and not ready
    let ready = client.get(server.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));

    // And a Ranking is answered UNAVAILABLE within the warm-up wait: 503
    // with Retry-After for a client that reads the GraphQL media type
    let asked = Instant::now();
    let response = client
        .post(server.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": RANKING }))
        .send()
        .await
        .expect("POST");
    let waited = asked.elapsed();
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], 2, "{body}");
    assert!(waited < Duration::from_millis(2_500), "answered after {waited:?}");
    // and 200 with the same error for a client of plain JSON
    let plain = ranking(&server, &client, "application/json").await;
    let code = &plain["errors"][0]["extensions"]["code"];
    assert!(code == "UNAVAILABLE" || plain["data"]["ranking"].is_object(), "{plain}");

    // When the engine has read the data
    server.ready(&client, Duration::from_secs(180)).await;
    let ready_at = started.elapsed();

    // Then it is ready, and the Ranking is answered
    let body = ranking(&server, &client, "application/graphql-response+json").await;
    assert_eq!(body["data"]["ranking"]["totalCount"], 63, "{body} (ready after {ready_at:?})");
});
