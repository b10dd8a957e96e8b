//! The two maps through GraphQL: the 2025 map's units answer for periods
//! before the reform from their predecessors, the country is the same in
//! both maps, a merged province is the exact sum of its old provinces, the
//! quality flag and the lineage say how; the default map is the one in
//! force today; reports after the reform are the 2025 communes'; a key
//! sees the other map only inside its territory. Tests that write run on
//! the catalogue (no figures), the others on the full demo.

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

db_test!(full, async fn the_default_map_is_the_one_in_force_today(app) {
    // Given both maps, and no `map` argument
    let data = app
        .data(
            r#"{ country { map }
                 unit(level: PROVINCE, code: "48") { map name }
                 units(level: PROVINCE, first: 100) { totalCount }
                 ranking(level: PROVINCE, indicator: CCCD_COVERAGE,
                         period: { from: "2023-01-01", to: "2023-04-15" }, first: 1) { totalCount }
                 old: ranking(level: PROVINCE, indicator: CCCD_COVERAGE, map: VN2023,
                         period: { from: "2023-01-01", to: "2023-04-15" }, first: 1) { totalCount } }"#,
            json!({}),
        )
        .await;
    // Then the 2025 map (in force today) answers: 34 provinces, Đà Nẵng 48
    assert_eq!(data["country"]["map"], "VN2025");
    assert_eq!(data["unit"]["map"], "VN2025");
    assert_eq!(data["unit"]["name"], "Thành phố Đà Nẵng");
    assert_eq!(data["units"]["totalCount"], 34);
    assert_eq!(data["ranking"]["totalCount"], 34);
    // and `map: VN2023` asks for the 63 provinces of 2023
    assert_eq!(data["old"]["totalCount"], 63);
});

db_test!(full, async fn a_code_unknown_in_the_map_says_where_it_is(app) {
    // When Quảng Nam 49 is asked for in the 2025 map
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "49", map: VN2025) { code } }"#, json!({}))
        .await;
    // Then NOT_FOUND says it is a 2023 unit merged into Đà Nẵng 48
    let error = common::single_error(&body, "NOT_FOUND");
    let message = error["message"].as_str().expect("a message");
    for part in ["VN2023", "Tỉnh Quảng Nam", "merged into Thành phố Đà Nẵng 48", "2025-07-01", "map: VN2023"] {
        assert!(message.contains(part), "{part:?} not in {message:?}");
    }
    // When a code exists in neither map, the message says so
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "99") { code } }"#, json!({}))
        .await;
    let message = common::single_error(&body, "NOT_FOUND")["message"].as_str().expect("a message").to_owned();
    assert!(message.contains("nor in the VN2023 map"), "{message}");

    // When the 2025 map is asked for a level it does not have
    for document in [
        r#"{ ranking(level: DISTRICT, map: VN2025, metric: CARDS_ISSUED,
                     period: { from: "2023-01-01", to: "2023-04-15" }, first: 5) { totalCount } }"#,
        r#"{ unit(level: DISTRICT, code: "445") { code } }"#,
        r#"{ firstToComplete(level: DISTRICT, indicator: CCCD_COVERAGE, first: 5) { totalCount } }"#,
    ] {
        let body = app.post(document, json!({})).await;
        // Then it is BAD_USER_INPUT naming the argument
        let error = common::single_error(&body, "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["argument"], "level", "{body}");
        assert!(error["message"].as_str().is_some_and(|m| m.contains("VN2025")), "{body}");
    }
});

