//! The wire format of GraphQL over HTTP: which media type to answer in
//! (`Accept`), whether a POST body is JSON we read (`Content-Type`), what a
//! well-formed request is (POST body or GET parameters), and the body of a
//! response to a request error (no `data` entry).
//!
//! A request is well formed when it is a JSON object (or, in a batch, an
//! array of them) whose `query` is a string, `operationName` a string or
//! null, and `variables` and `extensions` objects or null. `query` may be
//! left out only by a persisted query (`extensions.persistedQuery`).
//! Anything else is not a GraphQL request, and gets 400 whatever the client
//! accepts.

use std::collections::BTreeMap;
use std::fmt;

use async_graphql::{BatchRequest, Extensions, Request, Response, ServerError, Variables};
use axum::http::{HeaderMap, header};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// The media type of the GraphQL-over-HTTP specification.
pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// How the client wants the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`, with its status codes.
    GraphqlResponse,
    /// `application/json`: 200 for every well-formed request.
    Json,
}

impl Media {
    /// The `Content-Type` of a response in this media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => GRAPHQL_RESPONSE,
            Media::Json => "application/json",
        }
    }
}

/// The media type to answer in, from the request's `Accept` headers: the
/// one the client prefers (by `q`, the most specific range deciding, as in
/// RFC 9110), `application/graphql-response+json` when the client names it
/// and `application/json` alike, `application/json` for `*/*`,
/// `application/*` or no `Accept` at all. `None` when the client accepts
/// neither (406).
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    // For each media type we serve: how specifically a range named it
    // (2: exactly, 1: `application/*`, 0: `*/*`) and its quality.
    let mut graphql_response: Option<(u8, u16)> = None;
    let mut json: Option<(u8, u16)> = None;
    let mut any_range = false;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if essence.is_empty() {
                continue;
            }
            let Some(quality) = quality(parts) else {
                continue;
            };
            any_range = true;
            for (ours, best) in [
                (GRAPHQL_RESPONSE, &mut graphql_response),
                ("application/json", &mut json),
            ] {
                let specificity = if essence == ours {
                    2
                } else if essence == "application/*" {
                    1
                } else if essence == "*/*" {
                    0
                } else {
                    continue;
                };
                *best = match *best {
                    Some((s, _)) if s > specificity => *best,
                    Some((s, q)) if s == specificity => Some((s, q.max(quality))),
                    _ => Some((specificity, quality)),
                };
            }
        }
    }
    if !any_range {
        return Some(Media::Json);
    }
    let (gr_specificity, gr_quality) = graphql_response.unwrap_or((0, 0));
    let (_, json_quality) = json.unwrap_or((0, 0));
    if gr_quality == 0 && json_quality == 0 {
        return None;
    }
    Some(
        if gr_quality > json_quality || gr_quality == json_quality && gr_specificity == 2 {
            Media::GraphqlResponse
        } else {
            Media::Json
        },
    )
}

/// The quality (`q`, in thousandths) of a media range from its parameters:
/// 1000 without one, `None` when it is not a number from 0 to 1.
fn quality<'a>(parameters: impl Iterator<Item = &'a str>) -> Option<u16> {
    for parameter in parameters {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        let value: f64 = value.trim().parse().ok()?;
        if !(0.0..=1.0).contains(&value) {
            return None;
        }
        return Some((value * 1000.0).round() as u16);
    }
    Some(1000)
}

/// Why a POST body's `Content-Type` is not one we read.
pub fn unsupported_content_type(headers: &HeaderMap) -> Option<&'static str> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Some("POST /graphql takes `Content-Type: application/json`");
    }
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("charset") {
            let charset = value.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
                return Some("POST /graphql takes JSON in UTF-8 (`charset=utf-8`, or none)");
            }
        }
    }
    None
}

