//! The reference scenario of DOMAIN.md, row by row, through GraphQL on the
//! full demo; and the rollup, series, ranking and completion documents of
//! the API contract as written.

mod common;

use common::contract::{CAMPAIGNS, RANKING, ROLLUP};
use common::{db_test, edge_nodes, error_codes};
use serde_json::{Value, json};

/// A rate rounded to one decimal of a percent, as published (0.939 → 939).
fn per_mille(rate: &Value) -> i64 {
    (rate
        .as_f64()
        .unwrap_or_else(|| panic!("not a rate: {rate}"))
        * 1000.0)
        .round() as i64
}

fn int(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("not an integer: {value}"))
}

const RANK_ON: &str = r#"
query($indicator: Indicator!, $from: Date!, $to: Date!) {
  ranking(level: PROVINCE, indicator: $indicator, period: { from: $from, to: $to }, first: 100, map: VN2023) {
    totalCount
    edges { node { rank outOf value numerator denominator unit { code } } }
  }
}
"#;

/// The ranking entry of one province.
fn entry_of(ranking: &Value, code: &str) -> Value {
    edge_nodes(ranking)
        .into_iter()
        .find(|n| n["unit"]["code"] == code)
        .unwrap_or_else(|| panic!("province {code} is not ranked"))
}

db_test!(full, async fn ha_tinh_as_of_2023_04_15(app) {
    // Given the reference scenario
    // When the Rollup document runs as written
    let data = app.data(ROLLUP, json!({})).await;
    let r = &data["unit"]["rollup"];
    // Then Hà Tĩnh has issued 1,120,269 cards of 1,192,722 eligible (93.9%)
    assert_eq!(int(&r["cardsIssuedTotal"]), 1_120_269);
    assert_eq!(int(&r["eligiblePopulation"]), 1_192_722);
    assert_eq!(per_mille(&r["cccdCoverage"]), 939);
    // of 1,124,842 present (99.6%)
    assert_eq!(int(&r["presentPopulation"]), 1_124_842);
    assert_eq!(per_mille(&r["presentCoverage"]), 996);
    // and activated 334,146 of 859,268 accounts (38.9%)
    assert_eq!(int(&r["accountsActivatedTotal"]), 334_146);
    assert_eq!(int(&r["accountsEligible"]), 859_268);
    assert_eq!(per_mille(&r["activationRate"]), 389);
    assert_eq!(int(&r["remaining"]), 1_192_722 - 1_120_269);
    assert!(int(&r["cardsIssued"]) > 0 && int(&r["applicationsCollected"]) > 0);

    // And it ranks 1st of 63 on coverage (the Ranking document as written)
    let ranking = app.data(RANKING, json!({})).await;
    let ht = entry_of(&ranking["ranking"], "42");
    assert_eq!(ht["rank"], 1);
    assert_eq!(ht["outOf"], 63);
    assert_eq!(int(&ht["numerator"]), 1_120_269);
    assert_eq!(int(&ht["denominator"]), 1_192_722);
    assert_eq!(edge_nodes(&ranking["ranking"]).len(), 63);

    // And 2nd of 63 on activation
    let activation = app
        .data(RANK_ON, json!({ "indicator": "ACTIVATION_RATE", "from": "2023-01-01", "to": "2023-04-15" }))
        .await;
    let ht = entry_of(&activation["ranking"], "42");
    assert_eq!(ht["rank"], 2);
    assert_eq!(ht["outOf"], 63);

    // And 7 of its communes are complete
    let completion = app
        .data(
            r#"{ unit(level: PROVINCE, code: "42", map: VN2023) {
                completion(level: COMMUNE, indicator: CCCD_COVERAGE, asOf: "2023-04-15") { complete total } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(completion["unit"]["completion"]["complete"], 7);
    assert_eq!(completion["unit"]["completion"]["total"], 216);
});

db_test!(full, async fn thach_kenh_among_the_first_six(app) {
    // When the Completion document runs as written
    let data = app
        .data(
            r#"query Completion {
              unit(level: PROVINCE, code: "40", map: VN2023) {
                completion(level: COMMUNE, indicator: CCCD_COVERAGE, asOf: "2023-06-30") { complete total }
              }
              firstToComplete(level: COMMUNE, indicator: CCCD_COVERAGE, first: 6, map: VN2023) {
                edges { node { completedOn unit { code name } } }
              }
            }"#,
            json!({}),
        )
        .await;
    // Then Thạch Kênh (18586) is among the first six communes to reach 100%,
    // by 2023-04-15
    let firsts = edge_nodes(&data["firstToComplete"]);
    assert_eq!(firsts.len(), 6);
    let tk = firsts
        .iter()
        .find(|n| n["unit"]["code"] == "18586")
        .unwrap_or_else(|| panic!("Thạch Kênh is not in the first six: {firsts:?}"));
    assert_eq!(tk["unit"]["name"], "Xã Thạch Kênh");
    assert!(tk["completedOn"].as_str().is_some_and(|d| d <= "2023-04-15"));
    // in order of completion
    let days: Vec<&str> = firsts.iter().filter_map(|n| n["completedOn"].as_str()).collect();
    let mut sorted = days.clone();
    sorted.sort();
    assert_eq!(days, sorted);
    // And Nghệ An's 460/460 communes are complete on 2023-06-30
    assert_eq!(data["unit"]["completion"]["complete"], 460);
    assert_eq!(data["unit"]["completion"]["total"], 460);
});