db_test!(full, async fn unavailable_numbers_are_null(app) {
    // Given commune 13363 of 2023, split on 2025-07-01: its territory is no
    // union of whole 2025 units
    // When it is asked over 2025, and its province (always whole) too
    let data = app
        .data(
            r#"{ commune: unit(level: COMMUNE, code: "13363", map: VN2023) {
                   rollup(period: { from: "2025-01-01", to: "2025-12-31" }) {
                     quality cardsIssued cardsIssuedTotal eligiblePopulation cccdCoverage remaining } }
                 before: unit(level: COMMUNE, code: "13363", map: VN2023) {
                   rollup(period: { from: "2023-01-01", to: "2023-04-15" }) { quality cardsIssued } }
                 province: unit(level: PROVINCE, code: "49", map: VN2023) {
                   rollup(period: { from: "2025-01-01", to: "2025-12-31" }) { quality cardsIssuedTotal } } }"#,
            json!({}),
        )
        .await;
    // Then the commune's numbers are null, with the quality saying why
    assert_eq!(
        data["commune"]["rollup"],
        json!({ "quality": "UNAVAILABLE", "cardsIssued": null, "cardsIssuedTotal": null,
                "eligiblePopulation": null, "cccdCoverage": null, "remaining": null })
    );
    // and before the reform they are its own
    assert_eq!(data["before"]["rollup"]["quality"], "EXACT");
    assert!(data["before"]["rollup"]["cardsIssued"].is_i64());
    // and an old province still has exact numbers after the reform
    assert_eq!(data["province"]["rollup"]["quality"], "EXACT");
    assert!(data["province"]["rollup"]["cardsIssuedTotal"].as_i64().is_some_and(|n| n > 0));
});

