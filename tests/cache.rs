//! The response cache: a read is answered from the cache until a write
//! changes the data, never across scopes, and never stale after a commit —
//! also when the write went through another server process.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestApp, db_test, error_codes};
use serde_json::{Value, json};
use tiendo::access::Role;

const ROLLUP: &str = r#"
query Rollup($level: UnitLevel!, $code: String!, $from: Date!, $to: Date!) {
  unit(level: $level, code: $code, map: VN2023) {
    rollup(period: { from: $from, to: $to }) { cardsIssued accountsActivated cccdCoverage }
  }
}
"#;

const SUBMIT: &str = r#"
mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) { accepted }
}
"#;

fn may(code: &str) -> Value {
    json!({ "level": "PROVINCE", "code": code, "from": "2023-05-01", "to": "2023-05-31" })
}

fn report(commune: &str, day: &str, cards: i64) -> Value {
    json!({ "unit": { "level": "COMMUNE", "code": commune }, "day": day,
            "applicationsCollected": cards, "cardsIssued": cards,
            "accountsActivated": 1, "homeVisits": 0 })
}

fn cache_status(body: &Value) -> &str {
    body["extensions"]["responseCache"]
        .as_str()
        .unwrap_or_else(|| panic!("no extensions.responseCache in {body}"))
}

/// Waits for the rollup engine's first snapshot (until then answers are
/// `BYPASS`: nothing to label them with).
async fn ready(app: &TestApp) {
    let body = app.post(ROLLUP, may("40")).await;
    assert_eq!(error_codes(&body), Vec::<String>::new(), "{body}");
}

async fn submit(app: &TestApp, rows: Vec<Value>) {
    let body = app.post(SUBMIT, json!({ "reports": rows })).await;
    assert_eq!(error_codes(&body), Vec::<String>::new(), "{body}");
}

