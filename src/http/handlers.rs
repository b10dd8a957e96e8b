//! The request handlers: `GET` and `POST /graphql` (the key checked before
//! a large body is read, the upload buffer, the body read timeout), the
//! caller and the bucket it is charged to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::BatchRequest;
use async_graphql::http::GraphiQLSource;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request as HttpRequest, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response as HttpResponse};

use crate::AppState;
use crate::access::Caller;
use crate::access::budget::Holder;
use crate::error::{AppError, codes};

use super::client;
use super::pipeline::*;
use super::reply::*;
use super::wire::{self, Media};

/// The bytes of large bodies being received at once (`--upload-buffer-mb`):
/// a body reserves its declared length before it is read, so slow senders
/// hold at most this much between them, and lose their share when the
/// body read timeout ends their request.
pub struct UploadBuffer {
    kib: Arc<tokio::sync::Semaphore>,
    total_kib: u32,
}

impl UploadBuffer {
    /// A buffer of `bytes`.
    pub fn new(bytes: u64) -> Self {
        let total_kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .max(1);
        UploadBuffer {
            kib: Arc::new(tokio::sync::Semaphore::new(total_kib as usize)),
            total_kib,
        }
    }

    /// Reserves room for a body of `bytes`, waiting at most `patience`.
    async fn reserve(
        &self,
        bytes: usize,
        patience: Duration,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.total_kib);
        tokio::time::timeout(patience, self.kib.clone().acquire_many_owned(kib))
            .await
            .ok()
            .and_then(Result::ok)
    }
}

/// The client's budget holder without a key: its address, read through
/// trusted proxies (see [`client`]).
pub(super) fn client_holder(state: &AppState, request: &HttpRequest) -> Option<Holder> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0)?;
    let ip = client::client_ip(
        peer.ip(),
        request.headers(),
        &state.config.serve.front_door.trusted_proxies,
    );
    Some(Holder::address(ip))
}

/// Who calls: the read fence first (so that a revoked key is refused on
/// every replica after its commit), then the key, before any body is read.
/// Returns the caller and whether the fence held.
pub(super) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    media: Media,
) -> Result<(Caller, bool), HttpResponse> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    // The read fence: this replica first reaches every write committed
    // before the request arrived, on any replica, so that neither a read
    // (cached or not) nor a revoked key's check is older than a commit.
    let fenced = match state.engine.reach_committed(&state.db).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the committed data version");
            false
        }
    };
    // A key's scope reaches into the other map by the lineage the engine
    // holds: during warm-up a keyed request waits a moment for it (a
    // scope resolved without it is narrower, and is not kept).
    let tree = match state.engine.current() {
        Some(tree) => Some(tree),
        None if authorization.is_some() => {
            state
                .engine
                .snapshot(std::time::Duration::from_secs(1))
                .await
        }
        None => None,
    };
    let version = tree.as_ref().map(|t| t.version());
    // While the database does not answer, a key is taken as this replica
    // last checked it; that includes a check that found the database gone
    // before the replica noticed (the first requests of an outage).
    let caller = if state.engine.is_unreachable() {
        state.access.caller_offline(authorization)
    } else {
        match state
            .access
            .caller(&state.db, authorization, version, tree.as_deref())
            .await
        {
            Err(AppError::Unavailable(_)) => state.access.caller_offline(authorization),
            checked => checked,
        }
    };
    match caller {
        Ok(caller) => Ok((caller, fenced)),
        Err(err) => {
            let status = match err {
                AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let mut refusal = refused(status, media, app_error(&err));
            if status == StatusCode::SERVICE_UNAVAILABLE {
                refusal.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(crate::error::UNAVAILABLE_RETRY_SECONDS),
                );
            }
            Err(refusal)
        }
    }
}

/// `GET /graphql`: GraphiQL for a browser, a query for anyone else.
pub(super) async fn graphql_get(
    State(state): State<AppState>,
    request: HttpRequest,
) -> HttpResponse {
    let headers = request.headers().clone();
    let media = wire::negotiate(&headers);
    let parameters = match wire::GetParameters::parse(request.uri().query().unwrap_or("")) {
        Ok(parameters) => parameters,
        Err(message) => return malformed(media.unwrap_or(Media::Json), message),
    };
    if !parameters.asks() {
        let wants_html = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|accept| accept.contains("text/html"));
        return if wants_html && !state.config.serve.serves_graphiql() {
            (
                StatusCode::NOT_FOUND,
                "GraphiQL is off on this server (production mode)",
            )
                .into_response()
        } else if wants_html {
            Html(
                GraphiQLSource::build()
                    .endpoint("/graphql")
                    .title("tiendo")
                    .finish(),
            )
            .into_response()
        } else {
            malformed(
                media.unwrap_or(Media::Json),
                "GET /graphql needs a `query` parameter",
            )
        };
    }
    let Some(media) = media else {
        return not_acceptable();
    };
    let graphql = match parameters.into_request() {
        Ok(request) => request,
        Err(message) => return malformed(media, message),
    };
    let address = client_holder(&state, &request);
    let (caller, fenced) = match authenticate(&state, &headers, media).await {
        Ok(who) => who,
        Err(refusal) => return refusal,
    };
    let call = Call::new(&state, &caller, address, media, fenced, Method::Get);
    run(&call, BatchRequest::Single(graphql)).await
}

