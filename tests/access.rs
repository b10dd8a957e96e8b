//! Access control and abuse limits: keys and roles, scope on every path,
//! the cost model and budgets, trusted documents, GraphQL over HTTP, and
//! the audit log. Each test runs on SQLite and PostgreSQL.

mod common;

use common::{TestApp, db_test, error_codes};
use serde_json::{Value, json};
use tiendo::access::Role;

/// A Quảng Nam commune (province 49), outside any Hà Tĩnh (42) scope.
const QUANG_NAM_COMMUNE: &str = "20335";
/// A Hà Tĩnh commune (district Thạch Hà 445).
const HA_TINH_COMMUNE: &str = "18586";

fn codes(body: &Value) -> Vec<String> {
    error_codes(body)
}

fn has_code(body: &Value, code: &str) -> bool {
    codes(body).iter().any(|c| c == code)
}

/// A unit of the 2023 map, or of `$map`.
const UNIT: &str = r#"query($level: UnitLevel!, $code: String!, $map: AdminMap = VN2023) {
  unit(level: $level, code: $code, map: $map) { id name code } }"#;

async fn unit_id(app: &TestApp, level: &str, code: &str) -> String {
    app.data(UNIT, json!({ "level": level, "code": code }))
        .await["unit"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

fn submit_row(code: &str) -> Value {
    submit_row_on(code, "2023-04-16")
}

/// One report of a commune of the map in force on `day`.
fn submit_row_on(code: &str, day: &str) -> Value {
    json!({ "reports": [{ "unit": { "level": "COMMUNE", "code": code }, "day": day,
        "applicationsCollected": 1, "cardsIssued": 1, "accountsActivated": 1, "homeVisits": 0 }] })
}

const SUBMIT: &str = r#"mutation Submit($reports: [ReportInput!]!) {
  submitReports(input: { reports: $reports }) { accepted } }"#;

const COUNT_REPORTS: &str = r#"query($code: String!) { unit(level: COMMUNE, code: $code, map: VN2023) {
  reports(period: { from: "2023-01-01", to: "2023-12-31" }, first: 1) { totalCount } } }"#;

