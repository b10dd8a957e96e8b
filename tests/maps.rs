//! The two maps through GraphQL on the full demo (2023 data): the 2025
//! map's units answer for periods before the reform from their
//! predecessors, the country is the same in both maps, a merged province
//! is the exact sum of its old provinces, and the quality flag and the
//! lineage say how.

mod common;

use common::{db_test, edge_nodes};
use serde_json::{Value, json};

const NUMBERS: &str = "applicationsCollected cardsIssued accountsActivated homeVisits \
    cardsIssuedTotal accountsActivatedTotal eligiblePopulation presentPopulation \
    accountsEligible quality";

const FIELDS: [&str; 9] = [
    "applicationsCollected",
    "cardsIssued",
    "accountsActivated",
    "homeVisits",
    "cardsIssuedTotal",
    "accountsActivatedTotal",
    "eligiblePopulation",
    "presentPopulation",
    "accountsEligible",
];

/// The rollup of one unit of one map over a period.
async fn rollup(
    app: &common::TestApp,
    map: &str,
    level: &str,
    code: &str,
    from: &str,
    to: &str,
) -> Value {
    let query = format!(
        "query($code: String!, $from: Date!, $to: Date!) {{
           unit(level: {level}, code: $code, map: {map}) {{
             map
             rollup(period: {{ from: $from, to: $to }}) {{ {NUMBERS} }}
           }}
         }}"
    );
    let data = app
        .data(&query, json!({ "code": code, "from": from, "to": to }))
        .await;
    assert_eq!(data["unit"]["map"], map);
    data["unit"]["rollup"].clone()
}

fn int(value: &Value, field: &str) -> i64 {
    value[field]
        .as_i64()
        .unwrap_or_else(|| panic!("{field} is not an integer: {value}"))
}

db_test!(full, async fn the_country_is_the_same_in_both_maps(app) {
    // Given the 2023 data, reported by the units of the 2023 map
    for (from, to) in [
        ("2023-01-01", "2023-04-15"),
        ("2020-12-21", "2023-07-31"),
        ("2023-06-01", "2026-11-30"),
    ] {
        // When the country's rollup is asked in each map
        let old = rollup(&app, "VN2023", "MINISTRY", "0", from, to).await;
        let new = rollup(&app, "VN2025", "MINISTRY", "0", from, to).await;
        // Then every flow and every stock is the same
        for field in FIELDS {
            assert_eq!(int(&old, field), int(&new, field), "{field} over {from}..{to}");
        }
        assert!(int(&old, "cardsIssued") > 0);
    }
});

db_test!(full, async fn da_nang_2025_is_old_da_nang_plus_quang_nam(app) {
    // Given Đà Nẵng of 2025, made of old Đà Nẵng (48) and Quảng Nam (49)
    let lineage = app
        .data(
            r#"{ unit(level: PROVINCE, code: "48", map: VN2025) {
                   name map
                   predecessors { share unit { code map } }
                 } }"#,
            json!({}),
        )
        .await;
    let mut predecessors: Vec<(String, f64)> = lineage["unit"]["predecessors"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| {
            assert_eq!(p["unit"]["map"], "VN2023");
            (
                p["unit"]["code"].as_str().expect("a code").to_owned(),
                p["share"].as_f64().expect("a share"),
            )
        })
        .collect();
    predecessors.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(predecessors, vec![("48".into(), 1.0), ("49".into(), 1.0)]);

    // When its rollup over 2023 is asked
    let (from, to) = ("2023-01-01", "2023-04-15");
    let new = rollup(&app, "VN2025", "PROVINCE", "48", from, to).await;
    let da_nang = rollup(&app, "VN2023", "PROVINCE", "48", from, to).await;
    let quang_nam = rollup(&app, "VN2023", "PROVINCE", "49", from, to).await;
    // Then each number is the exact sum of the two old provinces'
    for field in FIELDS {
        assert_eq!(
            int(&new, field),
            int(&da_nang, field) + int(&quang_nam, field),
            "{field}"
        );
    }
    // and exact: provinces merged whole
    assert_eq!(new["quality"], "EXACT");
    assert_eq!(da_nang["quality"], "EXACT");
});

db_test!(full, async fn a_split_commune_is_apportioned_and_its_province_is_exact(app) {
    // Given commune 13363 of 2023, split between communes 13363 and 13366
    // of 2025 (equal shares by default)
    let data = app
        .data(
            r#"{ unit(level: COMMUNE, code: "13363", map: VN2023) {
                   successors { share unit { code map parent { code } } }
                 } }"#,
            json!({}),
        )
        .await;
    let successors = data["unit"]["successors"].as_array().expect("a list");
    let mut codes: Vec<&str> = successors
        .iter()
        .map(|s| s["unit"]["code"].as_str().expect("a code"))
        .collect();
    codes.sort_unstable();
    assert_eq!(codes, ["13363", "13366"]);
    let total: f64 = successors.iter().map(|s| s["share"].as_f64().expect("a share")).sum();
    assert!((total - 1.0).abs() < 1e-9, "shares sum to 1, not {total}");

    // When the parts are asked over 2023
    let (from, to) = ("2023-01-01", "2023-04-15");
    for code in codes {
        // Then each holds an apportioned part
        let part = rollup(&app, "VN2025", "COMMUNE", code, from, to).await;
        assert_eq!(part["quality"], "APPORTIONED", "commune {code}");
    }
    // and the new province holding both parts is exact
    let province = successors[0]["unit"]["parent"]["code"].as_str().expect("a code");
    let whole = rollup(&app, "VN2025", "PROVINCE", province, from, to).await;
    assert_eq!(whole["quality"], "EXACT");
    // and after the reform the old commune has no numbers of its own
    let after = rollup(&app, "VN2023", "COMMUNE", "13363", "2025-01-01", "2025-12-31").await;
    assert_eq!(after["quality"], "UNAVAILABLE");
});

db_test!(full, async fn ranking_34_provinces_of_2025_over_2023(app) {
    // When the provinces of 2025 are ranked over a period of 2023
    let data = app
        .data(
            r#"{ ranking(level: PROVINCE, map: VN2025, indicator: CCCD_COVERAGE,
                         period: { from: "2023-01-01", to: "2023-04-15" }, first: 100) {
                   totalCount
                   edges { node { rank outOf previousRank unit { code map } } }
                 } }"#,
            json!({}),
        )
        .await;
    // Then 34 provinces are ranked, with movement against the period before
    let nodes = edge_nodes(&data["ranking"]);
    assert_eq!(data["ranking"]["totalCount"], 34);
    assert_eq!(nodes.len(), 34);
    for node in &nodes {
        assert_eq!(node["unit"]["map"], "VN2025");
        assert_eq!(node["outOf"], 34);
        assert!(node["previousRank"].is_i64(), "{node}");
    }
    assert_eq!(nodes[0]["rank"], 1);
});
