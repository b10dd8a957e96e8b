//! HTTP: the router, GraphQL over HTTP, GraphiQL and the health check.
//!
//! GraphQL over HTTP follows the GraphQL-over-HTTP specification:
//!
//! - `POST /graphql` takes `application/json` (one request, or a batch as a
//!   JSON array of at most `--max-batch-operations`). Any other content
//!   type — among them the three a browser may send cross-site without a
//!   CORS preflight — is refused with 415, so no mutation can ride on a
//!   CORS "simple request" (CSRF).
//! - `GET /graphql?query=…` runs queries only; a mutation → 405.
//! - A request that is not a well-formed GraphQL-over-HTTP request (no
//!   body, JSON that does not parse, `query` missing or not a string,
//!   `variables` or `extensions` not an object or null, `operationName` not
//!   a string or null) is refused with 400, whatever the client accepts.
//! - The response's media type follows `Accept` ([`wire::negotiate`]): a
//!   client that prefers `application/graphql-response+json` gets it, with
//!   the status codes the specification gives: 200 when the request was
//!   executed (even with field errors), 4xx when it was not (parse,
//!   validation, cost refusal). A client that accepts `application/json`
//!   (or `*/*`, or sends no `Accept`) gets 200 for every well-formed
//!   request. One that accepts neither gets 406. Whatever the media type,
//!   an unusable key is 401, a spent budget 429 with `Retry-After`.
//! - A response to a request error (nothing was executed) has no `data`
//!   entry, only `errors` (and `extensions`); an executed one has `data`.

pub mod cache;
pub mod client;
pub mod serve;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, Request, Response, ServerError};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request as HttpRequest, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response as HttpResponse};
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::access::budget::Holder;
use crate::access::guard;
use crate::access::{Caller, audit, documents};
use crate::error::{AppError, codes};
use crate::graphql::Loaders;

use self::wire::Media;

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

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.serve.limits.max_body_bytes;
    let cors = cors(&state.config.serve.access.cors_origins);
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TraceLayer::new_for_http());
    if let Some(cors) = cors {
        router = router.layer(cors);
    }
    router.with_state(state)
}

/// CORS for the configured origins (none: no CORS headers at all, so
/// browsers keep other sites from reading responses).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(Duration::from_secs(600));
    Some(if origins.iter().any(|o| o == "*") {
        layer.allow_origin(AllowOrigin::any())
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        layer.allow_origin(list)
    })
}

