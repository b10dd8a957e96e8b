//! Errors: every error a client sees carries a stable `extensions.code`,
//! and bad arguments name the argument at fault.

mod common;

use common::{db_test, error_codes, single_error};
use serde_json::{Value, json};

db_test!(units, async fn unknown_unit_code_is_not_found(app) {
    // Given the 2023 unit map, with no province 99
    // When province 99 is asked for, next to one that exists
    let body = app
        .post(
            r#"{ missing: unit(level: PROVINCE, code: "99", map: VN2023) { code } found: unit(level: PROVINCE, code: "42", map: VN2023) { code } }"#,
            json!({}),
        )
        .await;

    // Then the missing one is null with NOT_FOUND at its path, and the other is served
    let error = single_error(&body, "NOT_FOUND");
    assert_eq!(error["path"], json!(["missing"]));
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
    assert_eq!(body["data"]["missing"], Value::Null);
    assert_eq!(body["data"]["found"]["code"], "42");
});

db_test!(units, async fn first_above_the_page_limit_is_bad_input(app) {
    // Given the default page limit of 100
    // When a connection asks for 101, and another for exactly 100
    let too_many = app
        .post(r#"{ country(map: VN2023) { children(first: 101) { totalCount } } }"#, json!({}))
        .await;
    let at_limit = app
        .post(r#"{ country(map: VN2023) { children(first: 100) { totalCount } } }"#, json!({}))
        .await;

    // Then 101 is refused as BAD_USER_INPUT on `first` before anything
    // runs (the cost model reads the document first), and 100 is served
    let error = single_error(&too_many, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "first");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("children")), "{error}");
    assert!(too_many["data"].is_null(), "{too_many}");
    assert_eq!(error_codes(&at_limit), Vec::<String>::new(), "{at_limit}");
    assert_eq!(at_limit["data"]["country"]["children"]["totalCount"], 63);
});

db_test!(units, async fn negative_first_is_bad_input(app) {
    // Given a connection
    // When it is asked for -1 units
    let body = app
        .post(r#"{ units(first: -1, map: VN2023) { totalCount } }"#, json!({}))
        .await;

    // Then it is refused as BAD_USER_INPUT on `first`
    let error = single_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "first");
});

db_test!(units, async fn missing_first_is_bad_input(app) {
    // Given a connection, which must be told how many to return
    // When `first` is left out
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { children { totalCount } } }"#, json!({}))
        .await;

    // Then it is refused as BAD_USER_INPUT on `first`
    let error = single_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "first");
    assert_eq!(body["data"]["unit"], Value::Null);
});

db_test!(units, async fn malformed_cursor_is_bad_input(app) {
    // Given a connection
    // When `after` is not a cursor this server made
    let body = app
        .post(
            r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { children(first: 5, after: "zzz") { totalCount } } }"#,
            json!({}),
        )
        .await;

    // Then it is refused as BAD_USER_INPUT on `after`
    let error = single_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "after");
});

db_test!(units, async fn malformed_node_id_is_bad_input(app) {
    // Given node(id:), which takes global IDs
    // When the ID is not one
    let body = app
        .post(r#"{ node(id: "nope") { id } }"#, json!({}))
        .await;

    // Then it is refused as BAD_USER_INPUT on `id`, and node is null
    let error = single_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "id");
    assert_eq!(body["data"]["node"], Value::Null);
});

db_test!(units, async fn non_digit_code_is_bad_input(app) {
    // Given unit codes, which are digits
    // When a code has letters in it
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "4x", map: VN2023) { code } }"#, json!({}))
        .await;

    // Then it is refused as BAD_USER_INPUT on `code`
    let error = single_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "code");
    assert_eq!(body["data"]["unit"], Value::Null);
});

db_test!(units, async fn syntax_error_is_parse_failed(app) {
    // Given a document that is not valid GraphQL
    // When it is sent
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { code "#, json!({}))
        .await;

    // Then it fails as GRAPHQL_PARSE_FAILED, with no data
    single_error(&body, "GRAPHQL_PARSE_FAILED");
    assert!(body["data"].is_null(), "{body}");
});

db_test!(units, async fn unknown_field_is_validation_failed(app) {
    // Given a document asking for a field the schema does not have
    // When it is sent
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { code population } }"#, json!({}))
        .await;

    // Then it fails as GRAPHQL_VALIDATION_FAILED, naming the field, with no data
    let error = single_error(&body, "GRAPHQL_VALIDATION_FAILED");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("population")),
        "{error}"
    );
    assert!(body["data"].is_null(), "{body}");
});

db_test!(units, async fn missing_variable_is_bad_input(app) {
    // Given a document with a required variable
    // When the variable is not sent
    let body = app
        .post(
            r#"query($code: String!) { unit(level: PROVINCE, code: $code, map: VN2023) { code } }"#,
            json!({}),
        )
        .await;

    // Then it is refused as BAD_USER_INPUT
    single_error(&body, "BAD_USER_INPUT");
});