db_test!(units, async fn a_province_officer_reaches_nothing_outside_by_any_path(app) {
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let key = Some(officer.as_str());
    let quang_nam = unit_id(&app, "COMMUNE", QUANG_NAM_COMMUNE).await;
    let quang_nam_province = unit_id(&app, "PROVINCE", "49").await;

    // In scope: its province, a commune of it, children, search.
    let (status, body) = app
        .post_as(key, UNIT, json!({ "level": "COMMUNE", "code": HA_TINH_COMMUNE }))
        .await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");

    // Every path to Quảng Nam below the public levels is FORBIDDEN, and
    // the error names nothing; so are its reports and their history.
    let paths: Vec<(&str, Value)> = vec![
        (UNIT, json!({ "level": "COMMUNE", "code": QUANG_NAM_COMMUNE })),
        ("query($id: ID!) { node(id: $id) { id ... on Unit { name } } }", json!({ "id": quang_nam })),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": [quang_nam] })),
        ("query($id: ID!) { node(id: $id) { ... on Unit { children(first: 5) { nodes { name } } } } }",
            json!({ "id": quang_nam_province })),
        ("query($id: ID!) { ranking(level: COMMUNE, within: $id, metric: CARDS_ISSUED,
            period: { from: \"2023-01-01\", to: \"2023-12-31\" }, first: 5) { nodes { value } } }",
            json!({ "id": quang_nam_province })),
        ("query($id: ID!) { node(id: $id) { ... on Unit { reports(period: { from: \"2023-01-01\",
            to: \"2023-12-31\" }, first: 5) { nodes { cardsIssued } } } } }",
            json!({ "id": quang_nam_province })),
        ("query($id: ID!) { node(id: $id) { ... on Unit { reportHistory(period: { from: \"2023-01-01\",
            to: \"2023-12-31\" }, first: 5) { nodes { reason } } } } }",
            json!({ "id": quang_nam_province })),
        ("{ country(map: VN2023) { reports(period: { from: \"2023-01-01\", to: \"2023-12-31\" }, first: 5) {
            nodes { cardsIssued } } } }", json!({})),
    ];
    for (document, variables) in paths {
        let (status, body) = app.post_as(key, document, variables.clone()).await;
        assert_eq!(status, 200, "{document}: {body}");
        assert!(has_code(&body, "FORBIDDEN"), "{document} {variables}: {body}");
        let text = body.to_string();
        assert!(!text.contains("Quảng Nam") && !text.contains("Tân Thạnh"), "leak: {text}");
    }

    // Search lists Quảng Nam's units only at the public levels, as it
    // does for the public; the public levels everywhere.
    let (_, body) = app
        .post_as(key, r#"{ units(search: "quang nam", first: 100, map: VN2023) { totalCount nodes { name level } } }"#, json!({}))
        .await;
    let found = body["data"]["units"]["nodes"].as_array().expect("units").clone();
    assert!(!found.is_empty(), "{body}");
    assert!(found.iter().all(|u| u["level"] == "PROVINCE"), "{body}");
    let public = app
        .post_as(None, r#"{ units(search: "quang nam", first: 100, map: VN2023) { totalCount nodes { name level } } }"#, json!({}))
        .await
        .1;
    assert_eq!(body["data"], public["data"]);
    let (_, body) = app
        .post_as(key, r#"{ units(level: PROVINCE, first: 100, map: VN2023) { totalCount nodes { code } } }"#, json!({}))
        .await;
    assert_eq!(body["data"]["units"]["totalCount"], 63, "{body}");
    let (_, body) = app
        .post_as(key, r#"{ units(level: DISTRICT, first: 100, map: VN2023) { totalCount } }"#, json!({}))
        .await;
    assert_eq!(body["data"]["units"]["totalCount"], 13, "Hà Tĩnh's districts only: {body}");

    // Ancestors: the public ministry, then the scope from its root down.
    let (_, body) = app
        .post_as(key, r#"{ unit(level: COMMUNE, code: "18586", map: VN2023) { ancestors { code level } } }"#, json!({}))
        .await;
    let ancestors: Vec<&str> = body["data"]["unit"]["ancestors"]
        .as_array().expect("ancestors").iter().filter_map(|a| a["code"].as_str()).collect();
    assert_eq!(ancestors.len(), 3, "{body}");
    assert_eq!(body["data"]["unit"]["ancestors"][0]["level"], "MINISTRY", "{body}");
    assert_eq!(ancestors[1..], ["42", "445"], "{body}");

    // Writing a Quảng Nam commune is FORBIDDEN and writes nothing; its own works.
    let (status, body) = app.post_as(key, SUBMIT, submit_row(QUANG_NAM_COMMUNE)).await;
    assert_eq!(status, 200);
    assert!(has_code(&body, "FORBIDDEN"), "{body}");
    let count = app.data(COUNT_REPORTS, json!({ "code": QUANG_NAM_COMMUNE })).await;
    assert_eq!(count["unit"]["reports"]["totalCount"], 0);
    let body = app.post_as(key, SUBMIT, submit_row(HA_TINH_COMMUNE)).await.1;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["submitReports"]["accepted"], 1);
    // And the report remembers who submitted it.
    let (_, body) = app.post_as(key, r#"{ unit(level: COMMUNE, code: "18586", map: VN2023) {
        reports(period: { from: "2023-04-16", to: "2023-04-16" }, first: 5) { nodes { submittedBy } } } }"#, json!({})).await;
    assert_eq!(body["data"]["unit"]["reports"]["nodes"][0]["submittedBy"], "test key");
});

db_test!(units, async fn roles_decide_reads_and_writes(app) {
    let viewer = app.key(Role::Viewer, Some(("province", "42"))).await;
    let partner = app.key(Role::Partner, Some(("province", "42"))).await;
    // VIEWER and PARTNER read in their scope, and may not write.
    for key in [&viewer, &partner] {
        let (_, body) = app.post_as(Some(key), UNIT, json!({ "level": "COMMUNE", "code": HA_TINH_COMMUNE })).await;
        assert!(body.get("errors").is_none(), "{body}");
        let (status, body) = app.post_as(Some(key), SUBMIT, submit_row(HA_TINH_COMMUNE)).await;
        assert_eq!(status, 403, "refused before it ran: {body}");
        assert_eq!(codes(&body), vec!["FORBIDDEN"], "{body}");
        assert!(body["data"].is_null(), "nothing ran: {body}");
    }
    // Without a key: provinces and above, no commune detail, no reports, no writes.
    let (status, body) = app.post_as(None, UNIT, json!({ "level": "PROVINCE", "code": "42" })).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = app.post_as(None, UNIT, json!({ "level": "COMMUNE", "code": HA_TINH_COMMUNE })).await;
    assert!(has_code(&body, "FORBIDDEN"), "{body}");
    let (_, body) = app.post_as(None, r#"{ unit(level: PROVINCE, code: "42", map: VN2023) {
        reportHistory(period: { from: "2023-01-01", to: "2023-12-31" }, first: 5) { totalCount } } }"#, json!({})).await;
    assert!(has_code(&body, "FORBIDDEN"), "{body}");
    let (status, body) = app.post_as(None, SUBMIT, submit_row(HA_TINH_COMMUNE)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(codes(&body), vec!["UNAUTHENTICATED"]);
    // The ranking of provinces is public.
    let (_, body) = app.post_as(None, r#"{ ranking(level: PROVINCE, metric: CARDS_ISSUED,
        period: { from: "2023-01-01", to: "2023-12-31" }, first: 63, map: VN2023) { totalCount } }"#, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    // Who am I.
    let (_, body) = app.post_as(Some(&viewer), "{ viewer { role scope { code } seesReports } }", json!({})).await;
    assert_eq!(body["data"]["viewer"], json!({ "role": "VIEWER", "scope": { "code": "42" }, "seesReports": true }));
    // Only ADMIN reads the audit log and registers documents.
    let (_, body) = app.post_as(Some(&viewer), "{ auditLog(first: 5) { nodes { actor } } }", json!({})).await;
    assert!(has_code(&body, "FORBIDDEN"), "{body}");
});

db_test!(units, async fn bad_and_revoked_keys_are_unauthenticated(app) {
    for header in ["tiendo_nothex", "tiendo_0000000000000000000000000000000000000000000000000000000000000000"] {
        let (status, body) = app.post_as(Some(header), "{ __typename }", json!({})).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(codes(&body), vec!["UNAUTHENTICATED"]);
        let (status, _) = app.post_as(Some(header), SUBMIT, submit_row(HA_TINH_COMMUNE)).await;
        assert_eq!(status, 401);
    }
    let count = app.data(COUNT_REPORTS, json!({ "code": HA_TINH_COMMUNE })).await;
    assert_eq!(count["unit"]["reports"]["totalCount"], 0, "nothing was written");
    // A key revoked (by the CLI's store function, another connection)
    // stops working: on a replica that never saw it at once, and on the
    // server that trusted it as soon as its engine follows the revocation's
    // data version (PostgreSQL NOTIFY, or the 1 s poll), not after 5 s.
    let db = tiendo::store::connect(&app.database_url).await.expect("connect");
    let (key, stored) = tiendo::access::keys::issue(&db, Role::Viewer, None, "to revoke", false)
        .await.expect("a key");
    let (status, _) = app.post_as(Some(&key), "{ __typename }", json!({})).await;
    assert_eq!(status, 200);
    assert!(tiendo::store::access::revoke_key(&db, stored.id).await.expect("revoke"));
    let replica = app.replica().await;
    let (status, body) = replica.post_as(Some(&key), "{ __typename }", json!({})).await;
    assert_eq!(status, 401, "{body}");
    let started = std::time::Instant::now();
    loop {
        let (status, body) = app.post_as(Some(&key), "{ __typename }", json!({})).await;
        if status == 401 {
            assert_eq!(codes(&body), vec!["UNAUTHENTICATED"]);
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_millis(2_500), "still served: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() < std::time::Duration::from_millis(2_500));
});

db_test!(units, async fn every_limit_has_its_code_and_nothing_is_written(app) {
    let key = Some(app.admin_key.as_str());
    // A connection without `first`, or with too many.
    let (_, body) = app.post_as(key, "{ units { nodes { name } } }", json!({})).await;
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "{body}");
    let (_, body) = app.post_as(key, "{ units(first: 101, map: VN2023) { nodes { name } } }", json!({})).await;
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "{body}");
    // Too many nodes: 100 × 100 × 100.
    let (status, body) = app.post_as(key, "{ units(first: 100, map: VN2023) { nodes { children(first: 100) {
        nodes { children(first: 100) { nodes { name } } } } } } }", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "{body}");
    assert!(body["data"].is_null());
    // Too deep.
    let mut nested = String::from("name");
    for _ in 0..20 { nested = format!("parent {{ {nested} }}"); }
    let (_, body) = app.post_as(key, &format!("{{ country(map: VN2023) {{ {nested} }} }}"), json!({})).await;
    assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "{body}");
    // An alias flood.
    let flood: String = (0..40).map(|i| format!("a{i}: __typename ")).collect();
    let (_, body) = app.post_as(key, &format!("{{ {flood} }}"), json!({})).await;
    assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "{body}");
    // A directive flood.
    let directives: String = (0..25).map(|i| format!("d{i}: __typename @include(if: true) ")).collect();
    let (_, body) = app.post_as(key, &format!("{{ {directives} }}"), json!({})).await;
    assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "{body}");
    // A batch flood.
    let batch: Vec<Value> = (0..11).map(|_| json!({ "query": "{ __typename }" })).collect();
    let (status, body) = app.post_body(key, &Value::Array(batch)).await;
    assert_eq!(status, 200);
    assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "{body}");
    let batch: Vec<Value> = (0..2).map(|_| json!({ "query": "{ __typename }" })).collect();
    let (_, body) = app.post_body(key, &Value::Array(batch)).await;
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    // An oversized body (a declared 5 MB mutation): refused as 413 before
    // the body is read, so nothing runs.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = app.base.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            app.admin_key,
            5 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).await.expect("write the head");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server waited for the body");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    }
    // A mutation refused by a limit writes nothing: 11 mutation aliases.
    let many: String = (0..31).map(|i| format!("m{i}: submitReports(input: {{ reports: [] }}) {{ accepted }} ")).collect();
    let (_, body) = app.post_as(key, &format!("mutation {{ {many} }}"), json!({})).await;
    assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "{body}");
    // extensions.cost on every response.
    let (_, body) = app.post_as(key, "{ units(level: PROVINCE, first: 10, map: VN2023) { nodes { name } } }", json!({})).await;
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 11, "{body}");
    assert_eq!(cost["actualQueryCost"], 11, "{body}");
    assert!(cost["throttleStatus"]["currentlyAvailable"].as_u64().is_some(), "{body}");
});

