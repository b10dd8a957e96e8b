//! Units: the tree, lookups by level and code, children as Relay
//! connections, ancestors and refetching by global ID.

mod common;

use common::contract::UNIT as UNIT_DOCUMENT;
use common::{db_test, edge_nodes, strings};
use serde_json::{Value, json};

/// The codes of Hà Tĩnh's 13 districts, in code order.
const HA_TINH_DISTRICTS: [&str; 13] = [
    "436", "437", "439", "440", "441", "442", "443", "444", "445", "446", "447", "448", "449",
];

db_test!(units, async fn unit_document(app) {
    // Given the 2023 unit map
    // When the Unit document of the API contract runs as written
    let data = app.data(UNIT_DOCUMENT, json!({})).await;

    // Then it describes Hà Tĩnh, under the ministry, with its 13 districts
    let unit = &data["unit"];
    assert_eq!(unit["code"], "42");
    assert_eq!(unit["name"], "Tỉnh Hà Tĩnh");
    assert_eq!(unit["shortName"], "Hà Tĩnh");
    assert_eq!(unit["level"], "PROVINCE");
    assert!(unit["id"].as_str().is_some_and(|id| !id.is_empty()), "{unit}");
    assert_eq!(unit["parent"]["level"], "MINISTRY");
    assert_eq!(unit["parent"]["name"], "Bộ Công an");

    let children = &unit["children"];
    assert_eq!(children["totalCount"], 13);
    assert_eq!(children["pageInfo"]["hasNextPage"], false);
    let edges = children["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 13);
    for edge in edges {
        assert_eq!(edge["node"]["level"], "DISTRICT", "{edge}");
        assert!(edge["cursor"].as_str().is_some_and(|c| !c.is_empty()), "{edge}");
    }
    assert_eq!(strings(&edge_nodes(children), "code"), HA_TINH_DISTRICTS);
    assert_eq!(
        children["pageInfo"]["endCursor"],
        edges[12]["cursor"],
        "endCursor is the last edge's cursor"
    );
});

db_test!(units, async fn children_paginate_without_overlap(app) {
    // Given Hà Tĩnh and its 13 districts
    let query = r#"
        query Page($after: String) {
          unit(level: PROVINCE, code: "42", map: VN2023) {
            children(first: 5, after: $after) {
              totalCount
              pageInfo { hasNextPage hasPreviousPage endCursor }
              edges { cursor node { code } }
            }
          }
        }
    "#;

    // When the children are read 5 at a time, following endCursor
    let mut seen: Vec<String> = Vec::new();
    let mut page_sizes = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(query, json!({ "after": after })).await;
        let children = &data["unit"]["children"];
        assert_eq!(children["totalCount"], 13, "totalCount is the whole list");
        assert_eq!(
            children["pageInfo"]["hasPreviousPage"],
            !after.is_null(),
            "hasPreviousPage is true exactly after a cursor"
        );
        let codes = strings(&edge_nodes(children), "code");
        for code in &codes {
            assert!(!seen.contains(code), "{code} came twice: pages overlap");
        }
        page_sizes.push(codes.len());
        seen.extend(codes);
        if children["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = children["pageInfo"]["endCursor"].clone();
        assert!(after.is_string(), "a page with more to come has an endCursor");
        assert!(page_sizes.len() < 10, "pagination does not end");
    }

    // Then three pages (5, 5, 3) give all 13 districts once, in code order
    assert_eq!(page_sizes, [5, 5, 3]);
    assert_eq!(seen, HA_TINH_DISTRICTS);
});

db_test!(units, async fn district_by_level_and_code(app) {
    // Given the 2023 unit map, where codes are unique only within a level
    // When district 445 is asked for
    let data = app
        .data(
            r#"{ unit(level: DISTRICT, code: "445", map: VN2023) { code name shortName level divisionType depth parent { code } } }"#,
            json!({}),
        )
        .await;

    // Then it is Huyện Thạch Hà, in Hà Tĩnh
    let unit = &data["unit"];
    assert_eq!(unit["code"], "445");
    assert_eq!(unit["name"], "Huyện Thạch Hà");
    assert_eq!(unit["shortName"], "Thạch Hà");
    assert_eq!(unit["level"], "DISTRICT");
    assert_eq!(unit["divisionType"], "huyện");
    assert_eq!(unit["depth"], 2);
    assert_eq!(unit["parent"]["code"], "42");
});

db_test!(units, async fn zero_padded_code_finds_the_same_unit(app) {
    // Given Hà Tĩnh, code "42"
    let query = r#"query($code: String!) { unit(level: PROVINCE, code: $code, map: VN2023) { id code name } }"#;

    // When it is asked for as "042" and as "42"
    let padded = app.data(query, json!({ "code": "042" })).await;
    let plain = app.data(query, json!({ "code": "42" })).await;

    // Then both find Hà Tĩnh, and the code comes back unpadded
    assert_eq!(padded["unit"]["name"], "Tỉnh Hà Tĩnh");
    assert_eq!(padded["unit"]["code"], "42");
    assert_eq!(padded, plain);
});

db_test!(units, async fn country_has_63_provinces(app) {
    // Given the 2023 unit map
    // When the root's children are counted
    let data = app
        .data(
            r#"{ country(map: VN2023) { code name level depth parent { code }
                 children(first: 100) { totalCount pageInfo { hasNextPage } edges { node { level } } } } }"#,
            json!({}),
        )
        .await;

    // Then the root is the ministry, with the 63 provinces below it
    let country = &data["country"];
    assert_eq!(country["level"], "MINISTRY");
    assert_eq!(country["name"], "Bộ Công an");
    assert_eq!(country["depth"], 0);
    assert_eq!(country["parent"], Value::Null);
    let children = &country["children"];
    assert_eq!(children["totalCount"], 63);
    assert_eq!(children["pageInfo"]["hasNextPage"], false);
    let levels = strings(&edge_nodes(children), "level");
    assert_eq!(levels.len(), 63);
    assert!(levels.iter().all(|l| l == "PROVINCE"), "{levels:?}");
});

