//! Reporting: `submitReports`, `correctReport`, `verifyReport`,
//! `setStockValues`, report history, and rollups that follow every write
//! at once (on the writing server and on another replica).

mod common;

use common::{TestApp, db_test, edge_nodes, error_codes};
use serde_json::{Value, json};

/// The `Submit` document of docs/API.md, exactly as written.
const SUBMIT: &str = r#"
mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) {
    accepted
    reports { id version day unit { code } cardsIssued }
  }
}
"#;

/// The `Correct` document of docs/API.md, exactly as written.
const CORRECT: &str = r#"
mutation Correct($id: ID!, $version: Int!) {
  correctReport(input: { id: $id, expectedVersion: $version, reason: "recount",
                         values: { cardsIssued: 9 } }) {
    report { id version cardsIssued status
             history { at reason oldValues { cardsIssued } newValues { cardsIssued } } }
  }
}
"#;

const SUBMIT_COUNTS: &str = r#"
mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) {
    accepted created corrected unchanged
    reports { id version cardsIssued status }
  }
}
"#;

const ROLLUP: &str = r#"
query Rollup($level: UnitLevel!, $code: String!, $from: Date!, $to: Date!) {
  unit(level: $level, code: $code, map: VN2023) {
    rollup(period: { from: $from, to: $to }) {
      applicationsCollected cardsIssued accountsActivated homeVisits
      cardsIssuedTotal eligiblePopulation cccdCoverage
    }
  }
}
"#;

/// The API contract's example row: commune 18586 (Thạch Kênh, district
/// Thạch Hà 445, Hà Tĩnh 42) on 2023-04-16.
fn example_row() -> Value {
    json!({ "unit": { "level": "COMMUNE", "code": "18586" },
            "day": "2023-04-16", "applicationsCollected": 10, "cardsIssued": 8,
            "accountsActivated": 5, "homeVisits": 1 })
}

fn row(code: &str, day: &str, values: [i64; 4]) -> Value {
    json!({ "unit": { "level": "COMMUNE", "code": code }, "day": day,
            "applicationsCollected": values[0], "cardsIssued": values[1],
            "accountsActivated": values[2], "homeVisits": values[3] })
}

async fn rollup(app: &TestApp, level: &str, code: &str, from: &str, to: &str) -> Value {
    let data = app
        .data(
            ROLLUP,
            json!({ "level": level, "code": code, "from": from, "to": to }),
        )
        .await;
    data["unit"]["rollup"].clone()
}

async fn report_count(app: &TestApp, level: &str, code: &str) -> i64 {
    let data = app
        .data(
            r#"query($level: UnitLevel!, $code: String!) { unit(level: $level, code: $code, map: VN2023) {
                 reports(period: { from: "2020-01-01", to: "2026-12-31" }, first: 1) { totalCount } } }"#,
            json!({ "level": level, "code": code }),
        )
        .await;
    data["unit"]["reports"]["totalCount"]
        .as_i64()
        .expect("a count")
}

/// Codes of the communes of a district, in code order.
async fn communes_of(app: &TestApp, district: &str) -> Vec<String> {
    let data = app
        .data(
            r#"query($code: String!) { unit(level: DISTRICT, code: $code, map: VN2023) {
                 children(first: 100) { edges { node { code } } } } }"#,
            json!({ "code": district }),
        )
        .await;
    edge_nodes(&data["unit"]["children"])
        .iter()
        .map(|n| n["code"].as_str().expect("a code").to_owned())
        .collect()
}