db_test!(units, async fn a_spent_budget_is_rate_limited_with_a_retry_time(app) {
    let db = tiendo::store::connect(&app.database_url).await.expect("connect");
    let key = tiendo::access::keys::generate().expect("a key");
    tiendo::store::access::create_key(&db, tiendo::store::access::NewKey {
        name: "small budget".into(),
        prefix: tiendo::access::keys::display_prefix(&key),
        hash: tiendo::access::keys::hash(&key),
        role: entity::api_key::Role::Admin,
        unit_id: None,
        allow_list_only: false,
        budget_points: Some(150),
        refill_per_second: Some(1),
    }).await.expect("create");
    let document = "{ units(level: PROVINCE, first: 63, map: VN2023) { nodes { name } } }"; // 64 points
    let (status, body) = app.post_as(Some(&key), document, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 64);
    let (status, _) = app.post_as(Some(&key), document, json!({})).await;
    assert_eq!(status, 200);
    let response = app.client().post(app.url("/graphql")).bearer_auth(&key)
        .json(&json!({ "query": document })).send().await.expect("send");
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers().get("retry-after").and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok()).expect("a Retry-After header");
    assert!((1..=64).contains(&retry), "retry after {retry}");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(codes(&body), vec!["RATE_LIMITED"], "{body}");
    assert!(body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().is_some());
    // A mutation refused for its budget writes nothing: a key of 15
    // points submits once (11 points), and its correction is refused.
    let small = tiendo::access::keys::generate().expect("a key");
    tiendo::store::access::create_key(&db, tiendo::store::access::NewKey {
        name: "fifteen points".into(),
        prefix: tiendo::access::keys::display_prefix(&small),
        hash: tiendo::access::keys::hash(&small),
        role: entity::api_key::Role::Officer,
        unit_id: None,
        allow_list_only: false,
        budget_points: Some(15),
        refill_per_second: Some(1),
    }).await.expect("create");
    let (status, body) = app.post_as(Some(&small), SUBMIT, submit_row(HA_TINH_COMMUNE)).await;
    assert_eq!(status, 200, "{body}");
    let mut changed = submit_row(HA_TINH_COMMUNE);
    changed["reports"][0]["cardsIssued"] = json!(7);
    let (status, body) = app.post_as(Some(&small), SUBMIT, changed).await;
    assert_eq!(status, 429, "{body}");
    let (_, body) = app.post_as(Some(&app.admin_key.clone()), r#"{ unit(level: COMMUNE, code: "18586", map: VN2023) {
        reports(period: { from: "2023-04-16", to: "2023-04-16" }, first: 5) { nodes { cardsIssued } } } }"#, json!({})).await;
    assert_eq!(body["data"]["unit"]["reports"]["nodes"], json!([{ "cardsIssued": 1 }]), "{body}");
});