db_test!(units, async fn too_deep_a_document_is_too_complex(app) {
    // Given the default depth limit of 15
    // When a document nests `parent` 20 levels deep
    let mut selection = "code".to_owned();
    for _ in 0..20 {
        selection = format!("parent {{ {selection} }}");
    }
    let body = app
        .post(
            &format!(r#"{{ unit(level: COMMUNE, code: "18586", map: VN2023) {{ {selection} }} }}"#),
            json!({}),
        )
        .await;

    // Then it is refused as QUERY_TOO_COMPLEX, before anything runs
    single_error(&body, "QUERY_TOO_COMPLEX");
    assert!(body["data"].is_null(), "{body}");
});

db_test!(units, async fn a_fragment_bomb_is_too_complex_without_being_expanded(app) {
    // Given fragments that each spread the next one twice: 2^24 fields
    // once expanded, in a document of a few hundred bytes
    let mut fragments = String::from("fragment F24 on Unit { code }\n");
    for i in 0..24 {
        fragments.push_str(&format!("fragment F{i} on Unit {{ ...F{n} parent {{ ...F{n} }} }}\n", n = i + 1));
    }
    let document = format!("{{ unit(level: COMMUNE, code: \"18586\", map: VN2023) {{ ...F0 }} }}\n{fragments}");

    // When it is sent
    let body = app.post(&document, json!({})).await;

    // Then it is refused as QUERY_TOO_COMPLEX (the walk stops at the
    // limit instead of expanding every spread), before anything runs
    single_error(&body, "QUERY_TOO_COMPLEX");
    assert!(body["data"].is_null(), "{body}");
});

db_test!(units, async fn a_malformed_day_is_bad_input_naming_its_path(app) {
    // Given a rollup over a period, its days written without zero padding
    let literal = r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { rollup(period: { from: "2023-4-5", to: "2023-05-01" }) { cardsIssued } } }"#;
    let variable = r#"query($p: PeriodInput!) { unit(level: PROVINCE, code: "42", map: VN2023) { rollup(period: $p) { cardsIssued } } }"#;

    // When the period is sent in the document, and as a variable
    let in_document = app.post(literal, json!({})).await;
    let in_variable = app
        .post(variable, json!({ "p": { "from": "2023-04-05", "to": "2023-5-1" } }))
        .await;

    // Then each is refused as BAD_USER_INPUT naming the day's path, before
    // anything runs (the same day parser as the Date scalar and the CSV)
    let error = single_error(&in_document, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "period.from", "{error}");
    assert!(in_document["data"].is_null(), "{in_document}");
    let error = single_error(&in_variable, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "period.to", "{error}");
});

db_test!(units, async fn an_unknown_enum_value_is_bad_input_naming_it(app) {
    // Given a level argument, as a literal and as a variable
    let literal = r#"{ units(level: REGION, first: 1, map: VN2023) { totalCount } }"#;
    let variable = r#"query($l: UnitLevel) { units(level: $l, first: 1, map: VN2023) { totalCount } }"#;

    // When the value is not one of the enum's
    let in_document = app.post(literal, json!({})).await;
    let in_variable = app.post(variable, json!({ "l": "REGION" })).await;

    // Then both are BAD_USER_INPUT on `level`, listing the values
    for body in [&in_document, &in_variable] {
        let error = single_error(body, "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["argument"], "level", "{error}");
        assert!(error["message"].as_str().is_some_and(|m| m.contains("PROVINCE")), "{error}");
    }
});

db_test!(units, async fn more_than_100_node_ids_is_bad_input(app) {
    // Given nodes(ids:), which takes at most 100 IDs
    let data = app
        .data(r#"{ unit(level: PROVINCE, code: "42", map: VN2023) { id } }"#, json!({}))
        .await;
    let id = data["unit"]["id"].clone();

    // When it is sent 101
    let ids: Vec<Value> = std::iter::repeat_n(id, 101).collect();
    let body = app
        .post(r#"query($ids: [ID!]!) { nodes(ids: $ids) { id } }"#, json!({ "ids": ids }))
        .await;

    // Then it is refused as BAD_USER_INPUT on `ids`
    let error = single_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "ids");
});

db_test!(units, configured(|config: &mut tiendo::Config| {
    config.serve.limits.max_page_size = 7;
    config.serve.limits.max_batch_rows = 3;
}), async fn the_bounds_descriptions_name_are_the_servers_own(app) {
    // Given a server whose operator set a page size of 7 and batches of 3
    // When a client reads the limits the descriptions refer to
    let limits = app
        .data("{ viewer { limits { maxPageSize maxBatchRows maxNodes budgetPoints } } }", json!({}))
        .await;
    let limits = &limits["viewer"]["limits"];

    // Then they are this server's, not the defaults
    assert_eq!(limits["maxPageSize"], 7, "{limits}");
    assert_eq!(limits["maxBatchRows"], 3, "{limits}");
    assert!(limits["maxNodes"].as_i64().is_some_and(|n| n > 0), "{limits}");
    assert!(limits["budgetPoints"].as_i64().is_some_and(|n| n > 0), "{limits}");
    // And they are the bounds enforced: 7 is served, 8 refused
    let at_limit = app.post("{ country(map: VN2023) { children(first: 7) { nodes { code } } } }", json!({})).await;
    assert_eq!(error_codes(&at_limit), Vec::<String>::new(), "{at_limit}");
    let over = app.post("{ country(map: VN2023) { children(first: 8) { nodes { code } } } }", json!({})).await;
    assert_eq!(single_error(&over, "BAD_USER_INPUT")["extensions"]["argument"], "first");
});
