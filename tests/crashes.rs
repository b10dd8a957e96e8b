//! Crash safety: a real `tiendo serve` process killed with SIGKILL at
//! random moments, twenty times, while officers submit batches, correct
//! reports and set stock values (each of which makes the rollup engine
//! rebuild), and sometimes while the engine is still building at start.
//!
//! After every kill the database holds only whole batches, every report's
//! version matches its history, and every write that was acknowledged is
//! there; after every restart the server's rollups equal the raw sums. A
//! client that did not hear back resubmits (batches are idempotent) or
//! reads, as a real one would, and finds its write done exactly once or not
//! at all.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use common::process::ServerProcess;
use common::{db_test, tiendo};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// Reports in one batch (one day of this many communes).
const BATCH: usize = 200;
/// Kills per database.
const KILLS: u64 = 20;
/// Reports whose corrections are followed exactly (one `nodes` page).
const TRACKED: usize = 100;
/// The first day the officers report (the dataset ends 2023-12-31).
const FIRST_DAY: &str = "2024-01-01";

const SUBMIT: &str = r#"mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) {
    accepted created corrected unchanged
    reports { id version cardsIssued }
  }
}"#;

const CORRECT: &str = r#"mutation Correct($id: ID!, $version: Int!, $cards: Int!) {
  correctReport(input: { id: $id, expectedVersion: $version, reason: "crash test",
                         values: { cardsIssued: $cards } }) {
    report { id version cardsIssued }
  }
}"#;

const STOCKS: &str = r#"mutation Stocks($code: String!, $eligible: Int!) {
  setStockValues(input: { unit: { level: COMMUNE, code: $code, map: VN2023 },
                          from: "2023-12-25", eligiblePopulation: $eligible }) {
    dataVersion
  }
}"#;

const READ_BACK: &str = r#"query ReadBack($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Report { id version cardsIssued } }
}"#;

const ROLLUPS: &str = r#"query Rollups($period: PeriodInput!) {
  country(map: VN2023) { code level rollup(period: $period) { ...flows } }
  units(level: PROVINCE, map: VN2023, first: 100) {
    pageInfo { hasNextPage }
    nodes { code level rollup(period: $period) { ...flows } }
  }
}
fragment flows on Rollup { applicationsCollected cardsIssued accountsActivated homeVisits }"#;

/// A small deterministic generator (xorshift), so a failing run can be
/// repeated with its seed.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.next() % (to - from))
    }
}

/// A report followed through its corrections: its last acknowledged
/// state, and a correction sent but not answered.
#[derive(Debug, Clone)]
struct Tracked {
    version: i64,
    cards: i64,
    unanswered: Option<(i64, i64)>,
}

/// What the clients know: what was acknowledged, and what was sent without
/// an answer.
#[derive(Debug, Default, Clone)]
struct Known {
    /// Days whose batch was acknowledged.
    acknowledged: BTreeSet<NaiveDate>,
    /// The batch sent without an answer (resubmitted after the restart).
    pending: Option<NaiveDate>,
    /// The next day no batch was sent for.
    next_day: i64,
    tracked: BTreeMap<String, Tracked>,
    corrections: u64,
    stock_writes: u64,
}

/// The clients, shared by the traffic tasks.
#[derive(Clone)]
struct Clients {
    http: reqwest::Client,
    url: String,
    key: String,
    communes: Arc<Vec<String>>,
    known: Arc<Mutex<Known>>,
}

fn day_of(n: i64) -> NaiveDate {
    FIRST_DAY.parse::<NaiveDate>().expect("a day") + chrono::Duration::days(n)
}

fn batch_rows(communes: &[String], day: NaiveDate) -> Vec<Value> {
    let seed = day.to_string().bytes().map(u64::from).sum::<u64>();
    communes[..BATCH]
        .iter()
        .enumerate()
        .map(|(j, code)| {
            let v = (seed + j as u64 * 7) % 40;
            json!({ "unit": { "level": "COMMUNE", "code": code, "map": "VN2023" },
                    "day": day.to_string(),
                    "applicationsCollected": v + 2, "cardsIssued": v,
                    "accountsActivated": v / 2, "homeVisits": v % 3 })
        })
        .collect()
}

