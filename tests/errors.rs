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
            r#"{ missing: unit(level: PROVINCE, code: "99") { code } found: unit(level: PROVINCE, code: "42") { code } }"#,
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
        .post(r#"{ country { children(first: 101) { totalCount } } }"#, json!({}))
        .await;
    let at_limit = app
        .post(r#"{ country { children(first: 100) { totalCount } } }"#, json!({}))
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
        .post(r#"{ units(first: -1) { totalCount } }"#, json!({}))
        .await;

    // Then it is refused as BAD_USER_INPUT on `first`
    let error = single_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["argument"], "first");
});

db_test!(units, async fn missing_first_is_bad_input(app) {
    // Given a connection, which must be told how many to return
    // When `first` is left out
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "42") { children { totalCount } } }"#, json!({}))
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
            r#"{ unit(level: PROVINCE, code: "42") { children(first: 5, after: "zzz") { totalCount } } }"#,
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
        .post(r#"{ unit(level: PROVINCE, code: "4x") { code } }"#, json!({}))
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
        .post(r#"{ unit(level: PROVINCE, code: "42") { code "#, json!({}))
        .await;

    // Then it fails as GRAPHQL_PARSE_FAILED, with no data
    single_error(&body, "GRAPHQL_PARSE_FAILED");
    assert!(body["data"].is_null(), "{body}");
});

db_test!(units, async fn unknown_field_is_validation_failed(app) {
    // Given a document asking for a field the schema does not have
    // When it is sent
    let body = app
        .post(r#"{ unit(level: PROVINCE, code: "42") { code population } }"#, json!({}))
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
            r#"query($code: String!) { unit(level: PROVINCE, code: $code) { code } }"#,
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
            &format!(r#"{{ unit(level: COMMUNE, code: "18586") {{ {selection} }} }}"#),
            json!({}),
        )
        .await;

    // Then it is refused as QUERY_TOO_COMPLEX, before anything runs
    single_error(&body, "QUERY_TOO_COMPLEX");
    assert!(body["data"].is_null(), "{body}");
});

db_test!(units, async fn more_than_100_node_ids_is_bad_input(app) {
    // Given nodes(ids:), which takes at most 100 IDs
    let data = app
        .data(r#"{ unit(level: PROVINCE, code: "42") { id } }"#, json!({}))
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