db_test!(full, async fn quang_nam_as_of_2023_05_16(app) {
    // Given Quảng Nam on 2023-05-16
    let activation = app
        .data(RANK_ON, json!({ "indicator": "ACTIVATION_RATE", "from": "2023-05-16", "to": "2023-05-16" }))
        .await;
    // Then its activation rate is 11.2%, rank 47 of 63
    let qn = entry_of(&activation["ranking"], "49");
    assert_eq!(per_mille(&qn["value"]), 112);
    assert_eq!(qn["rank"], 47);
    assert_eq!(qn["outOf"], 63);

    // And almost 60,000 eligible citizens are still without a card
    let data = app
        .data(
            r#"{ unit(level: PROVINCE, code: "49", map: VN2023) {
                rollup(period: { from: "2023-05-16", to: "2023-05-16" }) { remaining activationRate }
                campaigns(first: 10) { edges { node {
                    name startsOn
                    targets(asOf: "2023-05-16") { metric target dueOn achieved progress projectedOn onTrack asOf }
                    teams(first: 20) { edges { node { name kind size activeFrom } } }
                } } }
            } }"#,
            json!({}),
        )
        .await;
    let remaining = int(&data["unit"]["rollup"]["remaining"]);
    assert!((55_000..60_000).contains(&remaining), "{remaining}");
    assert_eq!(per_mille(&data["unit"]["rollup"]["activationRate"]), 112);

    // And its campaign targets 728,000 accounts by 2023-06-30, far from reach
    let campaign = &edge_nodes(&data["unit"]["campaigns"])[0];
    let accounts = &campaign["targets"][0];
    assert_eq!(accounts["metric"], "ACCOUNTS_ACTIVATED_TOTAL");
    assert_eq!(accounts["target"], 728_000);
    assert_eq!(accounts["dueOn"], "2023-06-30");
    assert_eq!(accounts["asOf"], "2023-05-16");
    let achieved = int(&accounts["achieved"]);
    let expected_progress = achieved as f64 / 728_000.0;
    assert!((accounts["progress"].as_f64().unwrap_or(-1.0) - expected_progress).abs() < 1e-9);
    assert_eq!(accounts["onTrack"], false);
    // and applications from every eligible citizen by 2023-06-15
    let applications = &campaign["targets"][1];
    assert_eq!(applications["metric"], "APPLICATIONS_COLLECTED");
    assert_eq!(applications["dueOn"], "2023-06-15");
    // with 30 officers dispatched on 2023-05-16
    let team = &edge_nodes(&campaign["teams"])[0];
    assert_eq!(team["size"], 30);
    assert_eq!(team["activeFrom"], "2023-05-16");
});