/// The HTTP method a GraphQL request came by: `GET` runs queries only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Post,
}

/// One HTTP request's caller and how it is answered.
pub(super) struct Call<'a> {
    pub(super) state: &'a AppState,
    pub(super) caller: &'a Caller,
    /// The bucket the caller is charged to: its key's, or its address's.
    pub(super) holder: Option<Holder>,
    pub(super) media: Media,
    /// Whether the read fence held (only then may the cache answer).
    pub(super) fenced: bool,
    pub(super) method: Method,
}

impl<'a> Call<'a> {
    /// The call of an authenticated `caller` from `address`.
    pub(super) fn new(
        state: &'a AppState,
        caller: &'a Caller,
        address: Option<Holder>,
        media: Media,
        fenced: bool,
        method: Method,
    ) -> Self {
        let holder = match caller.key_id {
            Some(id) => Some(Holder::Key(id)),
            None => address,
        };
        Call {
            state,
            caller,
            holder,
            media,
            fenced,
            method,
        }
    }
}

/// `POST /graphql`.
pub(super) async fn graphql_post(
    State(state): State<AppState>,
    request: HttpRequest,
) -> HttpResponse {
    let headers = request.headers().clone();
    let Some(media) = wire::negotiate(&headers) else {
        return not_acceptable();
    };
    let address = client_holder(&state, &request);
    if let Some(message) = wire::unsupported_content_type(&headers) {
        return refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            error_with_code(message, codes::BAD_REQUEST),
        );
    }
    let front = &state.config.serve.front_door;
    let max_body = state.config.serve.limits.max_body_bytes;
    let too_large = || {
        refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            error_with_code(
                format!("the request body is larger than {max_body} bytes"),
                codes::BAD_REQUEST,
            ),
        )
    };
    // The body's length as the connection knows it: `Content-Length`, or
    // 0 for a request with neither a length nor chunks; unknown (chunked)
    // counts as large.
    let declared = axum::body::HttpBody::size_hint(request.body())
        .exact()
        .and_then(|length| usize::try_from(length).ok());
    if declared.is_some_and(|length| length > max_body) {
        return too_large();
    }
    // The key is checked before any body is read.
    let (caller, fenced) = match authenticate(&state, &headers, media).await {
        Ok(who) => who,
        Err(refusal) => return refusal,
    };
    // Large bodies (a batch of reports) need a key, reserve their length
    // in the upload buffer while they arrive, and are parsed and run in
    // one of a few slots: parsed, a 10,000-row batch holds tens of MB, so
    // without a bound 32 of them at once took 2.9 GB. Writes queue on the
    // data version anyway, so this costs them no throughput. A slow sender
    // holds only its share of the upload buffer, and loses it when the
    // body read timeout ends its request.
    let large = declared.is_none_or(|length| length > front.large_body_bytes);
    if large && caller.key_id.is_none() {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            error_with_code(
                format!(
                    "a request body over {} bytes needs an API key",
                    front.large_body_bytes
                ),
                codes::BAD_REQUEST,
            ),
        );
    }
    let read_timeout = Duration::from_millis(front.body_read_timeout_ms);
    let _upload = if large {
        match state
            .upload_buffer
            .reserve(declared.unwrap_or(max_body), read_timeout)
            .await
        {
            Some(permit) => Some(permit),
            None => {
                return refused(
                    StatusCode::SERVICE_UNAVAILABLE,
                    media,
                    error_with_code(
                        "too many large request bodies are arriving at once; retry shortly",
                        codes::UNAVAILABLE,
                    ),
                );
            }
        }
    } else {
        None
    };
    let limit = if large {
        max_body
    } else {
        front.large_body_bytes
    };
    let read = axum::body::to_bytes(request.into_body(), limit);
    let body: Bytes = match tokio::time::timeout(read_timeout, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return too_large(),
        Err(_) => {
            let mut response = refused(
                StatusCode::REQUEST_TIMEOUT,
                media,
                error_with_code(
                    format!(
                        "the request body did not arrive within {} ms",
                        read_timeout.as_millis()
                    ),
                    codes::BAD_REQUEST,
                ),
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let _slot = if large {
        state.large_requests.clone().acquire_owned().await.ok()
    } else {
        None
    };
    let batch = match wire::parse_body(&body) {
        Ok(batch) => batch,
        Err(message) => return malformed(media, message),
    };
    // The body's bytes are not needed once parsed.
    drop(body);
    drop(_upload);
    let call = Call::new(&state, &caller, address, media, fenced, Method::Post);
    run(&call, batch).await
}
