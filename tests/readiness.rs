//! Readiness during warm-up, through a real `tiendo serve` process on a
//! national dataset: `/livez` answers at once, `/readyz` is 503 until the
//! rollup engine has its first snapshot and has caught up, and a request
//! that needs the engine meanwhile is answered `UNAVAILABLE` within the
//! warm-up wait (503 with `Retry-After` under
//! `application/graphql-response+json`), never left to time out.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{db_test, tiendo};
use serde_json::{Value, json};

const RANKING: &str = r#"{ ranking(level: PROVINCE, map: VN2023, metric: CARDS_ISSUED,
  period: { from: "2023-06-01", to: "2023-12-31" }, first: 3) { totalCount } }"#;

/// A `tiendo serve` process, stopped when dropped.
struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    fn start(database_url: &str) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_tiendo"))
            .args(["--database-url", database_url, "serve", "--no-demo"])
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--warm-up-wait-ms",
                "1000",
            ])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tiendo serve");
        Server(child, port)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.1)
    }

    /// The answer to [`RANKING`] in the media type `accept`.
    async fn ranking(&self, client: &reqwest::Client, accept: &str) -> Value {
        client
            .post(self.url("/graphql"))
            .header("accept", accept)
            .json(&json!({ "query": RANKING }))
            .send()
            .await
            .expect("POST")
            .json()
            .await
            .expect("JSON")
    }
}

db_test!(nothing, async fn a_warming_server_says_so_at_once(app) {
    // Given a national dataset (1.6 million reports) the engine takes
    // seconds to read
    let out = tiendo(&app, &["generate", "--days", "150"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // When a server starts on it
    let server = Server::start(&app.database_url);
    let client = reqwest::Client::new();
    let started = Instant::now();
    let live = loop {
        match client.get(server.url("/livez")).send().await {
            Ok(response) => break response,
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(err) => panic!("the server never listened: {err}"),
        }
    };

    // Then it is live at once, and not ready
    assert_eq!(live.status(), 200);
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
    let plain = server.ranking(&client, "application/json").await;
    let code = &plain["errors"][0]["extensions"]["code"];
    assert!(code == "UNAVAILABLE" || plain["data"]["ranking"].is_object(), "{plain}");

    // When the engine has read the data
    let ready_at = loop {
        let status = client.get(server.url("/readyz")).send().await.expect("readyz").status();
        if status == 200 {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(180), "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Then it is ready, and the Ranking is answered
    let body = server.ranking(&client, "application/graphql-response+json").await;
    assert_eq!(body["data"]["ranking"]["totalCount"], 63, "{body} (ready after {ready_at:?})");
});
