//! HTTP: the health check, GraphiQL, GraphQL over GET, the body limit, and
//! what a request that is not well formed, or fails before it runs, gets.

mod common;

use common::db_test;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};

/// Headers with one `Accept`.
fn accept(value: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static(value));
    headers
}

db_test!(units, async fn healthz_answers_ok(app) {
    // Given a server whose database answers
    // When /healthz is asked
    let response = app.get("/healthz", HeaderMap::new()).await;

    // Then it answers 200 "ok"
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.expect("body"), "ok");
});

db_test!(units, async fn browser_gets_graphiql(app) {
    // Given a browser, which accepts HTML
    // When it opens /graphql with no query
    let response = app
        .get("/graphql", accept("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"))
        .await;

    // Then it gets the GraphiQL page, pointed at /graphql
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = response.text().await.expect("body");
    assert!(html.to_lowercase().contains("graphiql"), "not GraphiQL: {html}");
    assert!(html.contains("/graphql"), "GraphiQL is not pointed at /graphql");
});

db_test!(units, async fn get_without_query_and_html_is_bad_request(app) {
    // Given a client that does not accept HTML
    // When it GETs /graphql with no query
    let response = app.get("/graphql", accept("application/json")).await;

    // Then it is told what is missing, with a 400
    assert_eq!(response.status(), 400);
    assert!(response.text().await.expect("body").contains("query"));
});

db_test!(units, async fn get_runs_a_query(app) {
    // Given a client
    // When it sends a query as a GET parameter (the document `{__typename}`)
    let response = app
        .get("/graphql?query=%7B__typename%7D", accept("application/json"))
        .await;

    // Then the query runs and the answer is JSON
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["data"], json!({ "__typename": "Query" }));
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 1, "{body}");
});

db_test!(units, async fn get_runs_a_query_with_variables(app) {
    // Given a client
    // When it sends a query and its variables as GET parameters
    let response = app
        .client()
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query($c: String!) { unit(level: PROVINCE, code: $c, map: VN2023) { name } }"),
            ("variables", r#"{"c":"42"}"#),
        ])
        .send()
        .await
        .expect("GET /graphql");

    // Then the query runs with them
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["data"], json!({ "unit": { "name": "Tỉnh Hà Tĩnh" } }));
    assert!(body.get("errors").is_none(), "{body}");
});

db_test!(units, async fn body_over_the_limit_is_refused(app) {
    // Given the default body limit of 4 MiB (a full 10,000-report batch fits)
    // When a request announcing a 5 MB body is sent (headers only: the
    // server must refuse it from Content-Length, before reading the body,
    // and a client still writing would see a broken pipe instead)
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        5 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.expect("write the head");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server waited for the body instead of refusing it");

    // Then it is refused as 413 Payload Too Large, not served
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "a 5 MB body got: {answer}");
});

db_test!(units, async fn body_under_the_limit_is_served(app) {
    // Given the default body limit of 4 MiB (a full 10,000-report batch fits)
    // When a valid request of about 1 MB is POSTed
    let padding = "x".repeat(1024 * 1024);
    let body = app
        .post("{ __typename }", json!({ "padding": padding }))
        .await;

    // Then it is served
    assert_eq!(body["data"], json!({ "__typename": "Query" }));
    assert!(body.get("errors").is_none(), "{body}");
});

/// POSTs `body` as `application/json` with `Accept: accept`, and returns
/// the status, the response's `Content-Type` and its JSON body.
async fn post_raw(
    app: &common::TestApp,
    accept: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, String, Value) {
    let response = app
        .client()
        .post(app.url("/graphql"))
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, accept)
        .body(body)
        .send()
        .await
        .expect("POST /graphql");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = response.text().await.expect("read the body");
    let body = serde_json::from_str(&text).unwrap_or_else(|err| panic!("not JSON ({err}): {text}"));
    (status, content_type, body)
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

db_test!(units, async fn malformed_json_is_400_without_data(app) {
    // Given a body that is not JSON (and one that is empty)
    for body in [r#"{ "not a JSON"#, ""] {
        // When it is POSTed, whichever media type the client accepts
        for accept in ["application/json", GRAPHQL_RESPONSE] {
            let (status, content_type, response) = post_raw(&app, accept, body).await;

            // Then it is refused as 400 BAD_REQUEST, in the accepted media
            // type, with no `data` entry
            assert_eq!(status, 400, "{accept} {body:?}: {response}");
            assert!(content_type.starts_with(accept), "{content_type}");
            common::single_error(&response, "BAD_REQUEST");
            assert!(response.get("data").is_none(), "{response}");
        }
    }
});

db_test!(units, async fn query_that_is_not_a_string_is_400(app) {
    // Given requests whose `query` is missing or not a string
    for body in [
        json!({ "query": { "obj": "ect" } }),
        json!({ "query": 0 }),
        json!({ "query": false }),
        json!({ "query": ["{ __typename }"] }),
        json!({ "qeury": "{ __typename }" }),
    ] {
        // When they are POSTed by an application/json client
        let (status, _, response) = post_raw(&app, "application/json", body.to_string()).await;

        // Then each is refused as 400 BAD_REQUEST naming `query`, with no data
        assert_eq!(status, 400, "{body}: {response}");
        let error = common::single_error(&response, "BAD_REQUEST");
        assert!(error["message"].as_str().is_some_and(|m| m.contains("`query`")), "{error}");
        assert!(response.get("data").is_none(), "{response}");
    }
});