db_test!(full, async fn campaigns_document_answers_without_errors(app) {
    // When the Campaigns document runs as written
    let body = app
        .post(CAMPAIGNS, json!({}))
        .await;
    // Then every target has its progress (as of its due day, long past)
    assert_eq!(error_codes(&body), Vec::<String>::new(), "{body}");
    let campaign = &edge_nodes(&body["data"]["unit"]["campaigns"])[0];
    for target in campaign["targets"].as_array().expect("targets") {
        assert!(target["achieved"].as_i64().is_some(), "{target}");
        assert!(target["onTrack"].is_boolean(), "{target}");
    }
});

db_test!(full, async fn nghe_an_70_days_complete_by_2023_06_30(app) {
    let data = app
        .data(
            r#"{ unit(level: PROVINCE, code: "40", map: VN2023) {
                districts: completion(level: DISTRICT, indicator: CCCD_COVERAGE, asOf: "2023-06-30") { complete total }
                communes: completion(level: COMMUNE, indicator: CCCD_COVERAGE, asOf: "2023-06-30") { complete total }
                before: completion(level: COMMUNE, indicator: CCCD_COVERAGE, asOf: "2023-04-15") { complete }
                campaigns(first: 5) { edges { node { name targets { metric target achieved progress onTrack } } } }
            } }"#,
            json!({}),
        )
        .await;
    // Then 21/21 district-level and 460/460 commune-level units are complete
    assert_eq!(data["unit"]["districts"], json!({ "complete": 21, "total": 21 }));
    assert_eq!(data["unit"]["communes"], json!({ "complete": 460, "total": 460 }));
    // (none was before the campaign)
    assert_eq!(data["unit"]["before"]["complete"], 0);
    // And the "70 days and nights" campaign reached 100% of its target
    let campaign = &edge_nodes(&data["unit"]["campaigns"])[0];
    assert!(campaign["name"].as_str().is_some_and(|n| n.contains("70 ngày đêm")));
    let target = &campaign["targets"][0];
    assert_eq!(target["metric"], "CARDS_ISSUED");
    assert_eq!(target["achieved"], target["target"]);
    assert_eq!(target["progress"], 1.0);
    assert_eq!(target["onTrack"], true);
});

db_test!(full, async fn thanh_hoa_2020_12_21_to_2021_03_06(app) {
    let data = app
        .data(
            r#"{ unit(level: PROVINCE, code: "38", map: VN2023) {
                start: rollup(period: { from: "2020-12-21", to: "2020-12-21" }) { remaining cardsIssuedTotal }
                whole: rollup(period: { from: "2020-12-21", to: "2021-03-06" }) { applicationsCollected cardsIssued remaining }
            } }"#,
            json!({}),
        )
        .await;
    // 2,947,938 citizens aged 14+ without a chip card at the start
    assert_eq!(int(&data["unit"]["start"]["remaining"]), 2_947_938);
    assert_eq!(int(&data["unit"]["start"]["cardsIssuedTotal"]), 0);
    // 92,629 applications collected in the period
    assert_eq!(int(&data["unit"]["whole"]["applicationsCollected"]), 92_629);
    // over 2.8 million remaining at its end
    assert!(int(&data["unit"]["whole"]["remaining"]) > 2_800_000);
});