impl Clients {
    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().expect("what the clients know")
    }

    /// POSTs a document; `None` when no answer came (the server is gone)
    /// or the answer has errors.
    async fn graphql(&self, query: &str, variables: Value) -> Option<Value> {
        let response = self
            .http
            .post(format!("{}/graphql", self.url))
            .bearer_auth(&self.key)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .ok()?;
        let body: Value = response.json().await.ok()?;
        if body.get("errors").is_some() {
            eprintln!("answered with errors: {body}");
        }
        body.get("errors").is_none().then_some(body)
    }

    /// Sends the batch of `day` (a resubmission when it was pending) and
    /// records it when acknowledged.
    async fn submit(&self, day: NaiveDate) -> bool {
        self.known().pending = Some(day);
        let rows = batch_rows(&self.communes, day);
        let Some(body) = self.graphql(SUBMIT, json!({ "reports": rows })).await else {
            return false;
        };
        let payload = &body["data"]["submitReports"];
        assert_eq!(payload["accepted"], BATCH, "{payload}");
        let whole =
            payload["created"].as_u64().unwrap_or(0) + payload["unchanged"].as_u64().unwrap_or(0);
        assert_eq!(
            whole, BATCH as u64,
            "a batch is created or found whole: {payload}"
        );
        let mut known = self.known();
        known.pending = None;
        known.acknowledged.insert(day);
        if known.tracked.is_empty() && payload["created"] == BATCH {
            for report in payload["reports"]
                .as_array()
                .into_iter()
                .flatten()
                .take(TRACKED)
            {
                let id = report["id"].as_str().expect("an id").to_owned();
                let version = report["version"].as_i64().expect("a version");
                let cards = report["cardsIssued"].as_i64().expect("cards");
                known.tracked.insert(
                    id,
                    Tracked {
                        version,
                        cards,
                        unanswered: None,
                    },
                );
            }
        }
        true
    }

    /// Officers: the pending batch first, then a new day's batch after
    /// another.
    async fn officers(self) {
        let pending = self.known().pending;
        if let Some(day) = pending
            && !self.submit(day).await
        {
            return;
        }
        loop {
            let day = {
                let mut known = self.known();
                known.next_day += 1;
                day_of(known.next_day - 1)
            };
            if !self.submit(day).await {
                return;
            }
        }
    }

    /// A supervisor correcting tracked reports whose state is known.
    async fn supervisor(self, mut dice: Dice) {
        loop {
            let picked = {
                let known = self.known();
                let certain: Vec<_> = known
                    .tracked
                    .iter()
                    .filter(|(_, t)| t.unanswered.is_none())
                    .map(|(id, t)| (id.clone(), t.version))
                    .collect();
                (!certain.is_empty())
                    .then(|| certain[(dice.next() % certain.len() as u64) as usize].clone())
            };
            let Some((id, version)) = picked else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let cards = 100 + (dice.next() % 1000) as i64;
            if let Some(t) = self.known().tracked.get_mut(&id) {
                t.unanswered = Some((version + 1, cards));
            }
            let answer = self
                .graphql(
                    CORRECT,
                    json!({ "id": id, "version": version, "cards": cards }),
                )
                .await;
            let Some(body) = answer else {
                return;
            };
            let report = &body["data"]["correctReport"]["report"];
            assert_eq!(report["version"], version + 1, "{body}");
            assert_eq!(report["cardsIssued"], cards, "{body}");
            let mut known = self.known();
            known.corrections += 1;
            if let Some(t) = known.tracked.get_mut(&id) {
                *t = Tracked {
                    version: version + 1,
                    cards,
                    unanswered: None,
                };
            }
        }
    }

    /// Stock values of 2023 communes: every one makes the engine rebuild
    /// its snapshot (their stocks count in both maps).
    async fn statistician(self, mut dice: Dice) {
        loop {
            let code = self.communes[BATCH + (dice.next() % 50) as usize].clone();
            let eligible = 1_000 + (dice.next() % 9_000) as i64;
            if self
                .graphql(STOCKS, json!({ "code": code, "eligible": eligible }))
                .await
                .is_none()
            {
                return;
            }
            self.known().stock_writes += 1;
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Reads the tracked reports back: an unanswered correction is found
    /// done or not done, never anything else, and an answered one holds.
    async fn read_back(&self) {
        let ids: Vec<String> = self.known().tracked.keys().cloned().collect();
        if ids.is_empty() {
            return;
        }
        let body = self
            .graphql(READ_BACK, json!({ "ids": ids }))
            .await
            .expect("the tracked reports read back");
        let mut known = self.known();
        for node in body["data"]["nodes"].as_array().expect("nodes") {
            let id = node["id"].as_str().expect("a report");
            let (version, cards) = (
                node["version"].as_i64().expect("a version"),
                node["cardsIssued"].as_i64().expect("cards"),
            );
            let t = known.tracked.get_mut(id).expect("a tracked report");
            let acknowledged = (version, cards) == (t.version, t.cards);
            let done = t.unanswered == Some((version, cards));
            assert!(
                acknowledged || done,
                "report {id} is at version {version} with {cards} cards; \
                 acknowledged {t:?}"
            );
            *t = Tracked {
                version,
                cards,
                unanswered: None,
            };
        }
    }
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap_or_else(|err| panic!("{sql}: {err}"))
}

/// What the database must hold after a kill, whatever moment it came at.
async fn check_database(database_url: &str, known: &Known) {
    let db = tiendo::store::connect(database_url).await.expect("connect");
    // Only whole batches: every day after the dataset has a whole batch or
    // nothing, and only days a batch was sent for.
    let days: BTreeMap<String, i64> = rows(
        &db,
        &format!(
            "SELECT CAST(day AS TEXT), CAST(COUNT(*) AS BIGINT) FROM reports
             WHERE day >= '{FIRST_DAY}' GROUP BY day"
        ),
    )
    .await
    .iter()
    .map(|r| {
        (
            r.try_get_by_index::<String>(0).expect("day"),
            r.try_get_by_index::<i64>(1).expect("count"),
        )
    })
    .collect();
    for (day, count) in &days {
        assert_eq!(*count, BATCH as i64, "day {day} holds part of a batch");
        let n = (day.parse::<NaiveDate>().expect("a day") - day_of(0)).num_days();
        assert!(n < known.next_day, "day {day} was never sent");
    }
    // Every acknowledged batch is there.
    for day in &known.acknowledged {
        assert!(
            days.contains_key(&day.to_string()),
            "acknowledged day {day} is lost"
        );
    }
    // A report's version counts its corrections, each with its history row.
    let torn = rows(
        &db,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM reports r
         WHERE r.version - 1 <> (SELECT COUNT(*) FROM report_history h
                                 WHERE h.report_id = r.id AND h.action = 'corrected')",
    )
    .await[0]
        .try_get_by_index::<i64>(0)
        .expect("a count");
    assert_eq!(
        torn, 0,
        "reports whose version does not match their history"
    );
    db.close().await.ok();
}

/// The server's rollups of the country and its 63 provinces over every
/// day, against the sums of the raw rows.
async fn check_rollups(clients: &Clients, database_url: &str, last: NaiveDate) {
    let period = json!({ "from": "2023-12-01", "to": last.to_string() });
    let body = clients
        .graphql(ROLLUPS, json!({ "period": period }))
        .await
        .expect("the rollups");
    let units = &body["data"]["units"];
    assert_eq!(units["pageInfo"]["hasNextPage"], false);
    let flows = |node: &Value| {
        let r = &node["rollup"];
        [
            "applicationsCollected",
            "cardsIssued",
            "accountsActivated",
            "homeVisits",
        ]
        .map(|f| r[f].as_i64().expect("a number"))
    };
    let mut api: HashMap<String, [i64; 4]> = units["nodes"]
        .as_array()
        .expect("provinces")
        .iter()
        .map(|n| (n["code"].as_str().expect("code").to_owned(), flows(n)))
        .collect();
    api.insert(
        body["data"]["country"]["code"]
            .as_str()
            .expect("code")
            .to_owned(),
        flows(&body["data"]["country"]),
    );
    assert_eq!(api.len(), 64, "the country and 63 provinces");

    let db = tiendo::store::connect(database_url).await.expect("connect");
    let sql: HashMap<String, [i64; 4]> = rows(
        &db,
        &format!(
            "SELECT t.code,
                    CAST(COALESCE(SUM(r.applications_collected), 0) AS BIGINT),
                    CAST(COALESCE(SUM(r.cards_issued), 0) AS BIGINT),
                    CAST(COALESCE(SUM(r.accounts_activated), 0) AS BIGINT),
                    CAST(COALESCE(SUM(r.home_visits), 0) AS BIGINT)
             FROM units t
             JOIN units u ON u.path LIKE t.path || '%'
             LEFT JOIN reports r ON r.unit_id = u.id
                                AND r.day BETWEEN '2023-12-01' AND '{last}'
             WHERE t.map = 'vn2023' AND t.level IN ('ministry', 'province')
             GROUP BY t.code"
        ),
    )
    .await
    .iter()
    .map(|r| {
        let v = |i| r.try_get_by_index::<i64>(i).expect("a sum");
        (
            r.try_get_by_index::<String>(0).expect("code"),
            [v(1), v(2), v(3), v(4)],
        )
    })
    .collect();
    db.close().await.ok();
    let differing: Vec<_> = api
        .iter()
        .filter(|(code, flows)| sql.get(*code) != Some(flows))
        .map(|(code, flows)| format!("{code}: API {flows:?}, SQL {:?}", sql.get(code)))
        .collect();
    assert!(
        differing.is_empty(),
        "rollups differ from the raw sums: {differing:?}"
    );
}

db_test!(nothing, async fn sigkill_at_random_moments_loses_and_tears_nothing(app) {
    // Given ten days of national reports (106 thousand rows)
    let out = tiendo(&app, &["generate", "--days", "10"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let communes: Vec<String> = {
        let db = tiendo::store::connect(&app.database_url).await.expect("connect");
        let codes = rows(
            &db,
            "SELECT code FROM units WHERE map = 'vn2023' AND level = 'commune' ORDER BY code",
        )
        .await
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("code"))
        .collect();
        db.close().await.ok();
        codes
    };
    let seed = 0x5eed_0000 + u64::from(app.backend == common::Backend::Postgres);
    let mut dice = Dice(seed);
    let known = Arc::new(Mutex::new(Known::default()));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client");

    for kill in 0..KILLS {
        // When a server starts
        let mut server = ServerProcess::start(&app.database_url, &["--no-demo", "--warm-up-wait-ms", "3000"]);
        let clients = Clients {
            http: http.clone(),
            url: server.url(""),
            key: app.admin_key.clone(),
            communes: Arc::new(communes.clone()),
            known: known.clone(),
        };
        server.listening(&http).await;
        // (one start in three is killed while its engine may still be
        // building; the others are checked once ready)
        let early = kill % 3 == 0;
        if !early {
            server.ready(&http, Duration::from_secs(120)).await;
            clients.read_back().await;
            let last = day_of(clients.known().next_day.max(1) - 1);
            check_rollups(&clients, &app.database_url, last).await;
        }
        // and officers, a supervisor and a statistician write to it
        let tasks = [
            tokio::spawn(clients.clone().officers()),
            tokio::spawn(clients.clone().supervisor(Dice(dice.next() | 1))),
            tokio::spawn(clients.clone().statistician(Dice(dice.next() | 1))),
        ];
        // until it is killed at a random moment
        let moment = if early { dice.millis(0, 1_500) } else { dice.millis(300, 4_000) };
        tokio::time::sleep(moment).await;
        server.kill();
        for task in tasks {
            task.abort();
            let _ = task.await;
        }

        // Then the database holds whole batches and every acknowledged write
        let snapshot = clients.known().clone();
        check_database(&app.database_url, &snapshot).await;
        eprintln!(
            "kill {kill} at {moment:?}: {} batches acknowledged, pending {:?}, {} corrections, {} stock writes",
            snapshot.acknowledged.len(),
            snapshot.pending,
            snapshot.corrections,
            snapshot.stock_writes
        );
    }

    // And after the last restart the server catches up with everything:
    // the pending batch is taken whole once, every unanswered correction is
    // found done or not, and the rollups equal the raw sums
    let server = ServerProcess::start(&app.database_url, &["--no-demo"]);
    server.listening(&http).await;
    server.ready(&http, Duration::from_secs(120)).await;
    let clients = Clients {
        http: http.clone(),
        url: server.url(""),
        key: app.admin_key.clone(),
        communes: Arc::new(communes),
        known: known.clone(),
    };
    let pending = clients.known().pending;
    if let Some(day) = pending {
        assert!(clients.submit(day).await, "the pending batch is accepted");
    }
    clients.read_back().await;
    let known = clients.known().clone();
    assert!(known.acknowledged.len() >= 20, "too few batches: {known:?}");
    assert!(known.corrections >= 10, "too few corrections");
    assert!(known.stock_writes >= 10, "too few stock writes");
    check_database(&app.database_url, &known).await;
    assert_eq!(
        known.acknowledged.len() as i64,
        known.next_day,
        "every batch sent was taken in the end"
    );
    check_rollups(&clients, &app.database_url, day_of(known.next_day - 1)).await;
});