db_test!(catalogue, async fn submit_document_is_idempotent_and_rolls_up_at_once(app) {
    // Given a commune with no reports
    let before = rollup(&app, "PROVINCE", "42", "2023-04-16", "2023-04-16").await;
    assert_eq!(before["cardsIssued"], 0);

    // When the Submit document of the contract runs as written
    let body = app.post(SUBMIT, json!({ "reports": [example_row()] })).await;
    assert_eq!(error_codes(&body), Vec::<String>::new(), "{body}");
    let payload = &body["data"]["submitReports"];
    assert_eq!(payload["accepted"], 1);
    let report = &payload["reports"][0];
    assert_eq!(report["version"], 1);
    assert_eq!(report["day"], "2023-04-16");
    assert_eq!(report["unit"]["code"], "18586");
    assert_eq!(report["cardsIssued"], 8);

    // Then the commune, its district and its province show it at once
    for (level, code) in [("COMMUNE", "18586"), ("DISTRICT", "445"), ("PROVINCE", "42"), ("MINISTRY", "0")] {
        let r = rollup(&app, level, code, "2023-04-16", "2023-04-16").await;
        assert_eq!(r["cardsIssued"], 8, "{level} {code}: {r}");
        assert_eq!(r["applicationsCollected"], 10);
        assert_eq!(r["accountsActivated"], 5);
        assert_eq!(r["homeVisits"], 1);
    }

    // When the same row is submitted again
    let again = app.data(SUBMIT_COUNTS, json!({ "reports": [example_row()] })).await;
    // Then nothing changes: one report, still version 1, counted once
    assert_eq!(again["submitReports"]["unchanged"], 1);
    assert_eq!(again["submitReports"]["created"], 0);
    assert_eq!(again["submitReports"]["reports"][0]["id"], report["id"]);
    assert_eq!(again["submitReports"]["reports"][0]["version"], 1);
    assert_eq!(report_count(&app, "PROVINCE", "42").await, 1);
    assert_eq!(rollup(&app, "PROVINCE", "42", "2023-04-01", "2023-04-30").await["cardsIssued"], 8);

    // When it is submitted with another value
    let mut changed = example_row();
    changed["cardsIssued"] = json!(11);
    let corrected = app.data(SUBMIT_COUNTS, json!({ "reports": [changed] })).await;
    // Then it is a correction of the same report, and the rollup replaces 8 by 11
    let payload = &corrected["submitReports"];
    assert_eq!(payload["corrected"], 1);
    assert_eq!(payload["reports"][0]["id"], report["id"]);
    assert_eq!(payload["reports"][0]["version"], 2);
    assert_eq!(payload["reports"][0]["status"], "CORRECTED");
    assert_eq!(report_count(&app, "PROVINCE", "42").await, 1);
    assert_eq!(rollup(&app, "MINISTRY", "0", "2023-01-01", "2023-12-31").await["cardsIssued"], 11);
});