/// Reads a POST body: one request or a batch. `Err` says why it is not a
/// well-formed GraphQL-over-HTTP request.
pub fn parse_body(body: &[u8]) -> Result<BatchRequest, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty: send a GraphQL request in JSON".to_owned());
    }
    let batch = serde_json::from_slice::<Batch>(body)
        .map_err(|err| format!("the body is not a GraphQL request in JSON: {err}"))?;
    match batch {
        Batch::Single(request) => request.into_request().map(BatchRequest::Single),
        Batch::Many(requests) if requests.is_empty() => {
            Err("the batch is empty: send at least one request".to_owned())
        }
        Batch::Many(requests) => requests
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                request
                    .into_request()
                    .map_err(|err| format!("request {i} of the batch: {err}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(BatchRequest::Batch),
    }
}

/// The parameters of `GET /graphql` (`variables` and `extensions` as JSON
/// text), as they come.
#[derive(Debug, Default, Deserialize)]
pub struct GetParameters {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

impl GetParameters {
    /// Reads the parameters from a URL's query string.
    pub fn parse(query_string: &str) -> Result<GetParameters, String> {
        axum::extract::Query::<GetParameters>::try_from_uri(
            &format!("/?{query_string}")
                .parse()
                .map_err(|err| format!("bad query string: {err}"))?,
        )
        .map(|query| query.0)
        .map_err(|err| format!("bad query string: {}", de_prefix(&err.body_text())))
    }

    /// Whether the URL asks for a GraphQL request at all (else GraphiQL).
    pub fn asks(&self) -> bool {
        self.query.is_some() || self.extensions.is_some()
    }

    /// The GraphQL request the parameters make.
    pub fn into_request(self) -> Result<Request, String> {
        let variables = json_parameter::<Variables>("variables", self.variables.as_deref())?;
        let extensions = json_parameter::<Extensions>("extensions", self.extensions.as_deref())?;
        WireRequest {
            query: self.query,
            operation_name: self.operation_name.filter(|name| !name.is_empty()),
            variables,
            extensions,
        }
        .into_request()
    }
}

/// `axum`'s query rejection reads "Failed to deserialize query string: …".
fn de_prefix(text: &str) -> &str {
    text.strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(text)
}

/// A GET parameter holding JSON: an object or `null` (absent or empty:
/// none).
fn json_parameter<T>(name: &str, text: Option<&str>) -> Result<T, String>
where
    T: for<'de> Deserialize<'de> + Default,
{
    match text.map(str::trim) {
        None | Some("") => Ok(T::default()),
        Some(text) => serde_json::from_str(text)
            .map_err(|err| format!("`{name}` must be a JSON object or null: {err}")),
    }
}

/// The body of a response to a request error (nothing was executed): its
/// errors and extensions, and no `data` entry.
pub fn request_error_body(response: &Response) -> Vec<u8> {
    #[derive(Serialize)]
    struct RequestErrors<'a> {
        errors: &'a [ServerError],
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        extensions: &'a BTreeMap<String, async_graphql::Value>,
    }
    serde_json::to_vec(&RequestErrors {
        errors: &response.errors,
        extensions: &response.extensions,
    })
    .unwrap_or_else(|_| b"{\"errors\":[{\"message\":\"internal error\"}]}".to_vec())
}

/// One request as it comes, each parameter of its type (or the body is
/// refused).
#[derive(Deserialize)]
struct WireRequest {
    #[serde(default, deserialize_with = "query")]
    query: Option<String>,
    #[serde(default, rename = "operationName", deserialize_with = "operation_name")]
    operation_name: Option<String>,
    #[serde(default, deserialize_with = "variables")]
    variables: Variables,
    #[serde(default, deserialize_with = "extensions")]
    extensions: Extensions,
}

impl WireRequest {
    fn into_request(self) -> Result<Request, String> {
        let query = match self.query {
            Some(query) => query,
            // A persisted query: the hash stands for the document.
            None if self.extensions.contains_key("persistedQuery") => String::new(),
            None => {
                return Err(
                    "`query` is missing: send the document as a string in `query`".to_owned(),
                );
            }
        };
        let mut request = Request::new(query).variables(self.variables);
        request.operation_name = self.operation_name;
        request.extensions = self.extensions;
        Ok(request)
    }
}

/// Deserializes one parameter, naming it and its type in the error.
fn parameter<'de, D, T>(deserializer: D, what: &str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map_err(|err| {
        // serde_json says where once the error leaves this field.
        let err = err.to_string();
        let err = err.split(" at line ").next().unwrap_or(&err);
        de::Error::custom(format!("{what} ({err})"))
    })
}

fn query<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    parameter(deserializer, "`query` must be a string")
}

fn operation_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    parameter(deserializer, "`operationName` must be a string or null")
}