db_test!(units, async fn variables_or_extensions_that_are_not_objects_are_400(app) {
    // Given requests whose `variables`, `extensions` or `operationName`
    // has the wrong type
    for (parameter, value) in [
        ("variables", json!("string")),
        ("variables", json!(0)),
        ("variables", json!([1])),
        ("extensions", json!("string")),
        ("extensions", json!(false)),
        ("operationName", json!({ "obj": "ect" })),
        ("operationName", json!(0)),
    ] {
        let body = json!({ "query": "{ __typename }", parameter: value });
        for accept in ["application/json", GRAPHQL_RESPONSE] {
            // When they are POSTed
            let (status, _, response) = post_raw(&app, accept, body.to_string()).await;

            // Then each is refused as 400 BAD_REQUEST naming the parameter
            assert_eq!(status, 400, "{accept} {body}: {response}");
            let error = common::single_error(&response, "BAD_REQUEST");
            let message = error["message"].as_str().unwrap_or("");
            assert!(message.contains(&format!("`{parameter}`")), "{message}");
        }
    }
    // And null is the same as leaving them out
    let body = json!({ "query": "{ __typename }", "variables": null,
        "extensions": null, "operationName": null });
    let (status, _, response) = post_raw(&app, GRAPHQL_RESPONSE, body.to_string()).await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(response["data"], json!({ "__typename": "Query" }));
});

db_test!(units, async fn parse_error_is_400_without_data_for_graphql_response_json(app) {
    // Given a document that does not parse, and one that does not validate
    for (query, code) in [("{", "GRAPHQL_PARSE_FAILED"), ("{ nope }", "GRAPHQL_VALIDATION_FAILED")] {
        let body = json!({ "query": query }).to_string();
        // When a client that accepts application/graphql-response+json sends it
        let (status, content_type, response) = post_raw(&app, GRAPHQL_RESPONSE, body).await;

        // Then it gets 400 in that media type, the error's code, no `data`
        // entry at all (nothing was executed), and the extensions
        assert_eq!(status, 400, "{query}: {response}");
        assert!(content_type.starts_with(GRAPHQL_RESPONSE), "{content_type}");
        common::single_error(&response, code);
        assert!(response.get("data").is_none(), "{response}");
        assert!(response["extensions"]["cost"].is_object(), "{response}");
    }
});

db_test!(units, async fn parse_error_is_200_without_data_for_application_json(app) {
    // Given a document that does not parse, and one that does not validate
    for (query, code) in [("{", "GRAPHQL_PARSE_FAILED"), ("{ nope }", "GRAPHQL_VALIDATION_FAILED")] {
        let body = json!({ "query": query }).to_string();
        // When an application/json client sends it (or one with */*)
        for accept in ["application/json", "*/*"] {
            let (status, content_type, response) = post_raw(&app, accept, body.clone()).await;

            // Then the well-formed request gets 200 in application/json,
            // but still no `data` entry
            assert_eq!(status, 200, "{accept} {query}: {response}");
            assert!(content_type.starts_with("application/json"), "{content_type}");
            common::single_error(&response, code);
            assert!(response.get("data").is_none(), "{response}");
        }
    }
    // While an executed request keeps its `data` entry, even when a field
    // error left it null
    let (status, _, response) = post_raw(
        &app,
        GRAPHQL_RESPONSE,
        json!({ "query": r#"{ unit(level: PROVINCE, code: "4x", map: VN2023) { code } }"# }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{response}");
    let error = common::single_error(&response, "BAD_USER_INPUT");
    assert_eq!(error["path"], json!(["unit"]), "{response}");
    assert!(response.get("data").is_some(), "{response}");
});

db_test!(units, async fn accept_is_negotiated(app) {
    let query = json!({ "query": "{ __typename }" }).to_string();
    for (accept, expected) in [
        ("application/graphql-response+json; charset=utf-8", Some(GRAPHQL_RESPONSE)),
        ("application/graphql-response+json, application/json;q=0.9", Some(GRAPHQL_RESPONSE)),
        ("application/graphql-response+json;q=0.5, application/json", Some("application/json")),
        ("application/*", Some("application/json")),
        ("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", Some("application/json")),
        ("text/html", None),
        ("application/json;q=0", None),
    ] {
        let response = app
            .client()
            .post(app.url("/graphql"))
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .header(ACCEPT, accept)
            .body(query.clone())
            .send()
            .await
            .expect("POST /graphql");
        let status = response.status().as_u16();
        let content_type = response.headers()[CONTENT_TYPE].to_str().unwrap_or("").to_owned();
        let body: Value = response.json().await.expect("JSON");
        match expected {
            Some(media) => {
                assert_eq!(status, 200, "{accept}: {body}");
                assert!(content_type.starts_with(media), "{accept}: {content_type}");
                assert_eq!(body["data"], json!({ "__typename": "Query" }), "{accept}");
            }
            None => {
                // Nothing we serve is acceptable: 406, in application/json
                assert_eq!(status, 406, "{accept}: {body}");
                common::single_error(&body, "BAD_REQUEST");
            }
        }
    }
});

db_test!(units, async fn get_with_malformed_parameters_is_400(app) {
    // Given GET requests whose `variables` or `extensions` is not a JSON object
    for (name, value) in [("variables", "\"x\""), ("variables", "{"), ("extensions", "[1]")] {
        let response = app
            .client()
            .get(app.url("/graphql"))
            .header(ACCEPT, "application/json")
            .query(&[("query", "{ __typename }"), (name, value)])
            .send()
            .await
            .expect("GET /graphql");

        // Then each is refused as 400 BAD_REQUEST, with no data
        assert_eq!(response.status(), 400, "{name}={value}");
        let body: Value = response.json().await.expect("JSON");
        common::single_error(&body, "BAD_REQUEST");
        assert!(body.get("data").is_none(), "{body}");
    }
});