db_test!(units, async fn nghe_an_has_21_districts(app) {
    // Given Nghệ An, province 40
    // When its children are counted
    let data = app
        .data(
            r#"{ unit(level: PROVINCE, code: "40", map: VN2023) { name children(first: 100) { totalCount edges { node { level } } } } }"#,
            json!({}),
        )
        .await;

    // Then it has 21 districts
    assert_eq!(data["unit"]["name"], "Tỉnh Nghệ An");
    let children = &data["unit"]["children"];
    assert_eq!(children["totalCount"], 21);
    let levels = strings(&edge_nodes(children), "level");
    assert_eq!(levels.len(), 21);
    assert!(levels.iter().all(|l| l == "DISTRICT"), "{levels:?}");
});

db_test!(units, async fn district_children_are_communes(app) {
    // Given Thạch Hà, a district of Hà Tĩnh
    // When its children are listed
    let data = app
        .data(
            r#"{ unit(level: DISTRICT, code: "445", map: VN2023) {
                 children(first: 100) { totalCount edges { node { code name level depth parent { code } } } } } }"#,
            json!({}),
        )
        .await;

    // Then they are its 22 communes, Thạch Kênh among them
    let children = &data["unit"]["children"];
    assert_eq!(children["totalCount"], 22);
    let nodes = edge_nodes(children);
    assert_eq!(nodes.len(), 22);
    for node in &nodes {
        assert_eq!(node["level"], "COMMUNE", "{node}");
        assert_eq!(node["depth"], 3, "{node}");
        assert_eq!(node["parent"]["code"], "445", "{node}");
    }
    assert!(
        nodes
            .iter()
            .any(|n| n["code"] == "18586" && n["name"] == "Xã Thạch Kênh"),
        "Thạch Kênh is missing: {nodes:?}"
    );
});

db_test!(units, async fn ancestors_run_from_the_ministry_down(app) {
    // Given Thạch Kênh, commune 18586 of Thạch Hà, Hà Tĩnh
    // When its ancestors are asked for
    let data = app
        .data(
            r#"{ unit(level: COMMUNE, code: "18586", map: VN2023) { name ancestors { code name level } } }"#,
            json!({}),
        )
        .await;

    // Then they are the ministry, Hà Tĩnh and Thạch Hà, in that order
    assert_eq!(data["unit"]["name"], "Xã Thạch Kênh");
    let ancestors = data["unit"]["ancestors"].as_array().expect("ancestors");
    let summary: Vec<(String, String)> = ancestors
        .iter()
        .map(|a| {
            (
                a["level"].as_str().unwrap_or("?").to_owned(),
                a["name"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("MINISTRY".to_owned(), "Bộ Công an".to_owned()),
            ("PROVINCE".to_owned(), "Tỉnh Hà Tĩnh".to_owned()),
            ("DISTRICT".to_owned(), "Huyện Thạch Hà".to_owned()),
        ]
    );
});

db_test!(units, async fn node_round_trips_a_unit_id(app) {
    // Given the global ID of Thạch Hà
    let data = app
        .data(r#"{ unit(level: DISTRICT, code: "445", map: VN2023) { id } }"#, json!({}))
        .await;
    let id = data["unit"]["id"].clone();
    assert!(id.is_string(), "{data}");

    // When it is refetched through node(id:)
    let data = app
        .data(
            r#"query($id: ID!) { node(id: $id) { __typename id ... on Unit { code name level } } }"#,
            json!({ "id": id }),
        )
        .await;

    // Then the same unit comes back, with the same ID
    let node = &data["node"];
    assert_eq!(node["__typename"], "Unit");
    assert_eq!(node["id"], id);
    assert_eq!(node["code"], "445");
    assert_eq!(node["name"], "Huyện Thạch Hà");
    assert_eq!(node["level"], "DISTRICT");
});

db_test!(units, async fn nodes_come_back_in_the_order_asked(app) {
    // Given the global IDs of a commune, a province and a district
    let data = app
        .data(
            r#"{ a: unit(level: COMMUNE, code: "18586", map: VN2023) { id }
                 b: unit(level: PROVINCE, code: "42", map: VN2023) { id }
                 c: unit(level: DISTRICT, code: "445", map: VN2023) { id } }"#,
            json!({}),
        )
        .await;
    let ids = [
        data["a"]["id"].clone(),
        data["b"]["id"].clone(),
        data["c"]["id"].clone(),
    ];

    // When they are refetched in that order, the province twice
    let data = app
        .data(
            r#"query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Unit { code level } } }"#,
            json!({ "ids": [ids[0], ids[1], ids[2], ids[1]] }),
        )
        .await;

    // Then they come back in the same order
    let nodes = data["nodes"].as_array().expect("nodes");
    let got: Vec<(Value, Value)> = nodes
        .iter()
        .map(|n| (n["code"].clone(), n["level"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (json!("18586"), json!("COMMUNE")),
            (json!("42"), json!("PROVINCE")),
            (json!("445"), json!("DISTRICT")),
            (json!("42"), json!("PROVINCE")),
        ]
    );
    let returned_ids: Vec<&Value> = nodes.iter().map(|n| &n["id"]).collect();
    assert_eq!(returned_ids, [&ids[0], &ids[1], &ids[2], &ids[1]]);
});