/// The sum of a flow over every child of a unit (paging through them).
async fn children_sum(app: &common::TestApp, id: &Value, field: &str, from: &str, to: &str) -> i64 {
    let mut after = Value::Null;
    let mut sum = 0;
    loop {
        let data = app
            .data(
                &format!(
                    "query($id: ID!, $after: String) {{ node(id: $id) {{ ... on Unit {{
                       children(first: 100, after: $after) {{ pageInfo {{ hasNextPage endCursor }}
                         nodes {{ rollup(period: {{ from: \"{from}\", to: \"{to}\" }}) {{ {field} }} }} }} }} }} }}"
                ),
                json!({ "id": id, "after": after }),
            )
            .await;
        let children = &data["node"]["children"];
        for node in children["nodes"].as_array().expect("nodes") {
            sum += int(&node["rollup"], field);
        }
        if children["pageInfo"]["hasNextPage"] != true {
            return sum;
        }
        after = children["pageInfo"]["endCursor"].clone();
    }
}

db_test!(full, async fn a_new_province_is_its_communes_plus_what_is_unallocated(app) {
    // Given the 34 provinces of 2025 over a period of 2023, when 568
    // communes of 2023 that are in no row of the merge table reported
    let (from, to) = ("2023-01-01", "2023-07-31");
    let data = app
        .data(
            &format!(
                "{{ country(map: VN2025) {{ rollup(period: {{ from: \"{from}\", to: \"{to}\" }}) {{ cardsIssued }} }}
                   units(level: PROVINCE, first: 34, map: VN2025) {{ nodes {{ id code
                     rollup(period: {{ from: \"{from}\", to: \"{to}\" }}) {{ quality cardsIssued homeVisits
                       unallocated {{ cardsIssued homeVisits }} }} }} }} }}"
            ),
            json!({}),
        )
        .await;
    let provinces = data["units"]["nodes"].as_array().expect("provinces");
    assert_eq!(provinces.len(), 34);
    let mut with_unallocated = 0;
    let mut country = 0;
    for province in provinces {
        let rollup = &province["rollup"];
        assert_eq!(rollup["quality"], "EXACT", "{province}");
        country += int(rollup, "cardsIssued");
        let unallocated = &rollup["unallocated"];
        if unallocated.is_null() {
            continue;
        }
        with_unallocated += 1;
        // Then a province holding unallocated numbers is exactly its
        // communes plus its unallocated part, flow by flow
        for field in ["cardsIssued", "homeVisits"] {
            let communes = children_sum(&app, &province["id"], field, from, to).await;
            assert_eq!(
                communes + int(unallocated, field),
                int(rollup, field),
                "province {} {field}",
                province["code"]
            );
        }
    }
    assert!(with_unallocated > 0, "some provinces hold communes merged away");
    // and the provinces add up to the country
    assert_eq!(country, int(&data["country"]["rollup"], "cardsIssued"));
});

const SUBMIT: &str = r#"mutation($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) { accepted reports { unit { code map } } } }"#;

fn flows(code: &str, day: &str, map: Option<&str>, values: [i64; 4]) -> Value {
    let mut unit = json!({ "level": "COMMUNE", "code": code });
    if let Some(map) = map {
        unit["map"] = json!(map);
    }
    json!({ "unit": unit, "day": day, "applicationsCollected": values[0], "cardsIssued": values[1],
            "accountsActivated": values[2], "homeVisits": values[3] })
}

db_test!(catalogue, async fn a_split_commune_s_parts_add_up_to_its_number(app) {
    // Given old commune 13363, split between new communes 13363 and 13366
    let day = "2024-03-05";
    let parts = || async {
        let mut out = Vec::new();
        for code in ["13363", "13366"] {
            out.push(rollup(&app, "VN2025", "COMMUNE", code, day, day).await);
        }
        out
    };
    let before = parts().await;

    // When it reports odd numbers on a day of 2024
    let values = [9, 7, 5, 3];
    let data = app.data(SUBMIT, json!({ "reports": [flows("13363", day, None, values)] })).await;
    assert_eq!(data["submitReports"]["reports"][0]["unit"]["map"], "VN2023");
    let after = parts().await;

    // Then each part grows by a whole number, and the parts add up to it
    for (m, field) in FIELDS[..4].iter().enumerate() {
        let grown: Vec<i64> = (0..2).map(|i| int(&after[i], field) - int(&before[i], field)).collect();
        assert_eq!(grown.iter().sum::<i64>(), values[m], "{field}: {grown:?}");
        assert!(grown.iter().all(|g| *g >= 0), "{field}: {grown:?}");
    }
    assert!(after.iter().all(|p| p["quality"] == "APPORTIONED"), "{after:?}");
});

db_test!(catalogue, async fn reports_after_the_reform_are_entered_by_2025_communes(app) {
    // Given commune 20335 of 2025 (in Đà Nẵng 48, on old Quảng Nam land)
    let day = "2025-08-01";
    let numbers = || async {
        (
            rollup(&app, "VN2025", "PROVINCE", "48", day, day).await,
            rollup(&app, "VN2023", "PROVINCE", "49", day, day).await,
            rollup(&app, "VN2025", "MINISTRY", "0", day, day).await,
            rollup(&app, "VN2023", "MINISTRY", "0", day, day).await,
        )
    };
    let before = numbers().await;

    // When it reports on a day after the reform, without naming a map
    let values = [12, 10, 8, 2];
    let data = app.data(SUBMIT, json!({ "reports": [flows("20335", day, None, values)] })).await;

    // Then the row is the 2025 commune's
    assert_eq!(data["submitReports"]["reports"][0]["unit"], json!({ "code": "20335", "map": "VN2025" }));
    let after = numbers().await;
    for (m, field) in FIELDS[..4].iter().enumerate() {
        // and it counts in its 2025 province, and in the old province
        // whose territory holds it (old provinces stay exact)
        assert_eq!(int(&after.0, field) - int(&before.0, field), values[m], "Đà Nẵng 48 {field}");
        assert_eq!(int(&after.1, field) - int(&before.1, field), values[m], "Quảng Nam 49 {field}");
        // and the country is the same in both maps
        assert_eq!(int(&after.2, field), int(&after.3, field), "country {field}");
    }
    assert_eq!(after.1["quality"], "EXACT");
});

db_test!(catalogue, async fn a_key_sees_the_other_map_only_inside_its_territory(app) {
    use entity::unit::AdminMap;
    use tiendo::access::Role;
    // Given an officer of Quảng Nam (2023) and one of Đà Nẵng (2025), which
    // took old Quảng Nam and old Đà Nẵng
    let quang_nam = app.key_of_map(Role::Officer, AdminMap::Vn2023, Some(("province", "49")), false).await;
    let da_nang = app.key_of_map(Role::Officer, AdminMap::Vn2025, Some(("province", "48")), false).await;
    let reports = |level: &str, code: &str, map: &str| {
        format!(
            "{{ unit(level: {level}, code: \"{code}\", map: {map}) {{
                 reports(period: {{ from: \"2023-01-01\", to: \"2023-12-31\" }}, first: 1) {{ totalCount }} }} }}"
        )
    };
    let outcome = |body: &Value| {
        common::error_codes(body).first().cloned().unwrap_or_else(|| "ok".to_owned())
    };
    let cases = [
        // Quảng Nam's officer: a 2025 commune on Quảng Nam land only
        (&quang_nam, reports("COMMUNE", "20335", "VN2025"), "ok"),
        // but nothing of Đà Nẵng (2025), which also holds old Đà Nẵng
        (&quang_nam, reports("PROVINCE", "48", "VN2025"), "FORBIDDEN"),
        (&quang_nam, reports("COMMUNE", "20194", "VN2025"), "FORBIDDEN"),
        (&quang_nam, r#"{ unit(level: COMMUNE, code: "20194", map: VN2025) { code } }"#.to_owned(), "FORBIDDEN"),
        // Đà Nẵng's officer: both old provinces, wholly inside it
        (&da_nang, reports("PROVINCE", "49", "VN2023"), "ok"),
        (&da_nang, reports("PROVINCE", "48", "VN2023"), "ok"),
        (&da_nang, reports("COMMUNE", "20335", "VN2023"), "ok"),
        (&da_nang, reports("PROVINCE", "42", "VN2023"), "FORBIDDEN"),
        (&da_nang, reports("PROVINCE", "48", "VN2025"), "ok"),
    ];
    for (key, document, expected) in &cases {
        let (_, body) = app.post_as(Some(key), document, json!({})).await;
        assert_eq!(outcome(&body), *expected, "{document}: {body}");
    }
    // And writes follow the same territory
    let (_, body) = app
        .post_as(Some(&quang_nam), SUBMIT, json!({ "reports": [flows("20335", "2025-08-02", None, [1, 1, 1, 1])] }))
        .await;
    assert_eq!(outcome(&body), "ok", "{body}");
    let (_, body) = app
        .post_as(Some(&quang_nam), SUBMIT, json!({ "reports": [flows("20194", "2025-08-02", None, [1, 1, 1, 1])] }))
        .await;
    assert_eq!(outcome(&body), "FORBIDDEN", "{body}");
});

db_test!(full, async fn completion_and_first_to_complete_in_the_2025_map(app) {
    // When the 2025 map is asked who completed first, and how many of
    // Nghệ An's 2025 communes were complete on 2023-06-30
    let data = app
        .data(
            r#"{ firstToComplete(level: COMMUNE, indicator: CCCD_COVERAGE, first: 5, map: VN2025) {
                   nodes { completedOn unit { map level } } }
                 unit(level: PROVINCE, code: "40", map: VN2025) {
                   completion(level: COMMUNE, indicator: CCCD_COVERAGE, asOf: "2023-06-30") { complete total }
                   children(first: 1) { totalCount } } }"#,
            json!({}),
        )
        .await;
    // Then 2025 communes are judged on their mapped numbers
    let first = data["firstToComplete"]["nodes"].as_array().expect("nodes");
    assert!(!first.is_empty());
    for node in first {
        assert_eq!(node["unit"], json!({ "map": "VN2025", "level": "COMMUNE" }));
    }
    let completion = &data["unit"]["completion"];
    assert_eq!(completion["total"], data["unit"]["children"]["totalCount"]);
    assert!(int(completion, "complete") > 0 && int(completion, "complete") <= int(completion, "total"), "{completion}");
    // and a map other than the unit's own is refused
    let body = app
        .post(
            r#"{ unit(level: PROVINCE, code: "40", map: VN2025) {
                   completion(level: COMMUNE, indicator: CCCD_COVERAGE, asOf: "2023-06-30", map: VN2023) { total } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(common::single_error(&body, "BAD_USER_INPUT")["extensions"]["argument"], "map");
});