db_test!(catalogue, async fn correct_document_keeps_history_and_checks_the_version(app) {
    // Given a submitted report at version 1
    let data = app.data(SUBMIT, json!({ "reports": [example_row()] })).await;
    let id = data["submitReports"]["reports"][0]["id"].clone();

    // When the Correct document runs as written
    let body = app.post(CORRECT, json!({ "id": id, "version": 1 })).await;
    assert_eq!(error_codes(&body), Vec::<String>::new(), "{body}");
    let report = &body["data"]["correctReport"]["report"];

    // Then the report is at version 2 with the new value and one history entry
    assert_eq!(report["version"], 2);
    assert_eq!(report["cardsIssued"], 9);
    assert_eq!(report["status"], "CORRECTED");
    let history = report["history"].as_array().expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["reason"], "recount");
    assert_eq!(history[0]["oldValues"]["cardsIssued"], 8);
    assert_eq!(history[0]["newValues"]["cardsIssued"], 9);
    assert!(history[0]["at"].as_str().is_some_and(|at| at.len() >= 19));
    assert_eq!(rollup(&app, "DISTRICT", "445", "2023-04-16", "2023-04-16").await["cardsIssued"], 9);

    // When a correction names the old version
    let stale = app
        .post(
            r#"mutation($id: ID!) { correctReport(input: { id: $id, expectedVersion: 1,
                 reason: "late", values: { cardsIssued: 100 } }) { report { version } } }"#,
            json!({ "id": id }),
        )
        .await;
    // Then it fails with VERSION_CONFLICT and the current version, and writes nothing
    assert_eq!(error_codes(&stale), vec!["VERSION_CONFLICT"], "{stale}");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 2);
    let read = app
        .data(
            r#"query($id: ID!) { node(id: $id) { ... on Report { version cardsIssued history { version } } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["node"]["version"], 2);
    assert_eq!(read["node"]["cardsIssued"], 9);
    assert_eq!(read["node"]["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(rollup(&app, "DISTRICT", "445", "2023-04-16", "2023-04-16").await["cardsIssued"], 9);
});

db_test!(catalogue, async fn verified_reports_change_only_with_a_reason(app) {
    // Given a submitted report
    let data = app.data(SUBMIT, json!({ "reports": [example_row()] })).await;
    let id = data["submitReports"]["reports"][0]["id"].clone();

    // When an inspector verifies it
    let verified = app
        .data(
            r#"mutation($id: ID!) { verifyReport(input: { id: $id, expectedVersion: 1 }) {
                 report { status version history { action oldValues { cardsIssued } newValues { cardsIssued } } } } }"#,
            json!({ "id": id }),
        )
        .await;
    let report = &verified["verifyReport"]["report"];
    assert_eq!(report["status"], "VERIFIED");
    assert_eq!(report["version"], 2);
    assert_eq!(report["history"][0]["action"], "VERIFIED");
    assert_eq!(report["history"][0]["newValues"]["cardsIssued"], 8);

    // Then a correction without a reason is refused, by mutation and by resubmission
    let no_reason = app
        .post(
            r#"mutation($id: ID!) { correctReport(input: { id: $id, expectedVersion: 2,
                 values: { cardsIssued: 7 } }) { report { version } } }"#,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_codes(&no_reason), vec!["BAD_USER_INPUT"], "{no_reason}");
    assert_eq!(no_reason["errors"][0]["extensions"]["argument"], "reason");
    let mut changed = example_row();
    changed["cardsIssued"] = json!(7);
    let resubmitted = app.post(SUBMIT, json!({ "reports": [changed.clone()] })).await;
    assert_eq!(error_codes(&resubmitted), vec!["BAD_USER_INPUT"], "{resubmitted}");
    assert_eq!(resubmitted["errors"][0]["extensions"]["rows"][0]["code"], "REASON_REQUIRED");
    assert_eq!(rollup(&app, "COMMUNE", "18586", "2023-04-16", "2023-04-16").await["cardsIssued"], 8);

    // And with a reason it is corrected
    changed["reason"] = json!("phúc tra: two cards counted twice");
    let done = app.data(SUBMIT_COUNTS, json!({ "reports": [changed] })).await;
    assert_eq!(done["submitReports"]["reports"][0]["status"], "CORRECTED");
    assert_eq!(done["submitReports"]["reports"][0]["version"], 3);
    assert_eq!(rollup(&app, "COMMUNE", "18586", "2023-04-16", "2023-04-16").await["cardsIssued"], 7);

    // And the unit's history lists both changes, oldest first
    let history = app
        .data(
            r#"{ unit(level: DISTRICT, code: "445", map: VN2023) {
                 reportHistory(period: { from: "2023-04-01", to: "2023-04-30" }, first: 10) {
                   totalCount edges { node { action reason actor version report { unit { code } } } } } } }"#,
            json!({}),
        )
        .await;
    let changes = edge_nodes(&history["unit"]["reportHistory"]);
    assert_eq!(history["unit"]["reportHistory"]["totalCount"], 2);
    assert_eq!(changes[0]["action"], "VERIFIED");
    assert_eq!(changes[1]["action"], "CORRECTED");
    assert_eq!(changes[1]["reason"], "phúc tra: two cards counted twice");
    assert_eq!(changes[1]["version"], 3);
    assert_eq!(changes[1]["report"]["unit"]["code"], "18586");
});