db_test!(full, async fn ninh_binh_city_first_11_days(app) {
    let data = app
        .data(
            r#"{ unit(level: DISTRICT, code: "369", map: VN2023) {
                rollup(period: { from: "2022-09-10", to: "2022-09-20" }) { cardsIssued homeVisits reportingRate lastReportedOn }
                campaigns(first: 1) { edges { node {
                    id
                    teams(first: 5) { edges { node { size rollup(period: { from: "2022-09-10", to: "2022-09-20" }) {
                        cardsIssued homeVisits officerDays cardsPerOfficerPerDay } } } }
                } } }
            } }"#,
            json!({}),
        )
        .await;
    // 2,275 cards issued in the first 11 days, and over 200 cases served at home
    let r = &data["unit"]["rollup"];
    assert_eq!(int(&r["cardsIssued"]), 2_275);
    assert!(int(&r["homeVisits"]) > 200);
    assert_eq!(r["reportingRate"], 1.0);
    assert_eq!(r["lastReportedOn"], "2022-09-20");
    // all of it attributed to the campaign's two teams
    let campaign = &edge_nodes(&data["unit"]["campaigns"])[0];
    let teams = edge_nodes(&campaign["teams"]);
    let by_teams: i64 = teams.iter().map(|t| int(&t["rollup"]["cardsIssued"])).sum();
    assert_eq!(by_teams, 2_275);
    for t in &teams {
        assert_eq!(int(&t["rollup"]["officerDays"]), int(&t["size"]) * 11);
    }
    // and the teams rank on it, per officer per day too
    let ranking = app
        .data(
            r#"query($c: ID!) { node(id: $c) { ... on Campaign {
                teamRanking(period: { from: "2022-09-10", to: "2022-09-20" }) { rank outOf value team { id } }
                perOfficer: teamRanking(period: { from: "2022-09-10", to: "2022-09-20" }, perOfficer: true) { rank value }
            } } }"#,
            json!({ "c": campaign["id"].clone() }),
        )
        .await;
    let entries = ranking["node"]["teamRanking"].as_array().expect("ranking");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["rank"], 1);
    assert!(entries[0]["value"].as_f64() >= entries[1]["value"].as_f64());
    let total: f64 = entries.iter().filter_map(|e| e["value"].as_f64()).sum();
    assert_eq!(total, 2_275.0);
    // and the campaign filter sees the same
    let id = campaign["id"].clone();
    let filtered = app
        .data(
            r#"query($c: ID!) { unit(level: DISTRICT, code: "369", map: VN2023) {
                rollup(period: { from: "2022-09-10", to: "2022-09-20" }, campaign: $c) { cardsIssued } } }"#,
            json!({ "c": id }),
        )
        .await;
    assert_eq!(int(&filtered["unit"]["rollup"]["cardsIssued"]), 2_275);
});

db_test!(full, async fn series_and_drill_documents(app) {
    // The Series document as written: weekly buckets clipped to the period
    let data = app
        .data(
            r#"query Series {
              unit(level: PROVINCE, code: "42", map: VN2023) {
                series(period: { from: "2023-01-01", to: "2023-06-30" }, granularity: WEEK) {
                  from to cardsIssued accountsActivated cccdCoverage
                }
                rollup(period: { from: "2023-01-01", to: "2023-06-30" }) { cardsIssued accountsActivated cccdCoverage }
              }
            }"#,
            json!({}),
        )
        .await;
    let series = data["unit"]["series"].as_array().expect("series");
    assert_eq!(series[0]["from"], "2023-01-01");
    assert_eq!(series[0]["to"], "2023-01-01", "2023-01-01 is a Sunday: its ISO week ends that day");
    assert_eq!(series[1]["from"], "2023-01-02");
    assert_eq!(series.last().map(|b| b["to"].clone()), Some(json!("2023-06-30")));
    let total: i64 = series.iter().map(|b| int(&b["cardsIssued"])).sum();
    assert_eq!(total, int(&data["unit"]["rollup"]["cardsIssued"]));
    assert_eq!(series.last().map(|b| b["cccdCoverage"].clone()), Some(data["unit"]["rollup"]["cccdCoverage"].clone()));

    // The Drill document as written: the districts' rollups add up, and
    // their ranks are 1..13 of 13
    let drill = app
        .data(
            r#"query Drill {
              unit(level: PROVINCE, code: "42", map: VN2023) {
                rollup(period: { from: "2023-01-01", to: "2023-04-15" }) { cardsIssued cccdCoverage }
                children(first: 50) {
                  edges { node {
                    name
                    rollup(period: { from: "2023-01-01", to: "2023-04-15" }) { cccdCoverage cardsIssued }
                    rank(indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-04-15" }) { rank outOf }
                  } }
                }
              }
            }"#,
            json!({}),
        )
        .await;
    let districts = edge_nodes(&drill["unit"]["children"]);
    assert_eq!(districts.len(), 13);
    let sum: i64 = districts.iter().map(|d| int(&d["rollup"]["cardsIssued"])).sum();
    assert_eq!(sum, int(&drill["unit"]["rollup"]["cardsIssued"]));
    let mut ranks: Vec<i64> = districts.iter().map(|d| int(&d["rank"]["rank"])).collect();
    ranks.sort();
    assert_eq!(ranks, (1..=13).collect::<Vec<i64>>());
    assert!(districts.iter().all(|d| d["rank"]["outOf"] == 13));
    // rank 1 has the highest coverage
    let best = districts.iter().find(|d| d["rank"]["rank"] == 1).expect("rank 1");
    let best_coverage = best["rollup"]["cccdCoverage"].as_f64().unwrap_or(0.0);
    assert!(districts.iter().all(|d| d["rollup"]["cccdCoverage"].as_f64().unwrap_or(0.0) <= best_coverage));
});