db_test!(catalogue, async fn a_cached_answer_lasts_until_a_write_changes_the_data(app) {
    // Given a province's rollup asked once
    ready(&app).await;
    let first = app.post(ROLLUP, may("42")).await;
    assert_eq!(cache_status(&first), "MISS", "{first}");
    assert_eq!(first["data"]["unit"]["rollup"]["cardsIssued"], 0);

    // When it is asked again, it comes from the cache, charged as before
    let second = app.post(ROLLUP, may("42")).await;
    assert_eq!(cache_status(&second), "HIT", "{second}");
    assert_eq!(second["data"], first["data"]);
    let cost = &second["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], first["extensions"]["cost"]["requestedQueryCost"]);
    assert_eq!(cost["actualQueryCost"], first["extensions"]["cost"]["actualQueryCost"]);
    assert!(cost["throttleStatus"]["currentlyAvailable"].as_u64().is_some(), "{cost}");

    // Other variables are another entry
    assert_eq!(cache_status(&app.post(ROLLUP, may("49")).await), "MISS");

    // A key's revocation changes no data: the entry stays
    let db = tiendo::store::connect(&app.database_url).await.expect("connect");
    let (_, spare) = tiendo::access::keys::issue(&db, Role::Viewer, None, "spare", false)
        .await
        .expect("a key");
    assert!(tiendo::store::access::revoke_key(&db, spare.id).await.expect("revoke"));
    assert_eq!(cache_status(&app.post(ROLLUP, may("42")).await), "HIT");

    // A write to the province's numbers ends it: the next answer is new
    submit(&app, vec![report("18586", "2023-05-02", 8)]).await;
    let after = app.post(ROLLUP, may("42")).await;
    assert_eq!(cache_status(&after), "MISS", "{after}");
    assert_eq!(after["data"]["unit"]["rollup"]["cardsIssued"], 8);
    let again = app.post(ROLLUP, may("42")).await;
    assert_eq!(cache_status(&again), "HIT");
    assert_eq!(again["data"], after["data"]);

    // Mutations and refused documents are never cached
    let body = app.post(SUBMIT, json!({ "reports": [report("18586", "2023-05-02", 8)] })).await;
    assert_eq!(cache_status(&body), "BYPASS");
    for _ in 0..2 {
        let body = app.post("{ units(first: 1000, map: VN2023) { totalCount } }", json!({})).await;
        assert!(!error_codes(&body).is_empty(), "{body}");
        assert_ne!(cache_status(&body), "HIT", "{body}");
    }
});

db_test!(catalogue, async fn a_cached_answer_never_crosses_scopes(app) {
    let commune = r#"{ unit(level: COMMUNE, code: "18586", map: VN2023) { code name } }"#;
    let ha_tinh = app.key(Role::Officer, Some(("province", "42"))).await;
    let quang_nam = app.key(Role::Officer, Some(("province", "49"))).await;

    // Given the commune's answer cached for an administrator
    ready(&app).await;
    assert_eq!(cache_status(&app.post(commune, json!({})).await), "MISS");
    assert_eq!(cache_status(&app.post(commune, json!({})).await), "HIT");

    // Then a Hà Tĩnh officer gets it from an entry of the officer's own
    let (_, body) = app.post_as(Some(&ha_tinh), commune, json!({})).await;
    assert_eq!(cache_status(&body), "MISS", "{body}");
    assert_eq!(body["data"]["unit"]["code"], "18586");
    let (_, body) = app.post_as(Some(&ha_tinh), commune, json!({})).await;
    assert_eq!(cache_status(&body), "HIT", "{body}");

    // And a Quảng Nam officer and a caller without a key are refused every
    // time, without the name
    for key in [Some(quang_nam.as_str()), None] {
        for _ in 0..2 {
            let (_, body) = app.post_as(key, commune, json!({})).await;
            assert_eq!(error_codes(&body), vec!["FORBIDDEN"], "{body}");
            assert_ne!(cache_status(&body), "HIT", "{body}");
            assert!(body["data"]["unit"].is_null(), "{body}");
            assert!(!body.to_string().contains("Thạch Kênh"), "{body}");
        }
    }

    // Documents about the key itself are not cached
    for _ in 0..2 {
        let (_, body) = app.post_as(Some(&ha_tinh), "{ viewer { name role } }", json!({})).await;
        assert_eq!(cache_status(&body), "MISS", "{body}");
    }
    let (_, body) = app.post_as(Some(&ha_tinh), "{ viewer { name role } }", json!({})).await;
    assert_eq!(body["data"]["viewer"]["role"], "OFFICER");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_can_be_turned_off_or_sized() {
    // --no-response-cache: every answer executes, and says so
    let off = TestApp::spawn_configured(
        "cache_off",
        common::Backend::Sqlite,
        tiendo::demo::DemoParts::Units,
        |config| config.serve.no_response_cache = true,
    )
    .await;
    ready(&off).await;
    for _ in 0..2 {
        assert_eq!(
            cache_status(
                &off.post("{ country(map: VN2023) { code } }", json!({}))
                    .await
            ),
            "OFF"
        );
    }
    // A cache of 0 MiB keeps nothing
    let tiny = TestApp::spawn_configured(
        "cache_zero",
        common::Backend::Sqlite,
        tiendo::demo::DemoParts::Units,
        |config| config.serve.response_cache_mb = 0,
    )
    .await;
    ready(&tiny).await;
    for _ in 0..2 {
        assert_eq!(
            cache_status(
                &tiny
                    .post("{ country(map: VN2023) { code } }", json!({}))
                    .await
            ),
            "MISS"
        );
    }
}

/// A `tiendo serve` process over the same database as `app`; killed when
/// dropped.
struct ServerProcess {
    child: Child,
    base: String,
    client: reqwest::Client,
    key: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    async fn start(app: &TestApp) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_tiendo"))
            .args(["--database-url", &app.database_url])
            .args([
                "serve",
                "--no-demo",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env_remove("TIENDO_NO_RESPONSE_CACHE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tiendo serve");
        let server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            key: app.admin_key.clone(),
        };
        // Ready when its engine answers a rollup.
        let started = Instant::now();
        loop {
            if let Ok(body) = server.try_post(ROLLUP, may("42")).await {
                if body["data"]["unit"]["rollup"].is_object() {
                    return server;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the second server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn try_post(&self, query: &str, variables: Value) -> Result<Value, reqwest::Error> {
        self.client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await
    }

    async fn post(&self, query: &str, variables: Value) -> Value {
        self.try_post(query, variables)
            .await
            .expect("POST to the second server")
    }
}

db_test!(catalogue, async fn a_write_on_one_server_process_is_read_at_once_on_another(app) {
    // Given a second server process over the same database, whose cache
    // holds the province's rollup
    let other = ServerProcess::start(&app).await;
    let mut expected = 0;
    for day in 1..=12 {
        let before = other.post(ROLLUP, may("42")).await;
        let again = other.post(ROLLUP, may("42")).await;
        assert_eq!(cache_status(&again), "HIT", "{again}");
        assert_eq!(again["data"], before["data"]);
        assert_eq!(again["data"]["unit"]["rollup"]["cardsIssued"], expected);

        // When a report is written through this process (or, every other
        // time, through the other one) ...
        let row = report("18586", &format!("2023-05-{day:02}"), day);
        expected += day;
        if day % 2 == 0 {
            let body = other.post(SUBMIT, json!({ "reports": [row] })).await;
            assert_eq!(error_codes(&body), Vec::<String>::new(), "{body}");
        } else {
            submit(&app, vec![row]).await;
        }

        // ... then both answer with it at once, neither from a stale entry
        let seen_other = other.post(ROLLUP, may("42")).await;
        assert_eq!(seen_other["data"]["unit"]["rollup"]["cardsIssued"], expected, "{seen_other}");
        assert_ne!(cache_status(&seen_other), "HIT");
        let seen_here = app.post(ROLLUP, may("42")).await;
        assert_eq!(seen_here["data"]["unit"]["rollup"]["cardsIssued"], expected, "{seen_here}");
    }
});