db_test!(catalogue, async fn invalid_batches_list_every_bad_row_and_write_nothing(app) {
    // Given the Quảng Nam campaign (2023-05-16 to 2023-06-30) and its team
    let data = app
        .data(
            r#"{ unit(level: PROVINCE, code: "49", map: VN2023) { campaigns(first: 5) { edges { node {
                 id startsOn teams(first: 5) { edges { node { id } } } } } } } }"#,
            json!({}),
        )
        .await;
    let campaign = edge_nodes(&data["unit"]["campaigns"])[0].clone();
    let campaign_id = campaign["id"].clone();
    let team_id = edge_nodes(&campaign["teams"])[0]["id"].clone();
    let quang_nam = communes_of(&app, "502").await[0].clone();

    // When a batch mixes one good row with every kind of bad one
    let mut rows = vec![row("18586", "2023-04-16", [1, 1, 1, 1])]; // 0: fine
    rows.push(row("99999", "2023-04-16", [1, 1, 1, 1])); // 1: unknown unit
    let mut district = row("445", "2023-04-16", [1, 1, 1, 1]);
    district["unit"]["level"] = json!("DISTRICT");
    rows.push(district); // 2: not a reporting unit
    rows.push(row("18586", "2023-04-17", [1, -3, 1, 1])); // 3: negative
    rows.push(row("18586", "2023-04-18", [1, 1, 1, 5_000_000])); // 4: above the ceiling
    rows.push(row("18586", "2099-01-01", [1, 1, 1, 1])); // 5: future
    let mut outside = row(&quang_nam, "2023-04-01", [1, 1, 1, 1]);
    outside["campaign"] = campaign_id.clone();
    rows.push(outside); // 6: day outside the campaign
    let mut wrong_scope = row("18586", "2023-05-20", [1, 1, 1, 1]);
    wrong_scope["campaign"] = campaign_id.clone();
    rows.push(wrong_scope); // 7: unit outside the campaign's scope
    rows.push(row("18586", "2023-04-16", [2, 2, 2, 2])); // 8: duplicate of row 0
    let mut foreign_team = row("18586", "2023-04-19", [1, 1, 1, 1]);
    foreign_team["team"] = team_id.clone();
    rows.push(foreign_team); // 9: team outside the unit
    let mut old_after = row("18586", "2025-07-01", [1, 1, 1, 1]);
    old_after["unit"]["map"] = json!("VN2023");
    rows.push(old_after); // 10: a 2023 commune after the reform
    let mut new_before = row("18586", "2023-04-21", [1, 1, 1, 1]);
    new_before["unit"]["map"] = json!("VN2025");
    rows.push(new_before); // 11: a 2025 commune before the reform
    let body = app.post(SUBMIT, json!({ "reports": rows })).await;

    // Then one BAD_USER_INPUT error lists every bad row, with field and code
    assert_eq!(error_codes(&body), vec!["BAD_USER_INPUT"], "{body}");
    let expected: Vec<(i64, String, String)> = [
        (1, "unit", "UNKNOWN_UNIT"),
        (2, "unit", "NOT_REPORTING_UNIT"),
        (3, "cardsIssued", "NEGATIVE_VALUE"),
        (4, "homeVisits", "VALUE_TOO_LARGE"),
        // A row without a map is of the map in force on its day: in 2099
        // the 2025 map, where 18586 is Đông Kinh; the day is in the future.
        (5, "day", "FUTURE_DAY"),
        (6, "day", "OUTSIDE_CAMPAIGN"),
        (7, "campaign", "UNIT_OUTSIDE_CAMPAIGN"),
        (8, "unit", "DUPLICATE_ROW"),
        (9, "team", "TEAM_OUTSIDE_UNIT"),
        (10, "unit", "UNIT_NOT_IN_FORCE"),
        (11, "unit", "UNIT_NOT_IN_FORCE"),
    ]
    .into_iter()
    .map(|(row, field, code)| (row, field.to_owned(), code.to_owned()))
    .collect();
    assert_eq!(listed_rows(&body), expected, "{body}");
    // It counts row errors, one per bad row here.
    assert_eq!(body["errors"][0]["extensions"]["invalidRows"], 11);

    // When an ID of the wrong kind is given
    let mut bad_id = row("18586", "2023-04-20", [1, 1, 1, 1]);
    bad_id["campaign"] = team_id.clone();
    let body = app.post(SUBMIT, json!({ "reports": [row("18586", "2023-04-16", [1, 1, 1, 1]), bad_id] })).await;
    // Then it is named too
    assert_eq!(listed_rows(&body), vec![(1, "campaign".to_owned(), "MALFORMED_ID".to_owned())]);

    // And nothing was written, not even the good rows
    assert_eq!(report_count(&app, "MINISTRY", "0").await, 0);
    assert_eq!(rollup(&app, "COMMUNE", "18586", "2023-01-01", "2023-12-31").await["cardsIssued"], 0);
});

