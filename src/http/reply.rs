//! How an answer goes back: the status of a response (GraphQL over HTTP's
//! rules), request errors without `data`, and codes for the errors
//! async-graphql raises itself.

use async_graphql::{Response, ServerError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};

use crate::error::codes;

use super::wire::{self, Media};

pub(super) fn error_with_code(message: impl Into<String>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// A request-level error (no place in the document) of an [`AppError`],
/// with its code and extensions.
pub(super) fn app_error(err: &crate::error::AppError) -> ServerError {
    let extended = async_graphql::ErrorExtensions::extend(err);
    let mut error = ServerError::new(extended.message, None);
    error.extensions = extended.extensions;
    error
}

/// A response that ran nothing: one error, with its status (under
/// `application/json`, 200 unless the status does not depend on the media
/// type).
pub(super) fn refused(status: StatusCode, media: Media, error: ServerError) -> HttpResponse {
    let status = match (media, status) {
        // Media-independent statuses: authentication, rate, method, type,
        // size.
        (
            _,
            StatusCode::UNAUTHORIZED
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::NOT_ACCEPTABLE
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::FORBIDDEN
            | StatusCode::REQUEST_TIMEOUT
            | StatusCode::SERVICE_UNAVAILABLE,
        ) => status,
        (Media::Json, _) => StatusCode::OK,
        (Media::GraphqlResponse, status) => status,
    };
    error_response(status, media, error)
}

/// A response to a request error: `status`, and a body of the error
/// without a `data` entry.
pub(super) fn error_response(status: StatusCode, media: Media, error: ServerError) -> HttpResponse {
    let body = wire::request_error_body(&Response::from_errors(vec![error]));
    let mut http = bytes_response(status, media, body);
    if status == StatusCode::UNAUTHORIZED {
        http.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"tiendo\""),
        );
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        http.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    http
}

/// A request that is not a well-formed GraphQL-over-HTTP request: 400,
/// whatever the client accepts.
pub(super) fn malformed(media: Media, message: impl Into<String>) -> HttpResponse {
    error_response(
        StatusCode::BAD_REQUEST,
        media,
        error_with_code(message, codes::BAD_REQUEST),
    )
}

/// An `Accept` that takes neither media type we serve: 406 (in
/// `application/json`, the default).
pub(super) fn not_acceptable() -> HttpResponse {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        Media::Json,
        error_with_code(
            format!(
                "this server answers in `{}` or `application/json`; \
                 the request's `Accept` takes neither",
                wire::GRAPHQL_RESPONSE
            ),
            codes::BAD_REQUEST,
        ),
    )
}

/// The `extensions.code` of an error.
pub(super) fn error_code(error: &ServerError) -> Option<&str> {
    error
        .extensions
        .as_ref()
        .and_then(|ext| ext.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.as_str()),
            _ => None,
        })
}

pub(super) fn bytes_response(status: StatusCode, media: Media, bytes: Vec<u8>) -> HttpResponse {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media.content_type()),
        )],
        bytes,
    )
        .into_response()
}

/// Whether the request was executed: no error, an error of a field (it has
/// a path), or data. Errors without a path and no data are request errors:
/// the request was refused before it ran (or ran out of time without an
/// answer).
pub(super) fn executed(response: &Response) -> bool {
    response.errors.is_empty()
        || response.errors.iter().any(|e| !e.path.is_empty())
        || !matches!(response.data, async_graphql::Value::Null)
}

/// The status a response gets: 200 once executed, else by its first error.
pub(super) fn status_of(response: &Response, media: Media) -> (StatusCode, Option<u64>) {
    let first = response.errors.first();
    // Nothing answered because the server is not ready (its engine warms
    // up): `data` is null, so GraphQL over HTTP lets
    // `application/graphql-response+json` say 503 with `Retry-After`.
    let unavailable = matches!(response.data, async_graphql::Value::Null)
        && !response.errors.is_empty()
        && response
            .errors
            .iter()
            .all(|e| error_code(e) == Some(codes::UNAVAILABLE));
    if unavailable && media == Media::GraphqlResponse {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(crate::error::UNAVAILABLE_RETRY_SECONDS),
        );
    }
    if executed(response) {
        return (StatusCode::OK, None);
    }
    let retry = first
        .and_then(|e| e.extensions.as_ref())
        .and_then(|ext| ext.get("retryAfterSeconds"))
        .and_then(|v| match v {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        });
    match first.and_then(error_code) {
        Some(codes::RATE_LIMITED) => (StatusCode::TOO_MANY_REQUESTS, retry),
        Some(codes::UNAUTHENTICATED) => (StatusCode::UNAUTHORIZED, None),
        Some(codes::FORBIDDEN) | Some(codes::DOCUMENT_NOT_ALLOWED) => (StatusCode::FORBIDDEN, None),
        Some(codes::METHOD_NOT_ALLOWED) => (StatusCode::METHOD_NOT_ALLOWED, None),
        _ if media == Media::Json => (StatusCode::OK, None),
        Some(codes::TIMEOUT) => (StatusCode::SERVICE_UNAVAILABLE, None),
        Some(codes::INTERNAL) => (StatusCode::INTERNAL_SERVER_ERROR, None),
        _ => (StatusCode::BAD_REQUEST, None),
    }
}

/// The answer to one request of a batch: executed, refused, or from the
/// cache.
pub(super) enum Reply {
    /// Executed: the response, with its `data`.
    Executed(Response),
    /// A request error: the errors and extensions, without `data`.
    Refused(Response),
    /// The whole serialized response.
    Cached(Vec<u8>),
}

impl Reply {
    /// The reply to `response`, with its status and `Retry-After`.
    pub(super) fn of(response: Response, media: Media) -> (StatusCode, Reply, Option<u64>) {
        let (status, retry) = status_of(&response, media);
        let reply = if executed(&response) {
            Reply::Executed(response)
        } else {
            Reply::Refused(response)
        };
        (status, reply, retry)
    }

    pub(super) fn into_bytes(self) -> Vec<u8> {
        match self {
            Reply::Executed(response) => {
                serde_json::to_vec(&response).unwrap_or_else(|_| b"{}".to_vec())
            }
            Reply::Refused(response) => wire::request_error_body(&response),
            Reply::Cached(bytes) => bytes,
        }
    }
}

/// Gives a stable `extensions.code` to the errors async-graphql raises
/// itself, which carry none, by where they arise (never by their text):
/// every error of ours carries its code from the start (the guard codes
/// parse errors, limits and malformed days where it reads the document),
/// so an error without one is async-graphql's. Without a path it was
/// raised before anything ran: validation (`GRAPHQL_VALIDATION_FAILED`).
/// With one, a field's argument could not be read as its type
/// (`BAD_USER_INPUT`).
pub(super) fn classify(error: &mut async_graphql::ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let code = if error.path.is_empty() {
        codes::GRAPHQL_VALIDATION_FAILED
    } else {
        codes::BAD_USER_INPUT
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}