fn error_with_code(message: impl Into<String>, code: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

/// A response that ran nothing: one error, with its status (under
/// `application/json`, 200 unless the status does not depend on the media
/// type).
fn refused(status: StatusCode, media: Media, error: ServerError) -> HttpResponse {
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
fn error_response(status: StatusCode, media: Media, error: ServerError) -> HttpResponse {
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
fn malformed(media: Media, message: impl Into<String>) -> HttpResponse {
    error_response(
        StatusCode::BAD_REQUEST,
        media,
        error_with_code(message, codes::BAD_REQUEST),
    )
}

/// An `Accept` that takes neither media type we serve: 406 (in
/// `application/json`, the default).
fn not_acceptable() -> HttpResponse {
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
fn error_code(error: &ServerError) -> Option<&str> {
    error
        .extensions
        .as_ref()
        .and_then(|ext| ext.get("code"))
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.as_str()),
            _ => None,
        })
}

fn bytes_response(status: StatusCode, media: Media, bytes: Vec<u8>) -> HttpResponse {
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

/// The client's budget holder without a key: its address, read through
/// trusted proxies (see [`client`]).
fn client_holder(state: &AppState, request: &HttpRequest) -> Option<Holder> {
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
async fn authenticate(
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
    let version = state.engine.version();
    match state.access.caller(&state.db, authorization, version).await {
        Ok(caller) => Ok((caller, fenced)),
        Err(err) => {
            let status = match err {
                AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            Err(refused(
                status,
                media,
                error_with_code(err.client_message(), err.code()),
            ))
        }
    }
}

/// `GET /graphql`: GraphiQL for a browser, a query for anyone else.
async fn graphql_get(State(state): State<AppState>, request: HttpRequest) -> HttpResponse {
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
    let holder = holder_of(&caller, address);
    let call = Call {
        state: &state,
        caller: &caller,
        holder,
        media,
        fenced,
        via_get: true,
    };
    run(&call, BatchRequest::Single(graphql)).await
}

/// The bucket a caller is charged to: its key's, or its address's.
fn holder_of(caller: &Caller, address: Option<Holder>) -> Option<Holder> {
    match caller.key_id {
        Some(id) => Some(Holder::Key(id)),
        None => address,
    }
}

/// One HTTP request's caller and how it is answered.
struct Call<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    holder: Option<Holder>,
    media: Media,
    fenced: bool,
    via_get: bool,
}

/// `POST /graphql`.
async fn graphql_post(State(state): State<AppState>, request: HttpRequest) -> HttpResponse {
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
    let holder = holder_of(&caller, address);
    let call = Call {
        state: &state,
        caller: &caller,
        holder,
        media,
        fenced,
        via_get: false,
    };
    run(&call, batch).await
}

/// Runs every request of the batch.
async fn run(call: &Call<'_>, batch: BatchRequest) -> HttpResponse {
    let Call { state, media, .. } = *call;
    match batch {
        BatchRequest::Single(request) => {
            let (status, reply, retry) = one(call, request).await;
            let mut http = bytes_response(status, media, reply.into_bytes());
            if let Some(retry) = retry {
                http.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry));
            }
            if status == StatusCode::METHOD_NOT_ALLOWED {
                http.headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
            }
            http
        }
        BatchRequest::Batch(requests) => {
            let max = state.config.serve.limits.max_batch_operations;
            if requests.len() > max {
                return refused(
                    StatusCode::BAD_REQUEST,
                    media,
                    error_with_code(
                        format!(
                            "a batch may hold at most {max} operations; this one has {}",
                            requests.len()
                        ),
                        codes::QUERY_TOO_COMPLEX,
                    ),
                );
            }
            let mut body = vec![b'['];
            for (i, request) in requests.into_iter().enumerate() {
                let (_, reply, _) = one(call, request).await;
                if i > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(&reply.into_bytes());
            }
            body.push(b']');
            bytes_response(StatusCode::OK, media, body)
        }
    }
}

/// Whether the request was executed: no error, an error of a field (it has
/// a path), or data. Errors without a path and no data are request errors:
/// the request was refused before it ran (or ran out of time without an
/// answer).
fn executed(response: &Response) -> bool {
    response.errors.is_empty()
        || response.errors.iter().any(|e| !e.path.is_empty())
        || !matches!(response.data, async_graphql::Value::Null)
}

/// The status a response gets: 200 once executed, else by its first error.
fn status_of(response: &Response, media: Media) -> (StatusCode, Option<u64>) {
    if executed(response) {
        return (StatusCode::OK, None);
    }
    let first = response.errors.first();
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
enum Reply {
    /// Executed: the response, with its `data`.
    Executed(Response),
    /// A request error: the errors and extensions, without `data`.
    Refused(Response),
    /// The whole serialized response.
    Cached(Vec<u8>),
}

impl Reply {
    /// The reply to `response`, with its status and `Retry-After`.
    fn of(response: Response, media: Media) -> (StatusCode, Reply, Option<u64>) {
        let (status, retry) = status_of(&response, media);
        let reply = if executed(&response) {
            Reply::Executed(response)
        } else {
            Reply::Refused(response)
        };
        (status, reply, retry)
    }

    fn into_bytes(self) -> Vec<u8> {
        match self {
            Reply::Executed(response) => {
                serde_json::to_vec(&response).unwrap_or_else(|_| b"{}".to_vec())
            }
            Reply::Refused(response) => wire::request_error_body(&response),
            Reply::Cached(bytes) => bytes,
        }
    }
}

/// Runs one GraphQL request for `caller` (or answers it from the cache).
async fn one(call: &Call<'_>, mut request: Request) -> (StatusCode, Reply, Option<u64>) {
    let Call {
        state,
        caller,
        holder,
        media,
        fenced,
        via_get,
    } = *call;
    let finish = |response: Response| Reply::of(response, media);
    // Persisted queries (APQ) and the allow-list.
    let persisted = match resolve_document(state, caller, holder, &mut request).await {
        Ok(persisted) => persisted,
        Err(error) => return finish(Response::from_errors(vec![error])),
    };
    // GET runs queries only; a mutation's variables are digested for the
    // audit log before they are handed over (not cloned: a batch holds
    // thousands of rows).
    let mutation = is_mutation(state, &request);
    if via_get && mutation {
        return finish(Response::from_errors(vec![error_with_code(
            "mutations need POST",
            codes::METHOD_NOT_ALLOWED,
        )]));
    }
    let introspection = caller.may_introspect(&state.access.settings);
    // Only a read behind the fence may be answered from the cache.
    let mut cache_status = if state.cache.is_some() {
        cache::Status::Bypass
    } else {
        cache::Status::Off
    };
    let mut cacheable = None;
    if !mutation && fenced {
        if let (Some(cache), Some(version)) = (&state.cache, state.engine.data_version()) {
            if let Some(key) = cache::Key::of(&request, caller, introspection) {
                if let Some(entry) = cache.get(&key, version) {
                    return cached(state, caller, holder, &entry, media);
                }
                cache_status = cache::Status::Miss;
                cacheable = Some((key, version));
            }
        }
    }
    if !introspection {
        request = request.disable_introspection();
    }
    // Cost, limits and budget (refused: nothing runs, and nothing is kept).
    let mut admission = state
        .guard
        .admit(&mut request, caller, holder, introspection);
    let variables_digest = mutation.then(|| audit::variables_digest(&request.variables));
    let operation_name = request.operation_name.clone();
    // A mutation's audit record: every write transaction it runs commits
    // the record with its rows (`store::changes`), so a mutation that
    // wrote is never without one; one that wrote nothing is recorded after.
    let audit_record = admission
        .estimate
        .as_ref()
        .filter(|e| e.mutation)
        .map(|estimate| {
            audit::record(
                caller,
                operation_name
                    .as_deref()
                    .or(estimate.operation_name.as_deref()),
                &estimate.root_fields,
                variables_digest.unwrap_or_default(),
                true,
            )
        });
    let mut audit_written = false;
    let mut response = match admission.refusal.take() {
        None => {
            let request = request
                .data(Loaders::new(&state.db, &state.engine, caller.scope.clone()))
                .data(caller.clone());
            let timeout = Duration::from_millis(state.config.serve.limits.query_timeout_ms);
            let execution = tokio::time::timeout(timeout, state.schema.execute(request));
            let executed = match &audit_record {
                Some(record) => {
                    let (executed, written) =
                        crate::store::changes::audited(record.clone(), execution).await;
                    audit_written = written;
                    executed
                }
                None => execution.await,
            };
            match executed {
                Ok(response) => response,
                Err(_) => Response::from_errors(vec![error_with_code(
                    format!("the request ran longer than {} ms", timeout.as_millis()),
                    codes::TIMEOUT,
                )]),
            }
        }
        Some(error) => {
            cacheable = None;
            Response::from_errors(vec![error])
        }
    };
    for error in &mut response.errors {
        classify(error);
        if !introspection {
            strip_suggestions(error);
        }
    }
    state
        .guard
        .settle(&admission, caller, holder, &mut response);
    let estimate = admission.estimate;
    if let (Some(cache), Some((key, version)), Some(estimate)) =
        (&state.cache, cacheable, estimate.as_ref())
    {
        cache.put(
            key,
            version,
            &response,
            &estimate.root_fields,
            estimate.points,
            estimate.nodes,
        );
    }
    response.extensions.insert(
        "responseCache".to_owned(),
        async_graphql::Value::from(cache_status.as_str()),
    );
    if let Some(note) = persisted {
        response
            .extensions
            .insert("persistedQuery".to_owned(), note);
    }
    // Refused, or ran without writing: recorded now.
    if let Some(mut record) = audit_record.filter(|_| !audit_written) {
        record.succeeded = response.errors.is_empty();
        if let Err(err) = crate::store::access::record_audit(&state.db, record).await {
            tracing::error!(error = %err, "could not record a mutation in the audit log");
        }
    }
    finish(response)
}

/// A cached answer: charged to the caller's budget like an executed one,
/// with a fresh `extensions.cost`.
fn cached(
    state: &AppState,
    caller: &Caller,
    holder: Option<Holder>,
    entry: &cache::Entry,
    media: Media,
) -> (StatusCode, Reply, Option<u64>) {
    let left = match holder {
        Some(holder) => {
            let budgets = state.guard.budgets();
            if let Err(error) = guard::charge(budgets, holder, caller, entry.requested) {
                return Reply::of(Response::from_errors(vec![error]), media);
            }
            budgets.refund(holder, caller.budget, entry.requested - entry.actual)
        }
        None => caller.budget.points,
    };
    let cost = guard::cost_value(caller, entry.requested, entry.actual, entry.nodes, left);
    let mut extensions = async_graphql::indexmap::IndexMap::new();
    extensions.insert("cost".to_owned(), cost);
    extensions.insert(
        "responseCache".to_owned(),
        async_graphql::Value::from(cache::Status::Hit.as_str()),
    );
    let mut body = Vec::with_capacity(entry.data.len() + 256);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(&entry.data);
    body.extend_from_slice(b",\"extensions\":");
    if serde_json::to_writer(&mut body, &extensions).is_err() {
        body.extend_from_slice(b"{}");
    }
    body.push(b'}');
    (StatusCode::OK, Reply::Cached(body), None)
}

/// Whether the request's operation is a mutation (a document that does
/// not parse is not: execution reports it).
fn is_mutation(state: &AppState, request: &Request) -> bool {
    // Most documents never say the word: skip looking them up.
    if !request.query.contains("mutation") {
        return false;
    }
    let Some(document) = state.guard.parse(&request.query) else {
        return false;
    };
    crate::access::cost::operation(&document, request.operation_name.as_deref())
        .is_some_and(|op| op.ty == async_graphql::parser::types::OperationType::Mutation)
}

/// Fills in a persisted query's document, and enforces the allow-list.
/// A document sent with its hash is stored in the caller's partition of
/// the APQ store once the caller has paid for it; one too large to store
/// still runs, and the returned note (`extensions.persistedQuery`) says it
/// was not stored.
async fn resolve_document(
    state: &AppState,
    caller: &Caller,
    holder: Option<Holder>,
    request: &mut Request,
) -> Result<Option<async_graphql::Value>, ServerError> {
    let docs = &state.access.documents;
    let persisted = request
        .extensions
        .get("persistedQuery")
        .and_then(|v| match v {
            async_graphql::Value::Object(o) => o.get("sha256Hash").cloned(),
            _ => None,
        })
        .and_then(|v| match v {
            async_graphql::Value::String(s) => Some(s.to_ascii_lowercase()),
            _ => None,
        });
    let internal = |err: sea_orm::DbErr| {
        tracing::error!(error = %err, "document lookup failed");
        error_with_code("internal error", codes::INTERNAL)
    };
    let partition = match caller.key_id {
        Some(id) => documents::Partition::Key(id),
        None => documents::Partition::Anonymous,
    };
    let not_allowed = || {
        error_with_code(
            "this key runs only registered documents, and this one is not registered",
            codes::DOCUMENT_NOT_ALLOWED,
        )
    };
    let mut note = None;
    if let Some(hash) = &persisted {
        if request.query.trim().is_empty() {
            // An allow-list caller learns that an unregistered hash is not
            // allowed, not whether some partition holds it.
            if caller.allow_list_only
                && docs
                    .registered(&state.db, hash)
                    .await
                    .map_err(internal)?
                    .is_none()
            {
                return Err(not_allowed());
            }
            match docs
                .lookup(&state.db, hash, partition)
                .await
                .map_err(internal)?
            {
                Some(document) => request.query = document,
                None => {
                    return Err(error_with_code(
                        "PersistedQueryNotFound",
                        documents::PERSISTED_QUERY_NOT_FOUND,
                    ));
                }
            }
        } else if documents::hash(&request.query) != *hash {
            return Err(error_with_code(
                "the query does not match its sha256Hash",
                codes::BAD_USER_INPUT,
            ));
        } else if !caller.allow_list_only {
            note = remember(state, caller, holder, hash, &request.query, partition)?;
        }
    }
    if caller.allow_list_only {
        let hash = persisted.unwrap_or_else(|| documents::hash(&request.query));
        if docs
            .registered(&state.db, &hash)
            .await
            .map_err(internal)?
            .is_none()
        {
            return Err(not_allowed());
        }
    }
    Ok(note)
}

/// Stores a persisted document, charging the caller first
/// (`--persisted-query-points-per-kib` per started KiB); a refused charge
/// refuses the request. Returns the note for a document too large to store.
fn remember(
    state: &AppState,
    caller: &Caller,
    holder: Option<Holder>,
    hash: &str,
    document: &str,
    partition: documents::Partition,
) -> Result<Option<async_graphql::Value>, ServerError> {
    let docs = &state.access.documents;
    if !docs.storable(document.len()) {
        let mut note = async_graphql::indexmap::IndexMap::new();
        note.insert(async_graphql::Name::new("stored"), false.into());
        note.insert(
            async_graphql::Name::new("reason"),
            format!(
                "documents over {} bytes are not stored: send the query itself each time",
                docs.bounds().max_document_bytes
            )
            .into(),
        );
        return Ok(Some(async_graphql::Value::Object(note)));
    }
    let per_kib = state.config.serve.bounds.persisted_query_points_per_kib;
    let points = (document.len() as u64).div_ceil(1024).max(1) * per_kib;
    if let Some(holder) = holder.filter(|_| points > 0) {
        guard::charge(state.guard.budgets(), holder, caller, points)?;
    }
    docs.remember_apq(hash, document, partition);
    Ok(None)
}

/// Drops "Did you mean …?" from validation messages (for callers who may
/// not explore the schema).
fn strip_suggestions(error: &mut ServerError) {
    if let Some(at) = error.message.find(" Did you mean") {
        error.message.truncate(at);
    }
}

/// Gives a stable `extensions.code` to the errors async-graphql raises
/// itself (syntax, validation, limits, variable coercion), which carry none.
fn classify(error: &mut async_graphql::ServerError) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some());
    if has_code {
        return;
    }
    let message = error.message.as_str();
    let code = if message.contains("too complex") || message.contains("nested too deep") {
        codes::QUERY_TOO_COMPLEX
    } else if message.starts_with(" --> ")
        || message.contains("expected ") && error.path.is_empty() && message.contains("-->")
    {
        codes::GRAPHQL_PARSE_FAILED
    } else if message.starts_with("Invalid value for argument")
        || message.starts_with("Failed to parse")
        || message.contains("Variable")
    {
        codes::BAD_USER_INPUT
    } else if error.path.is_empty() {
        codes::GRAPHQL_VALIDATION_FAILED
    } else {
        codes::INTERNAL
    };
    let argument = message
        .strip_prefix("Invalid value for argument \"")
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    if let Some(argument) = argument {
        extensions.set("argument", argument);
    }
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::store::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
