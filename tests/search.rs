//! Searching units: case and diacritics ignored, codes matched exactly,
//! `within:` restricts to a subtree, LIKE wildcards are plain text.

mod common;

use common::contract::SEARCH as SEARCH_DOCUMENT;
use common::{db_test, edge_nodes, strings};
use serde_json::{Value, json};

/// A search of the 2023 map with every filter as a variable.
const SEARCH: &str = r#"
query Search($search: String, $level: UnitLevel, $within: ID, $first: Int!) {
  units(search: $search, level: $level, within: $within, first: $first, map: VN2023) {
    totalCount
    pageInfo { hasNextPage }
    edges { node { code name level ancestors { code level } } }
  }
}
"#;

/// Runs [`SEARCH`] and returns the connection.
async fn search(app: &common::TestApp, variables: Value) -> Value {
    app.data(SEARCH, variables).await["units"].clone()
}

db_test!(units, async fn search_document_finds_ha_tinh(app) {
    // Given the 2023 unit map
    // When the Search document of the API contract runs as written
    let data = app.data(SEARCH_DOCUMENT, json!({})).await;

    // Then it finds exactly Hà Tĩnh
    assert_eq!(
        data["units"]["edges"],
        json!([{ "node": { "code": "42", "name": "Tỉnh Hà Tĩnh" } }])
    );
});

db_test!(units, async fn search_ignores_case_and_diacritics(app) {
    // Given the 2023 unit map
    // When Hà Tĩnh is searched for without marks, in capitals, and as written
    let mut results = Vec::new();
    for text in ["ha tinh", "HÀ TĨNH", "Hà Tĩnh", "  hà   TINH "] {
        let found = search(&app, json!({ "search": text, "level": "PROVINCE", "first": 5 })).await;
        results.push((text, found));
    }

    // Then every spelling gives the same single result
    let (_, first) = &results[0];
    assert_eq!(first["totalCount"], 1);
    assert_eq!(strings(&edge_nodes(first), "name"), ["Tỉnh Hà Tĩnh"]);
    for (text, found) in &results[1..] {
        assert_eq!(found, first, "searching {text:?}");
    }
});

db_test!(units, async fn search_finds_a_commune_by_name(app) {
    // Given Xã Thạch Kênh, commune 18586
    // When "thach kenh" is searched for among communes
    let found = search(&app, json!({ "search": "thach kenh", "level": "COMMUNE", "first": 10 })).await;

    // Then it is found, and only communes come back
    let nodes = edge_nodes(&found);
    assert!(
        nodes.iter().any(|n| n["code"] == "18586" && n["name"] == "Xã Thạch Kênh"),
        "{found}"
    );
    assert!(nodes.iter().all(|n| n["level"] == "COMMUNE"), "{found}");
    assert_eq!(found["totalCount"], nodes.len());
});

db_test!(units, async fn search_matches_a_numeric_code_exactly(app) {
    // Given code 18586 (Thạch Kênh), and code 42, which a province, a
    // district and a commune all have
    // When the codes are searched for
    let commune = search(&app, json!({ "search": "18586", "first": 10 })).await;
    let province = search(&app, json!({ "search": "42", "level": "PROVINCE", "first": 10 })).await;
    let any_level = search(&app, json!({ "search": "42", "first": 10 })).await;
    let padded = search(&app, json!({ "search": "042", "level": "PROVINCE", "first": 10 })).await;

    // Then each finds the units with exactly that code, not codes containing it
    assert_eq!(commune["totalCount"], 1, "{commune}");
    assert_eq!(strings(&edge_nodes(&commune), "name"), ["Xã Thạch Kênh"]);
    assert_eq!(province["totalCount"], 1, "{province}");
    assert_eq!(strings(&edge_nodes(&province), "name"), ["Tỉnh Hà Tĩnh"]);
    assert_eq!(padded, province, "zero padding is ignored");
    let nodes = edge_nodes(&any_level);
    assert!(nodes.len() >= 2, "code 42 exists at several levels: {any_level}");
    assert!(nodes.iter().all(|n| n["code"] == "42"), "{any_level}");
    assert_eq!(any_level["totalCount"], nodes.len());
    let levels = strings(&nodes, "level");
    assert!(levels.contains(&"PROVINCE".to_owned()) && levels.contains(&"DISTRICT".to_owned()));
});