db_test!(units, async fn trusted_documents_and_persisted_queries(app) {
    let document = "query Provinces { units(level: PROVINCE, first: 3, map: VN2023) { nodes { code } } }";
    let hash = tiendo::access::documents::hash(document);
    let locked = app.key_with(Role::Viewer, Some(("province", "42")), true).await;
    // Not registered: DOCUMENT_NOT_ALLOWED, by text or by hash.
    let (status, body) = app.post_as(Some(&locked), document, json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(codes(&body), vec!["DOCUMENT_NOT_ALLOWED"]);
    // APQ: unknown hash, then sent with its query, then by hash alone.
    let by_hash = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    let admin = Some(app.admin_key.as_str());
    let (_, body) = app.post_body(admin, &by_hash).await;
    assert_eq!(codes(&body), vec!["PERSISTED_QUERY_NOT_FOUND"], "{body}");
    let (_, body) = app.post_body(admin, &json!({ "query": document,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = app.post_body(admin, &by_hash).await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = app.post_body(admin, &json!({ "query": "{ __typename }",
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } })).await;
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "a hash that does not match: {body}");
    // The APQ cache does not make a document trusted.
    let (status, _) = app.post_body(Some(&locked), &by_hash).await;
    assert_eq!(status, 403);
    // Registered by an admin: it runs, by text and by hash; others still do not.
    let (_, body) = app.post_as(admin, "mutation($d: String!) { registerDocument(document: $d, name: \"Provinces\") { sha256Hash } }",
        json!({ "d": document })).await;
    assert_eq!(body["data"]["registerDocument"]["sha256Hash"], hash, "{body}");
    let (status, body) = app.post_as(Some(&locked), document, json!({})).await;
    assert_eq!(status, 200, "{body}");
    // Provinces are public: the Hà Tĩnh key lists them from Hà Nội (01).
    assert_eq!(body["data"]["units"]["nodes"][0]["code"], "1", "{body}");
    let (status, _) = app.post_body(Some(&locked), &by_hash).await;
    assert_eq!(status, 200);
    let (status, _) = app.post_as(Some(&locked), "{ __typename }", json!({})).await;
    assert_eq!(status, 403);
});

db_test!(units, async fn graphql_over_http_status_codes_methods_and_csrf(app) {
    let url = app.url("/graphql");
    let client = app.client();
    // application/graphql-response+json: 400 for a document that does not
    // validate, 200 once executed; the media type is echoed.
    let response = client.post(&url).bearer_auth(&app.admin_key)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ nope }" })).send().await.expect("send");
    assert_eq!(response.status(), 400);
    assert!(response.headers()["content-type"].to_str().unwrap_or("").starts_with("application/graphql-response+json"));
    let response = client.post(&url).bearer_auth(&app.admin_key)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ __typename }" })).send().await.expect("send");
    assert_eq!(response.status(), 200);
    // application/json: 200 for the same invalid document.
    let response = client.post(&url).bearer_auth(&app.admin_key)
        .header("accept", "application/json")
        .json(&json!({ "query": "{ nope }" })).send().await.expect("send");
    assert_eq!(response.status(), 200);
    // A mutation over GET: 405, nothing written.
    let response = client.get(&url).bearer_auth(&app.admin_key)
        .query(&[("query", "mutation { submitReports(input: { reports: [] }) { accepted } }")])
        .send().await.expect("send");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    // A query over GET works.
    let response = client.get(&url).bearer_auth(&app.admin_key)
        .query(&[("query", "{ __typename }")]).send().await.expect("send");
    assert_eq!(response.status(), 200);
    // CORS simple requests (text/plain, forms) cannot carry a mutation.
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let response = client.post(&url).bearer_auth(&app.admin_key)
            .header("content-type", content_type)
            .body(r#"{"query":"mutation { submitReports(input: { reports: [] }) { accepted } }"}"#)
            .send().await.expect("send");
        assert_eq!(response.status(), 415, "{content_type}");
    }
    // No CORS headers unless origins are configured.
    let response = client.post(&url).header("origin", "https://evil.example")
        .json(&json!({ "query": "{ __typename }" })).send().await.expect("send");
    assert!(response.headers().get("access-control-allow-origin").is_none());
});