/// The (row, field, code) of every row error of a response.
fn listed_rows(body: &Value) -> Vec<(i64, String, String)> {
    body["errors"][0]["extensions"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows listed: {body}"))
        .iter()
        .map(|r| {
            (
                r["row"].as_i64().expect("row"),
                r["field"].as_str().expect("field").to_owned(),
                r["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect()
}

const SET_STOCKS: &str = r#"
mutation($code: String!, $from: Date!, $eligible: Int, $opening: Int) {
  setStockValues(input: { unit: { level: COMMUNE, code: $code }, from: $from,
                          eligiblePopulation: $eligible, cardsIssuedOpening: $opening }) {
    dataVersion unit { code }
  }
}
"#;

db_test!(catalogue, async fn stock_values_hold_from_their_day_and_roll_up(app) {
    // Given a commune with reports before and after an opening balance
    app.data(SUBMIT, json!({ "reports": [
        row("18586", "2023-03-01", [0, 40, 0, 0]),
        row("18586", "2023-05-01", [0, 10, 0, 0]),
    ] })).await;

    // When its population and an opening balance are set from 2023-04-01
    let set = app
        .data(SET_STOCKS, json!({ "code": "18586", "from": "2023-04-01", "eligible": 1000, "opening": 500 }))
        .await;
    assert_eq!(set["setStockValues"]["unit"]["code"], "18586");

    // Then as of a day before, nothing; from then on, the values, summed up the tree;
    // the cumulative total is the opening balance plus the flows since
    let before = rollup(&app, "DISTRICT", "445", "2023-03-01", "2023-03-31").await;
    assert_eq!(before["eligiblePopulation"], 0);
    assert_eq!(before["cardsIssuedTotal"], 40);
    let after = rollup(&app, "PROVINCE", "42", "2023-05-01", "2023-05-31").await;
    assert_eq!(after["eligiblePopulation"], 1000);
    assert_eq!(after["cardsIssuedTotal"], 510);
    assert_eq!(after["cccdCoverage"], 0.51);

    // When a report before the opening day changes
    app.data(SUBMIT, json!({ "reports": [row("18586", "2023-03-01", [0, 45, 0, 0])] })).await;
    // Then the opening balance still fixes the total from its day on
    assert_eq!(rollup(&app, "PROVINCE", "42", "2023-05-01", "2023-05-31").await["cardsIssuedTotal"], 510);
    assert_eq!(rollup(&app, "PROVINCE", "42", "2023-03-01", "2023-03-31").await["cardsIssuedTotal"], 45);

    // When a later population is set, and the first one is changed
    app.data(SET_STOCKS, json!({ "code": "18586", "from": "2023-06-01", "eligible": 1200 })).await;
    app.data(SET_STOCKS, json!({ "code": "18586", "from": "2023-04-01", "eligible": 900 })).await;
    // Then each holds over its own days
    assert_eq!(rollup(&app, "MINISTRY", "0", "2023-05-01", "2023-05-31").await["eligiblePopulation"], 900);
    assert_eq!(rollup(&app, "MINISTRY", "0", "2023-06-01", "2023-06-30").await["eligiblePopulation"], 1200);

    // And a negative value or a district is refused
    let bad = app.post(SET_STOCKS, json!({ "code": "18586", "from": "2023-04-01", "eligible": -1 })).await;
    assert_eq!(listed_rows(&bad), vec![(0, "eligiblePopulation".to_owned(), "NEGATIVE_VALUE".to_owned())]);
});

/// Every rollup figure of some units over some periods, for comparing two
/// servers.
async fn figures(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for (level, code) in [
        ("MINISTRY", "0"),
        ("PROVINCE", "42"),
        ("DISTRICT", "445"),
        ("COMMUNE", "18586"),
        ("PROVINCE", "49"),
    ] {
        for (from, to) in [
            ("2023-01-01", "2023-12-31"),
            ("2023-04-16", "2023-04-16"),
            ("2023-03-01", "2023-04-30"),
        ] {
            out.push(rollup(app, level, code, from, to).await);
        }
    }
    out
}

db_test!(catalogue, async fn another_replica_reads_the_same_numbers(app) {
    // Given writes of every kind on one server
    let communes = communes_of(&app, "445").await;
    let batch: Vec<Value> = communes
        .iter()
        .enumerate()
        .map(|(i, c)| row(c, "2023-04-16", [i as i64, 2 * i as i64, 3, 1]))
        .collect();
    app.data(SUBMIT, json!({ "reports": batch })).await;
    let data = app.data(SUBMIT, json!({ "reports": [example_row()] })).await;
    let id = data["submitReports"]["reports"][0]["id"].clone();
    let version = data["submitReports"]["reports"][0]["version"].clone();
    app.data(CORRECT, json!({ "id": id, "version": version })).await;
    app.data(SET_STOCKS, json!({ "code": "18586", "from": "2023-01-01", "eligible": 700, "opening": 100 })).await;

    // When a second server starts on the same database (its engine built
    // from the tables, where the first server's was updated write by write)
    let replica = app.replica().await;

    // Then both show the same numbers
    let expected = figures(&app).await;
    assert_eq!(figures(&replica).await, expected);

    // When the first server writes again
    app.data(SUBMIT, json!({ "reports": [row(&communes[1], "2023-04-17", [5, 5, 5, 5])] })).await;
    let now = rollup(&app, "PROVINCE", "42", "2023-04-17", "2023-04-17").await;
    assert_eq!(now["cardsIssued"], 5);

    // Then the replica follows within a few seconds
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = rollup(&replica, "PROVINCE", "42", "2023-04-17", "2023-04-17").await;
        if seen == now {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, now);
    assert_eq!(figures(&replica).await, figures(&app).await);
});

db_test!(catalogue, async fn eight_concurrent_submitters_equal_the_serial_result(app) {
    // Given 8 batches over overlapping communes and days (the same key
    // always carries the same values, so every serial order ends equal)
    let mut communes = communes_of(&app, "445").await;
    communes.extend(communes_of(&app, "502").await);
    let days = ["2023-04-10", "2023-04-11", "2023-04-12"];
    let value = |c: usize, d: usize| [c as i64 % 7, (c * 3 + d) as i64 % 11, d as i64, 1];
    let batches: Vec<Vec<Value>> = (0..8)
        .map(|b| {
            let mut rows = Vec::new();
            for (c, code) in communes.iter().enumerate() {
                for (d, day) in days.iter().enumerate() {
                    if (c + d + b) % 3 != 0 {
                        rows.push(row(code, day, value(c, d)));
                    }
                }
            }
            rows
        })
        .collect();

    // When they are submitted at the same time
    let results = futures_util::future::join_all(
        batches.iter().map(|rows| app.post(SUBMIT_COUNTS, json!({ "reports": rows }))),
    )
    .await;

    // Then every one succeeds (contention is retried inside)
    for body in &results {
        assert_eq!(error_codes(body), Vec::<String>::new(), "{body}");
    }
    // And there is one report per key, and every rollup equals the raw sum
    let mut keys = std::collections::BTreeSet::new();
    let mut cards = 0;
    for rows in &batches {
        for r in rows {
            if keys.insert((r["unit"]["code"].to_string(), r["day"].to_string())) {
                cards += r["cardsIssued"].as_i64().expect("cards");
            }
        }
    }
    assert_eq!(report_count(&app, "MINISTRY", "0").await, keys.len() as i64);
    let created: i64 = results.iter().map(|b| b["data"]["submitReports"]["created"].as_i64().unwrap_or(0)).sum();
    assert_eq!(created, keys.len() as i64, "each report created exactly once");
    let corrected: i64 = results.iter().map(|b| b["data"]["submitReports"]["corrected"].as_i64().unwrap_or(0)).sum();
    assert_eq!(corrected, 0, "identical resubmissions change nothing");
    assert_eq!(rollup(&app, "MINISTRY", "0", "2023-04-01", "2023-04-30").await["cardsIssued"], cards);
    let replica = app.replica().await;
    assert_eq!(figures(&replica).await, figures(&app).await);
});

db_test!(catalogue, async fn of_two_concurrent_corrections_exactly_one_succeeds(app) {
    // Given a report at version 1
    let data = app.data(SUBMIT, json!({ "reports": [example_row()] })).await;
    let id = data["submitReports"]["reports"][0]["id"].clone();

    // When two corrections of version 1 race
    let correct = |cards: i64| {
        app.post(
            r#"mutation($id: ID!, $cards: Int!) { correctReport(input: { id: $id, expectedVersion: 1,
                 reason: "race", values: { cardsIssued: $cards } }) { report { version cardsIssued } } }"#,
            json!({ "id": id, "cards": cards }),
        )
    };
    let (a, b) = tokio::join!(correct(20), correct(30));

    // Then exactly one wins, the other gets VERSION_CONFLICT
    let codes = [error_codes(&a), error_codes(&b)];
    let winners = codes.iter().filter(|c| c.is_empty()).count();
    assert_eq!(winners, 1, "{a} {b}");
    assert!(codes.iter().any(|c| c == &vec!["VERSION_CONFLICT".to_owned()]), "{a} {b}");
    let winner = if codes[0].is_empty() { &a } else { &b };
    let cards = winner["data"]["correctReport"]["report"]["cardsIssued"].clone();
    // And the stored report and the rollup show the winner's value, once
    let read = app
        .data(r#"query($id: ID!) { node(id: $id) { ... on Report { version cardsIssued history { version } } } }"#, json!({ "id": id }))
        .await;
    assert_eq!(read["node"]["version"], 2);
    assert_eq!(read["node"]["cardsIssued"], cards);
    assert_eq!(read["node"]["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(rollup(&app, "PROVINCE", "42", "2023-04-16", "2023-04-16").await["cardsIssued"], cards);
});

db_test!(catalogue, async fn a_batch_over_the_limit_is_refused_whole(app) {
    // Given a batch one row over the 10,000-row limit
    let rows: Vec<Value> = (0..10_001).map(|_| example_row()).collect();
    // When it is submitted
    let body = app.post(SUBMIT, json!({ "reports": rows })).await;
    // Then it is refused before any check, and nothing is written
    assert_eq!(error_codes(&body), vec!["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["argument"], "input.reports");
    assert_eq!(report_count(&app, "MINISTRY", "0").await, 0);
});