fn variables<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Variables, D::Error> {
    parameter(deserializer, "`variables` must be an object or null")
}

fn extensions<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Extensions, D::Error> {
    parameter(deserializer, "`extensions` must be an object or null")
}

/// A POST body: one request (an object) or a batch (an array of objects),
/// read as it streams in (no intermediate JSON tree: a batch of reports is
/// large).
enum Batch {
    Single(WireRequest),
    Many(Vec<WireRequest>),
}

impl<'de> Deserialize<'de> for Batch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(BodyVisitor { in_batch: false })
    }
}

/// Visits a body (`in_batch`: false) or one request of a batch (true: an
/// object only, no nested batch).
#[derive(Clone, Copy)]
struct BodyVisitor {
    in_batch: bool,
}

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Batch;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.in_batch {
            f.write_str("a GraphQL request (a JSON object)")
        } else {
            f.write_str("a GraphQL request (a JSON object) or a batch of them (an array)")
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Batch, A::Error> {
        WireRequest::deserialize(de::value::MapAccessDeserializer::new(map)).map(Batch::Single)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Batch, A::Error> {
        if self.in_batch {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut requests = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(request) = seq.next_element_seed(BodyVisitor { in_batch: true })? {
            match request {
                Batch::Single(request) => requests.push(request),
                Batch::Many(_) => unreachable!("a batch inside a batch is refused"),
            }
        }
        Ok(Batch::Many(requests))
    }
}

impl<'de> DeserializeSeed<'de> for BodyVisitor {
    type Value = Batch;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Batch, D::Error> {
        deserializer.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(values: &[&'static str]) -> Option<Media> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::ACCEPT, HeaderValue::from_static(value));
        }
        negotiate(&headers)
    }

    #[test]
    fn accept_negotiation() {
        use Media::{GraphqlResponse as Gr, Json};
        assert_eq!(accept(&[]), Some(Json));
        assert_eq!(accept(&[""]), Some(Json));
        assert_eq!(accept(&["*/*"]), Some(Json));
        assert_eq!(accept(&["application/*"]), Some(Json));
        assert_eq!(accept(&["application/json"]), Some(Json));
        assert_eq!(accept(&["application/json; charset=utf-8"]), Some(Json));
        assert_eq!(accept(&[GRAPHQL_RESPONSE]), Some(Gr));
        assert_eq!(
            accept(&["Application/GraphQL-Response+JSON; charset=utf-8"]),
            Some(Gr)
        );
        assert_eq!(
            accept(&["application/graphql-response+json, application/json;q=0.9"]),
            Some(Gr)
        );
        assert_eq!(
            accept(&["application/json, application/graphql-response+json"]),
            Some(Gr)
        );
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, application/json"]),
            Some(Json)
        );
        assert_eq!(accept(&["application/json, */*"]), Some(Json));
        assert_eq!(accept(&["application/json;q=0, */*"]), Some(Gr));
        assert_eq!(
            accept(&["text/html", "application/graphql-response+json"]),
            Some(Gr)
        );
        assert_eq!(
            accept(&["text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"]),
            Some(Json)
        );
        assert_eq!(accept(&["text/html"]), None);
        assert_eq!(accept(&["application/xml, text/plain"]), None);
        assert_eq!(accept(&["application/json;q=0"]), None);
        assert_eq!(accept(&["*/*;q=0"]), None);
        // A range with a malformed quality is left out.
        assert_eq!(accept(&["application/json;q=2, text/html"]), None);
    }

    fn error(body: &str) -> String {
        parse_body(body.as_bytes()).expect_err(body)
    }

    #[test]
    fn well_formed_bodies() {
        for body in [
            r#"{"query":"{ a }"}"#,
            r#"{"query":"{ a }","variables":null,"operationName":null,"extensions":null}"#,
            r#"{"query":"query Q($x: Int) { a }","variables":{"x":1},"operationName":"Q"}"#,
            r#"{"query":"{ a }","extensions":{"some":"value"},"unknown":[1]}"#,
            r#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}"#,
            r#"{"query":""}"#,
        ] {
            assert!(
                matches!(parse_body(body.as_bytes()), Ok(BatchRequest::Single(_))),
                "{body}"
            );
        }
        let batch = parse_body(br#"[{"query":"{ a }"},{"query":"{ b }"}]"#);
        assert!(matches!(batch, Ok(BatchRequest::Batch(ref b)) if b.len() == 2));
    }

    #[test]
    fn malformed_bodies_say_why() {
        assert!(error("").contains("empty"));
        assert!(error(" \n").contains("empty"));
        assert!(error(r#"{ "not a JSON"#).contains("not a GraphQL request in JSON"));
        assert!(error(r#""{ a }""#).contains("a JSON object"));
        assert!(error("[]").contains("batch is empty"));
        assert!(error(r#"[["{ a }"]]"#).contains("a JSON object"));
        assert!(error(r#"{"qeury":"{ a }"}"#).contains("`query` is missing"));
        assert!(error(r#"{"query":null}"#).contains("`query` is missing"));
        assert!(error(r#"[{"query":"{ a }"},{}]"#).contains("request 1 of the batch"));
        for query in [r#"{"obj":"ect"}"#, "0", "false", r#"["array"]"#] {
            let message = error(&format!(r#"{{"query":{query}}}"#));
            assert!(message.contains("`query` must be a string"), "{message}");
        }
        for (name, what) in [
            ("operationName", "a string or null"),
            ("variables", "an object or null"),
            ("extensions", "an object or null"),
        ] {
            for value in [r#""string""#, "0", "false", r#"["array"]"#] {
                if name == "operationName" && value == r#""string""# {
                    continue;
                }
                let message = error(&format!(r#"{{"query":"{{ a }}","{name}":{value}}}"#));
                assert!(
                    message.contains(&format!("`{name}` must be {what}")),
                    "{message}"
                );
            }
        }
        let message = error(r#"{"query":"{ a }","operationName":{"obj":"ect"}}"#);
        assert!(
            message.contains("`operationName` must be a string"),
            "{message}"
        );
        assert!(error(r#"{"query":"{ a }","query":"{ b }"}"#).contains("duplicate"));
    }

    #[test]
    fn get_parameters() {
        let request = GetParameters::parse(
            "query=query%20Q(%24n%3A%20String!)%20%7B%20a%20%7D&variables=%7B%22n%22%3A%22x%22%7D&operationName=Q",
        )
        .and_then(GetParameters::into_request)
        .expect("a request");
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(request.variables.len(), 1);
        let request = GetParameters::parse("query=%7Ba%7D&variables=&operationName=")
            .and_then(GetParameters::into_request)
            .expect("empty parameters are none");
        assert!(request.variables.is_empty() && request.operation_name.is_none());
        for bad in [
            "query=%7Ba%7D&variables=%22string%22",
            "query=%7Ba%7D&variables=%5B1%5D",
            "query=%7Ba%7D&variables=%7B",
            "query=%7Ba%7D&extensions=0",
            "extensions=%7B%7D",
        ] {
            let result = GetParameters::parse(bad).and_then(GetParameters::into_request);
            assert!(result.is_err(), "{bad}");
        }
        assert!(!GetParameters::parse("").expect("none").asks());
        assert!(GetParameters::parse("query=%7Ba%7D").expect("query").asks());
    }

    #[test]
    fn content_types() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            unsupported_content_type(&headers)
        };
        assert_eq!(with("application/json"), None);
        assert_eq!(with("Application/JSON; charset=UTF-8"), None);
        assert_eq!(with("application/json;charset=\"utf-8\""), None);
        assert!(with("application/json; charset=latin1").is_some());
        assert!(with("text/plain").is_some());
        assert!(with("application/graphql").is_some());
        assert!(unsupported_content_type(&HeaderMap::new()).is_some());
    }

    #[test]
    fn a_request_error_has_no_data() {
        let mut response = Response::from_errors(vec![ServerError::new("bad", None)]);
        let body: serde_json::Value =
            serde_json::from_slice(&request_error_body(&response)).expect("JSON");
        assert_eq!(
            body,
            serde_json::json!({ "errors": [{ "message": "bad" }] })
        );
        response.extensions.insert(
            "responseCache".to_owned(),
            async_graphql::Value::from("MISS"),
        );
        let body: serde_json::Value =
            serde_json::from_slice(&request_error_body(&response)).expect("JSON");
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(body["extensions"]["responseCache"], "MISS");
    }
}