db_test!(units, async fn every_mutation_is_audited(app) {
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let variables = submit_row(HA_TINH_COMMUNE);
    let (_, body) = app.post_as(Some(&officer), SUBMIT, variables.clone()).await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = app.post_as(Some(&officer), SUBMIT, submit_row(QUANG_NAM_COMMUNE)).await;
    assert!(has_code(&body, "FORBIDDEN"));
    let log = app.data("{ auditLog(first: 10) { nodes { actor role operationName fields variablesDigest succeeded keyId } } }", json!({})).await;
    let nodes = log["auditLog"]["nodes"].as_array().expect("entries").clone();
    assert_eq!(nodes.len(), 2, "{log}");
    // Newest first: the refused one, then the accepted one.
    assert_eq!(nodes[0]["succeeded"], false);
    assert_eq!(nodes[1]["succeeded"], true);
    for n in &nodes {
        assert_eq!(n["role"], "officer");
        assert_eq!(n["operationName"], "Submit");
        assert_eq!(n["fields"], "submitReports");
        assert_eq!(n["variablesDigest"].as_str().map(str::len), Some(64));
        assert!(n["keyId"].is_string());
    }
    assert_ne!(nodes[0]["variablesDigest"], nodes[1]["variablesDigest"]);
});

/// Production mode: a PARTNER key gets no introspection and no field
/// suggestions; an OFFICER still does. A query over its time limit is
/// `TIMEOUT`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_mode_hides_the_schema_from_partners_and_queries_time_out() {
    let app = TestApp::spawn_configured(
        "access_production",
        common::Backend::Sqlite,
        tiendo::demo::DemoParts::Units,
        |config| {
            config.serve.access.production = true;
            config.serve.limits.query_timeout_ms = 1;
        },
    )
    .await;
    let partner = app.key(Role::Partner, None).await;
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let introspect = "{ __schema { queryType { name } } }";
    let (status, body) = app.post_as(Some(&partner), introspect, json!({})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(codes(&body), vec!["FORBIDDEN"], "{body}");
    let (_, body) = app.post_as(Some(&officer), introspect, json!({})).await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body}"
    );
    let (_, body) = app
        .post_as(Some(&partner), "{ countr { name } }", json!({}))
        .await;
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(!message.contains("Did you mean"), "{message}");
    let (_, body) = app
        .post_as(Some(&officer), "{ countr { name } }", json!({}))
        .await;
    let message = body["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(message.contains("Did you mean"), "{message}");
    // 1 ms is not enough for 100 units with their rollups.
    let (_, body) = app
        .post_as(
            Some(&officer),
            r#"{ units(first: 100, map: VN2023) { nodes { name children(first: 100) { nodes { name
        rollup(period: { from: "2023-01-01", to: "2023-12-31" }) { cardsIssued } } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(codes(&body), vec!["TIMEOUT"], "{body}");
}

fn cli(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tiendo"))
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .output()
        .expect("run tiendo");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

db_test!(units, async fn keys_from_the_cli_work_list_and_revoke(app) {
    let url = app.database_url.clone();
    let (ok, out, err) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || cli(&url, &["keys", "create", "--role", "officer", "--unit", "province:42", "--name", "Hà Tĩnh desk"])
    }).await.expect("join");
    assert!(ok, "{err}");
    // The key is the last line of stdout.
    let key = out.lines().last().expect("a line").trim().to_owned();
    assert!(key.starts_with("tiendo_") && key.len() == 71, "{out}");
    let (_, body) = app.post_as(Some(&key), "{ viewer { name role scope { code } } }", json!({})).await;
    assert_eq!(body["data"]["viewer"], json!({ "name": "Hà Tĩnh desk", "role": "OFFICER", "scope": { "code": "42" } }));
    // Listed without the key itself; then revoked.
    let (ok, list, _) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || cli(&url, &["keys", "list"])
    }).await.expect("join");
    assert!(ok);
    assert!(list.contains("Hà Tĩnh desk") && !list.contains(&key), "{list}");
    let id = list.lines().find(|l| l.contains("Hà Tĩnh desk")).and_then(|l| l.split('\t').next())
        .expect("an id").to_owned();
    let (ok, _, err) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || cli(&url, &["keys", "revoke", &id])
    }).await.expect("join");
    assert!(ok, "{err}");
    let replica = app.replica().await;
    let (status, _) = replica.post_as(Some(&key), "{ __typename }", json!({})).await;
    assert_eq!(status, 401);
    // Bad arguments fail with one line and create nothing.
    let (ok, _, err) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || cli(&url, &["keys", "create", "--role", "officer"])
    }).await.expect("join");
    assert!(!ok && err.contains("--unit"), "{err}");
    let (ok, _, err) = tokio::task::spawn_blocking(move || cli(&url, &["keys", "create", "--role", "king"]))
        .await.expect("join");
    assert!(!ok && err.contains("unknown role"), "{err}");
});

db_test!(units, async fn documents_registered_by_the_cli_run_for_allow_list_keys(app) {
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("provinces.graphql");
    let document = "query Provinces { units(level: PROVINCE, first: 2, map: VN2023) { nodes { code } } }";
    std::fs::write(&file, document).expect("write the document");
    let url = app.database_url.clone();
    let path = file.display().to_string();
    let (ok, out, err) = tokio::task::spawn_blocking(move || cli(&url, &["documents", "register", &path]))
        .await.expect("join");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), tiendo::access::documents::hash(document));
    let partner = app.key_with(Role::Partner, None, true).await;
    let (status, body) = app.post_as(Some(&partner), document, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["units"]["nodes"].as_array().map(Vec::len), Some(2));
    let (status, body) = app.post_as(Some(&partner), "query Other { units(level: PROVINCE, first: 3, map: VN2023) { nodes { code } } }", json!({})).await;
    assert_eq!(status, 403, "{body}");
    // Not a GraphQL document: refused with one line.
    std::fs::write(&file, "not graphql {").expect("write");
    let url = app.database_url.clone();
    let path = file.display().to_string();
    let (ok, _, err) = tokio::task::spawn_blocking(move || cli(&url, &["documents", "register", &path]))
        .await.expect("join");
    assert!(!ok && err.contains("not a GraphQL document"), "{err}");
});

