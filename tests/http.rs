//! HTTP: the health check, GraphiQL, GraphQL over GET, and the body limit.

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
            ("query", "query($c: String!) { unit(level: PROVINCE, code: $c) { name } }"),
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