db_test!(units, async fn within_restricts_to_a_subtree(app) {
    // Given Hà Tĩnh's global ID, and "thach" in commune names inside and
    // outside Hà Tĩnh
    let data = app.data(r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { id } }"#, json!({})).await;
    let ha_tinh = data["unit"]["id"].clone();
    let everywhere = search(&app, json!({ "search": "thach", "level": "COMMUNE", "first": 100 })).await;

    // When the search is restricted to Hà Tĩnh
    let inside = search(
        &app,
        json!({ "search": "thach", "level": "COMMUNE", "within": ha_tinh, "first": 100 }),
    )
    .await;

    // Then only Hà Tĩnh's communes come back, fewer than nationwide
    let nodes = edge_nodes(&inside);
    assert!(!nodes.is_empty(), "{inside}");
    for node in &nodes {
        assert_eq!(node["ancestors"][1]["code"], "42", "{node}");
        assert_eq!(node["ancestors"][1]["level"], "PROVINCE", "{node}");
    }
    assert!(strings(&nodes, "code").contains(&"18586".to_owned()), "{inside}");
    let inside_total = inside["totalCount"].as_u64().expect("totalCount");
    let everywhere_total = everywhere["totalCount"].as_u64().expect("totalCount");
    assert_eq!(inside_total, nodes.len() as u64);
    assert!(
        inside_total < everywhere_total,
        "within: did not restrict ({inside_total} of {everywhere_total})"
    );

    // And `within` alone lists the whole subtree, the unit itself excluded
    let subtree = search(&app, json!({ "level": "PROVINCE", "within": ha_tinh, "first": 10 })).await;
    assert_eq!(subtree["totalCount"], 0, "Hà Tĩnh is not within itself: {subtree}");
    let districts = search(&app, json!({ "level": "DISTRICT", "within": ha_tinh, "first": 100 })).await;
    assert_eq!(districts["totalCount"], 13);
});

db_test!(units, async fn like_wildcards_in_the_text_are_plain_text(app) {
    // Given the 2023 unit map, where "ha tinh" finds one province
    let control = search(&app, json!({ "search": "ha tinh", "level": "PROVINCE", "first": 5 })).await;
    assert_eq!(control["totalCount"], 1, "{control}");

    // When "ha tinh" is searched for with LIKE wildcards in place of letters
    let mut totals = Vec::new();
    for text in ["h_ t_nh", "h% t%nh", "h%nh"] {
        let found = search(&app, json!({ "search": text, "level": "PROVINCE", "first": 5 })).await;
        totals.push((text, found["totalCount"].clone()));
    }

    // Then nothing matches: `_` and `%` stand for no letter
    for (text, total) in &totals {
        assert_eq!(total, &json!(0), "searching {text:?} matched {total} provinces");
    }
});

db_test!(units, async fn a_search_of_only_wildcards_matches_nothing(app) {
    // Given the 2023 unit map
    // When the search text is nothing but LIKE wildcards or punctuation
    let mut totals = Vec::new();
    for text in ["%", "_", "%%", "\\", "%_%"] {
        let found = search(&app, json!({ "search": text, "level": "PROVINCE", "first": 5 })).await;
        totals.push((text, found["totalCount"].clone()));
    }

    // Then nothing matches: the text is not a wildcard for "everything"
    for (text, total) in &totals {
        assert_eq!(total, &json!(0), "searching {text:?} matched {total} provinces");
    }
});