db_test!(units, async fn roles_by_documents_matrix(app) {
    // What each caller gets for each document: "ok", or the error code.
    let admin = app.admin_key.clone();
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let viewer = app.key(Role::Viewer, Some(("district", "445"))).await;
    let partner = app.key(Role::Partner, Some(("province", "42"))).await;
    let callers: Vec<(&str, Option<&str>)> = vec![
        ("ADMIN", Some(&admin)),
        ("OFFICER 42", Some(&officer)),
        ("VIEWER 445", Some(&viewer)),
        ("PARTNER 42", Some(&partner)),
        ("no key", None),
    ];
    let ha_tinh_commune = json!({ "level": "COMMUNE", "code": HA_TINH_COMMUNE });
    let ha_tinh_2025 = app
        .data(UNIT, json!({ "level": "PROVINCE", "code": "42", "map": "VN2025" }))
        .await["unit"]["id"]
        .clone();
    let documents: Vec<(&str, &str, Value, [&str; 5])> = vec![
        ("a Hà Tĩnh commune", UNIT, ha_tinh_commune.clone(),
            ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("a Quảng Nam commune", UNIT, json!({ "level": "COMMUNE", "code": QUANG_NAM_COMMUNE }),
            ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("Hà Tĩnh province", UNIT, json!({ "level": "PROVINCE", "code": "42" }),
            ["ok", "ok", "ok", "ok", "ok"]),
        ("Quảng Nam province", UNIT, json!({ "level": "PROVINCE", "code": "49" }),
            ["ok", "ok", "ok", "ok", "ok"]),
        ("the ranking of provinces", r#"{ ranking(level: PROVINCE, metric: CARDS_ISSUED,
            period: { from: "2023-01-01", to: "2023-12-31" }, first: 63, map: VN2023) { totalCount } }"#, json!({}),
            ["ok", "ok", "ok", "ok", "ok"]),
        ("Hà Tĩnh's rank among provinces", r#"{ unit(level: PROVINCE, code: "42", map: VN2023) {
            rank(metric: CARDS_ISSUED, period: { from: "2023-01-01", to: "2023-12-31" }, among: LEVEL)
            { outOf } } }"#, json!({}),
            ["ok", "ok", "ok", "ok", "ok"]),
        ("districts ranked (in the caller's scope)", r#"{ ranking(level: DISTRICT, metric: CARDS_ISSUED,
            period: { from: "2023-01-01", to: "2023-12-31" }, first: 5, map: VN2023) { totalCount } }"#, json!({}),
            ["ok", "ok", "FORBIDDEN", "ok", "FORBIDDEN"]),
        ("communes ranked (in the caller's scope)", r#"{ ranking(level: COMMUNE, metric: CARDS_ISSUED,
            period: { from: "2023-01-01", to: "2023-12-31" }, first: 5, map: VN2023) { totalCount } }"#, json!({}),
            ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("a commune's reports", COUNT_REPORTS, json!({ "code": HA_TINH_COMMUNE }),
            ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("Quảng Nam's reports", r#"{ unit(level: PROVINCE, code: "49", map: VN2023) {
            reports(period: { from: "2023-01-01", to: "2023-12-31" }, first: 1) { totalCount } } }"#,
            json!({}), ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        // The other map: what a 2023 scope holds of the 2025 map is the
        // part wholly inside its territory, never more.
        ("a 2025 commune wholly on Thạch Hà land", UNIT,
            json!({ "level": "COMMUNE", "code": "18562", "map": "VN2025" }),
            ["ok", "ok", "ok", "ok", "FORBIDDEN"]),
        ("a 2025 commune partly outside Thạch Hà", UNIT,
            json!({ "level": "COMMUNE", "code": HA_TINH_COMMUNE, "map": "VN2025" }),
            ["ok", "ok", "FORBIDDEN", "ok", "FORBIDDEN"]),
        ("a 2025 commune on Quảng Nam land", UNIT,
            json!({ "level": "COMMUNE", "code": QUANG_NAM_COMMUNE, "map": "VN2025" }),
            ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("Hà Tĩnh province of 2025", UNIT, json!({ "level": "PROVINCE", "code": "42", "map": "VN2025" }),
            ["ok", "ok", "ok", "ok", "ok"]),
        ("Hà Tĩnh 2025's reports", r#"{ unit(level: PROVINCE, code: "42", map: VN2025) {
            reports(period: { from: "2023-01-01", to: "2023-12-31" }, first: 1) { totalCount } } }"#,
            json!({}), ["ok", "ok", "FORBIDDEN", "ok", "FORBIDDEN"]),
        ("Đà Nẵng 2025's reports", r#"{ unit(level: PROVINCE, code: "48", map: VN2025) {
            reports(period: { from: "2023-01-01", to: "2023-12-31" }, first: 1) { totalCount } } }"#,
            json!({}), ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"]),
        ("2025 communes ranked within 2025 Hà Tĩnh", r#"query($id: ID!) { ranking(level: COMMUNE, within: $id,
            metric: CARDS_ISSUED, period: { from: "2023-01-01", to: "2023-12-31" }, first: 5) { totalCount } }"#,
            json!({ "id": ha_tinh_2025 }), ["ok", "ok", "FORBIDDEN", "ok", "FORBIDDEN"]),
        ("submitting a 2025 Hà Tĩnh row", SUBMIT, submit_row_on(HA_TINH_COMMUNE, "2025-08-01"),
            ["ok", "ok", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"]),
        ("submitting a 2025 row on Quảng Nam land", SUBMIT, submit_row_on(QUANG_NAM_COMMUNE, "2025-08-01"),
            ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"]),
        ("submitting a Hà Tĩnh row", SUBMIT, submit_row(HA_TINH_COMMUNE),
            ["ok", "ok", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"]),
        ("submitting a Quảng Nam row", SUBMIT, submit_row(QUANG_NAM_COMMUNE),
            ["ok", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"]),
    ];
    let mut wrong = Vec::new();
    for (what, document, variables, expected) in &documents {
        for ((who, key), want) in callers.iter().zip(expected) {
            let (_, body) = app.post_as(*key, document, variables.clone()).await;
            let got = codes(&body).first().cloned().unwrap_or_else(|| "ok".into());
            if got != *want {
                wrong.push(format!("{who} × {what}: expected {want}, got {got}: {body}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
});

/// The read documents of API.md, and more questions at the public levels,
/// with their variables.
async fn public_questions(app: &TestApp) -> Vec<(String, String, Value)> {
    let ha_tinh = unit_id(app, "PROVINCE", "42").await;
    let quang_nam = unit_id(app, "PROVINCE", "49").await;
    let mut questions: Vec<(String, String, Value)> = common::contract::READ_DOCUMENTS
        .iter()
        .map(|(name, document)| {
            let variables = if *name == "RankingWithin" {
                json!({ "province": ha_tinh })
            } else {
                json!({})
            };
            (format!("API.md {name}"), (*document).to_owned(), variables)
        })
        .collect();
    let more: Vec<(&str, &str, Value)> = vec![
        (
            "Hà Tĩnh's rank among provinces and among siblings",
            r#"query {
            unit(level: PROVINCE, code: "42", map: VN2023) {
              level: rank(indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-04-15" },
                          among: LEVEL) { rank outOf previousRank }
              siblings: rank(indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-04-15" })
                { rank outOf } } }"#,
            json!({}),
        ),
        (
            "Quảng Nam: unit, rollup, series, parent, ancestors",
            r#"query($id: ID!) {
            node(id: $id) { ... on Unit { code name parent { code } ancestors { code }
              rollup(period: { from: "2023-01-01", to: "2023-12-31" }) { cardsIssued cccdCoverage }
              series(period: { from: "2023-01-01", to: "2023-03-31" }, granularity: MONTH) { cardsIssued }
              completion(level: DISTRICT, indicator: CCCD_COVERAGE, asOf: "2023-12-31") { complete total }
            } } }"#,
            json!({ "id": quang_nam }),
        ),
        (
            "the country",
            r#"{ country(map: VN2023) { code rollup(period: { from: "2023-01-01", to: "2023-12-31" })
            { cardsIssued } children(first: 100) { totalCount nodes { code } } } }"#,
            json!({}),
        ),
        (
            "provinces listed",
            r#"{ units(level: PROVINCE, first: 100, map: VN2023) { totalCount nodes { code } } }"#,
            json!({}),
        ),
        (
            "provinces ranked lowest first, paged",
            r#"{ ranking(level: PROVINCE, metric: CARDS_ISSUED,
            period: { from: "2023-01-01", to: "2023-12-31" }, order: ASC, first: 10, map: VN2023) {
            totalCount nodes { rank outOf unit { code } } } }"#,
            json!({}),
        ),
        (
            "provinces first to complete",
            r#"{ firstToComplete(level: PROVINCE,
            indicator: CCCD_COVERAGE, first: 63, map: VN2023) { totalCount nodes { completedOn unit { code } } } }"#,
            json!({}),
        ),
    ];
    questions.extend(
        more.into_iter()
            .map(|(what, document, variables)| (what.to_owned(), document.to_owned(), variables)),
    );
    questions
}

db_test!(full, async fn a_key_reads_at_least_what_the_public_reads(app) {
    let admin = app.admin_key.clone();
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let district_viewer = app.key(Role::Viewer, Some(("district", "445"))).await;
    let partner = app.key(Role::Partner, Some(("province", "49"))).await;
    let commune_officer = app.key(Role::Officer, Some(("commune", HA_TINH_COMMUNE))).await;
    let keys = [
        ("ADMIN", admin.as_str()),
        ("OFFICER 42", officer.as_str()),
        ("VIEWER 445", district_viewer.as_str()),
        ("PARTNER 49", partner.as_str()),
        ("OFFICER commune 18586", commune_officer.as_str()),
    ];
    let mut answered_publicly = Vec::new();
    let mut wrong = Vec::new();
    for (what, document, variables) in public_questions(&app).await {
        let (_, public) = app.post_as(None, &document, variables.clone()).await;
        if public.get("errors").is_some() {
            // Below the public levels: nothing to compare (each key's own
            // answers are in the matrix above).
            continue;
        }
        answered_publicly.push(what.clone());
        for (who, key) in keys {
            let (_, answer) = app.post_as(Some(key), &document, variables.clone()).await;
            if answer.get("errors").is_some() || answer["data"] != public["data"] {
                wrong.push(format!("{who} × {what}:\n  public {}\n  key    {answer}", public["data"]));
            }
        }
    }
    assert!(wrong.is_empty(), "a key saw less than the public:\n{}", wrong.join("\n"));
    // The rule was put to the test on the documents the public reads.
    for must in ["API.md Search", "API.md Rollup", "API.md Series", "API.md Ranking",
        "Hà Tĩnh's rank among provinces and among siblings",
        "Quảng Nam: unit, rollup, series, parent, ancestors", "the country", "provinces listed",
        "provinces ranked lowest first, paged", "provinces first to complete"] {
        assert!(answered_publicly.iter().any(|w| w == must), "the public did not answer {must}");
    }

    // Hà Tĩnh's rank is "of 63" for its own officer too.
    let (_, body) = app.post_as(Some(&officer), r#"{ unit(level: PROVINCE, code: "42", map: VN2023) {
        rank(indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-04-15" }, among: LEVEL)
        { rank outOf } } }"#, json!({})).await;
    assert_eq!(body["data"]["unit"]["rank"]["outOf"], 63, "{body}");

    // Below the public level a scoped key ranks inside its scope: Hà Tĩnh's
    // 13 districts, for the ranking and for a district's rank in its level.
    let (_, body) = app.post_as(Some(&officer), r#"{ ranking(level: DISTRICT, metric: CARDS_ISSUED,
        period: { from: "2023-01-01", to: "2023-12-31" }, first: 100, map: VN2023) { totalCount nodes { outOf } }
        unit(level: DISTRICT, code: "445", map: VN2023) { rank(metric: CARDS_ISSUED,
          period: { from: "2023-01-01", to: "2023-12-31" }, among: LEVEL) { outOf } } }"#, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["ranking"]["totalCount"], 13, "{body}");
    assert_eq!(body["data"]["ranking"]["nodes"][0]["outOf"], 13, "{body}");
    assert_eq!(body["data"]["unit"]["rank"]["outOf"], 13, "{body}");
    // The district's own key compares it with nothing outside: FORBIDDEN.
    let (_, body) = app.post_as(Some(&district_viewer), r#"{ unit(level: DISTRICT, code: "445", map: VN2023) {
        rank(metric: CARDS_ISSUED, period: { from: "2023-01-01", to: "2023-12-31" }, among: SIBLINGS)
        { outOf } } }"#, json!({})).await;
    assert!(has_code(&body, "FORBIDDEN"), "{body}");
});