db_test!(full, async fn ranking_within_a_province(app) {
    let id = app.data(r#"{ unit(level: PROVINCE, code: "40", map: VN2023) { id } }"#, json!({})).await["unit"]["id"].clone();
    // The RankingWithin document as written
    let data = app
        .data(
            r#"query RankingWithin($province: ID!) {
              ranking(level: DISTRICT, within: $province, indicator: ACTIVATION_RATE,
                      period: { from: "2023-01-01", to: "2023-05-16" }, first: 20) {
                edges { node { rank outOf value unit { code name } } }
              }
            }"#,
            json!({ "province": id }),
        )
        .await;
    let entries = edge_nodes(&data["ranking"]);
    assert_eq!(entries.len(), 20, "first: 20 of Nghệ An's 21 districts");
    assert!(entries.iter().all(|e| e["outOf"] == 21));
    let values: Vec<f64> = entries.iter().map(|e| e["value"].as_f64().unwrap_or(-1.0)).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "highest first: {values:?}");
    assert_eq!(entries[0]["rank"], 1);
});

db_test!(full, async fn bad_ranking_and_period_arguments(app) {
    let cases = [
        (r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { rollup(period: { from: "2023-02-01", to: "2023-01-01" }) { cardsIssued } } }"#, "period"),
        (r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { rollup(period: { from: "2000-01-01", to: "2023-01-01" }) { cardsIssued } } }"#, "period"),
        (r#"{ ranking(level: PROVINCE, indicator: CCCD_COVERAGE, metric: CARDS_ISSUED, period: { from: "2023-01-01", to: "2023-01-02" }, first: 5, map: VN2023) { totalCount } }"#, "indicator"),
        (r#"{ ranking(level: PROVINCE, period: { from: "2023-01-01", to: "2023-01-02" }, first: 5, map: VN2023) { totalCount } }"#, "indicator"),
        (r#"{ unit(level: DISTRICT, code: "445", map: VN2023) { completion(level: PROVINCE, indicator: CCCD_COVERAGE, asOf: "2023-01-01") { total } } }"#, "level"),
        (r#"{ ranking(level: PROVINCE, indicator: FOO, period: { from: "2023-01-01", to: "2023-01-02" }, first: 5, map: VN2023) { totalCount } }"#, "indicator"),
        (r#"{ ranking(level: PROVINCE, metric: BAR, period: { from: "2023-01-01", to: "2023-01-02" }, first: 5, map: VN2023) { totalCount } }"#, "metric"),
    ];
    for (document, argument) in cases {
        let body = app.post(document, json!({})).await;
        assert_eq!(error_codes(&body), vec!["BAD_USER_INPUT"], "{document}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["argument"], argument, "{body}");
    }
    // `within` a unit not above the ranked level
    let commune = app.data(r#"{ unit(level: COMMUNE, code: "18586", map: VN2023) { id } }"#, json!({})).await["unit"]["id"].clone();
    let body = app
        .post(
            r#"query($w: ID!) { ranking(level: DISTRICT, within: $w, indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-01-02" }, first: 5) { totalCount } }"#,
            json!({ "w": commune }),
        )
        .await;
    assert_eq!(error_codes(&body), vec!["BAD_USER_INPUT"], "{body}");
    assert_eq!(body["errors"][0]["extensions"]["argument"], "within");
});

/// The whole-country drill: 63 provinces and their 705 districts, each with
/// a rollup and a rank.
const COUNTRY_DRILL: &str = r#"
query CountryDrill {
  units(level: PROVINCE, first: 63, map: VN2023) {
    edges { node {
      code
      rollup(period: { from: "2023-01-01", to: "2023-04-15" }) { cardsIssued cccdCoverage reportingRate }
      rank(indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-04-15" }, among: LEVEL) { rank outOf }
      children(first: 50) { edges { node {
        code
        rollup(period: { from: "2023-01-01", to: "2023-04-15" }) { cardsIssued cccdCoverage }
        rank(indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-04-15" }) { rank outOf }
      } } }
    } }
  }
}
"#;

/// Runs `body` on a fresh full-demo server whose SQL statements are counted.
async fn country_drill_statements(backend: common::Backend, name: &str) {
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = common::TestApp::spawn_counting(
        name,
        backend,
        tiendo::demo::DemoParts::Sampled,
        Some(counter.clone()),
    )
    .await;
    // Warm up: the first request may wait for the engine (shared, already built).
    app.data("{ __typename }", json!({})).await;
    let before = counter.load(std::sync::atomic::Ordering::SeqCst);

    // When the whole country is drilled in one request
    let data = app.data(COUNTRY_DRILL, json!({})).await;
    let statements = counter.load(std::sync::atomic::Ordering::SeqCst) - before;

    // Then all 63 provinces and 705 districts come back, consistent
    let provinces = edge_nodes(&data["units"]);
    assert_eq!(provinces.len(), 63);
    let mut districts = 0;
    for p in &provinces {
        assert_eq!(p["rank"]["outOf"], 63);
        let children = edge_nodes(&p["children"]);
        districts += children.len();
        let sum: i64 = children
            .iter()
            .map(|d| int(&d["rollup"]["cardsIssued"]))
            .sum();
        assert_eq!(
            sum,
            int(&p["rollup"]["cardsIssued"]),
            "province {}",
            p["code"]
        );
        for d in children.iter().filter(|d| !d["rank"].is_null()) {
            assert_eq!(
                int(&d["rank"]["outOf"]),
                children.len() as i64 - islands(&children)
            );
        }
    }
    assert_eq!(districts, 705);
    // And ~770 units with rollups and ranks cost a small, constant number
    // of statements (units, then the children of all 63 provinces at once)
    assert!(
        statements <= 15,
        "{statements} SQL statements for the country drill"
    );
}

/// Districts without communes have no population: they cannot be ranked.
fn islands(districts: &[Value]) -> i64 {
    districts.iter().filter(|d| d["rank"].is_null()).count() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn country_drill_is_batched_sqlite() {
    country_drill_statements(common::Backend::Sqlite, "reference::country_drill_sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs TIENDO_TEST_POSTGRES; run with --include-ignored"]
async fn country_drill_is_batched_postgres() {
    country_drill_statements(
        common::Backend::Postgres,
        "reference::country_drill_postgres",
    )
    .await;
}