db_test!(full, async fn widened_reads_write_nothing_and_show_no_reports_outside(app) {
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let key = Some(officer.as_str());
    // Quảng Nam's campaign is visible through its province (a public
    // level), as it is to the public; changing it is not.
    let (_, public) = app.post_as(None, r#"{ unit(level: PROVINCE, code: "49", map: VN2023) {
        campaigns(first: 10) { nodes { id name } } } }"#, json!({})).await;
    let (_, body) = app.post_as(key, r#"{ unit(level: PROVINCE, code: "49", map: VN2023) {
        campaigns(first: 10) { nodes { id name } } } }"#, json!({})).await;
    assert_eq!(body["data"], public["data"], "{body}");
    let campaign = body["data"]["unit"]["campaigns"]["nodes"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("Quảng Nam has a campaign: {body}"))
        .to_owned();
    let (_, body) = app.post_as(key, r#"mutation($id: ID!) {
        updateCampaign(input: { id: $id, name: "renamed" }) { campaign { name } } }"#,
        json!({ "id": campaign })).await;
    assert!(has_code(&body, "FORBIDDEN"), "{body}");
    let (_, body) = app.post_as(None, "query($id: ID!) { node(id: $id) { ... on Campaign { name } } }",
        json!({ "id": campaign })).await;
    assert_ne!(body["data"]["node"]["name"], "renamed", "{body}");

    // A Quảng Nam report by global ID stays refused, and names nothing.
    let admin_reports = app.data(r#"{ unit(level: COMMUNE, code: "20335", map: VN2023) {
        reports(period: { from: "2023-01-01", to: "2023-12-31" }, first: 1) { nodes { id } } } }"#,
        json!({})).await;
    let report = admin_reports["unit"]["reports"]["nodes"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a Quảng Nam report: {admin_reports}"))
        .to_owned();
    let (_, body) = app.post_as(key, "query($id: ID!) { node(id: $id) { id ... on Report { cardsIssued } } }",
        json!({ "id": report })).await;
    assert!(has_code(&body, "FORBIDDEN"), "{body}");
    assert!(body["data"]["node"].is_null(), "{body}");
});

db_test!(full, async fn each_answer_lives_in_one_caller_partition(app) {
    let officer = app.key(Role::Officer, Some(("province", "42"))).await;
    let cache = |body: &Value| body["extensions"]["responseCache"].as_str().unwrap_or("").to_owned();
    // The same national ranking, asked by the public and then by a key:
    // the same answer, computed for each (no answer crosses partitions).
    let ranking = common::contract::RANKING;
    let (_, public) = app.post_as(None, ranking, json!({})).await;
    assert_eq!(cache(&public), "MISS", "{public}");
    let (_, keyed) = app.post_as(Some(&officer), ranking, json!({})).await;
    assert_eq!(cache(&keyed), "MISS", "{keyed}");
    assert_eq!(keyed["data"], public["data"]);
    let (_, again) = app.post_as(Some(&officer), ranking, json!({})).await;
    assert_eq!(cache(&again), "HIT", "{again}");
    assert_eq!(again["data"], public["data"]);
    // A list that differs: the key sees Hà Tĩnh's districts besides the
    // public levels; neither answer reaches the other.
    let list = "{ units(first: 100, map: VN2023) { totalCount } }";
    let (_, keyed) = app.post_as(Some(&officer), list, json!({})).await;
    let (_, public) = app.post_as(None, list, json!({})).await;
    assert_eq!(cache(&public), "MISS", "{public}");
    assert_eq!(public["data"]["units"]["totalCount"], 64, "{public}");
    assert!(keyed["data"]["units"]["totalCount"].as_i64() > Some(64), "{keyed}");
});
