//! One GraphQL request, step by step: persisted and trusted documents,
//! the method check, the response cache, admission (cost, limits, budget),
//! execution, settlement and the audit record.

use std::time::Duration;

use async_graphql::{BatchRequest, Request, Response, ServerError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response as HttpResponse;

use crate::AppState;
use crate::access::budget::Holder;
use crate::access::guard;
use crate::access::{Caller, audit, cost, documents};
use crate::error::codes;
use crate::graphql::Loaders;
use crate::store::access::AuditRecord;
use crate::store::changes;

use super::cache;
use super::handlers::*;
use super::reply::*;
use super::wire::Media;

/// Runs every request of the batch.
pub(super) async fn run(call: &Call<'_>, batch: BatchRequest) -> HttpResponse {
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

/// Runs one GraphQL request for `caller` (or answers it from the cache),
/// step by step.
pub(super) async fn one(call: &Call<'_>, mut request: Request) -> (StatusCode, Reply, Option<u64>) {
    let Call {
        state,
        caller,
        holder,
        media,
        ..
    } = *call;
    let finish = |response: Response| Reply::of(response, media);
    let refuse = |error: ServerError| finish(Response::from_errors(vec![error]));
    let persisted = match resolve_document(state, caller, holder, &mut request).await {
        Ok(persisted) => persisted,
        Err(error) => return refuse(error),
    };
    let mutation = is_mutation(state, &request);
    if let Err(error) = check_method(call, mutation) {
        return refuse(error);
    }
    let introspection = caller.may_introspect(&state.access.settings);
    let mut slot = match look_up(call, &request, mutation, introspection) {
        Lookup::Hit(reply) => return reply,
        Lookup::Miss(slot) => slot,
    };
    if !introspection {
        request = request.disable_introspection();
    }
    // Cost, limits and budget (refused: nothing runs, and nothing is kept).
    let mut admission = state
        .guard
        .admit(&mut request, caller, holder, introspection);
    let audit_record = audit_record(caller, &request, &admission, mutation);
    let (mut response, audit_written) = match admission.refusal.take() {
        None => execute(call, request, introspection, audit_record.as_ref()).await,
        Some(error) => {
            slot.forget();
            (Response::from_errors(vec![error]), false)
        }
    };
    for error in &mut response.errors {
        classify(error);
    }
    state
        .guard
        .settle(&admission, caller, holder, &mut response);
    response.extensions.insert(
        "responseCache".to_owned(),
        async_graphql::Value::from(slot.status.as_str()),
    );
    slot.keep(call, &response, admission.estimate.as_ref());
    if let Some(freshness) = freshness(state, call.fenced) {
        response
            .extensions
            .insert("freshness".to_owned(), freshness);
    }
    if let Some(note) = persisted {
        response
            .extensions
            .insert("persistedQuery".to_owned(), note);
    }
    if !audit_written {
        record_unwritten(call, audit_record, &response).await;
    }
    finish(response)
}

/// `extensions.freshness`: the data version answered, when the database
/// last confirmed it current, and whether this answer could not be checked
/// against the database (it did not answer; the numbers come from memory).
/// Absent before the engine's first snapshot.
fn freshness(state: &AppState, fenced: bool) -> Option<async_graphql::Value> {
    let freshness = state.engine.freshness(fenced)?;
    let confirmed_at = freshness
        .confirmed_ms
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or(async_graphql::Value::Null, |at| {
            async_graphql::Value::from(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        });
    let mut value = async_graphql::indexmap::IndexMap::new();
    value.insert(
        async_graphql::Name::new("dataVersion"),
        async_graphql::Value::from(freshness.data_version),
    );
    value.insert(async_graphql::Name::new("confirmedAt"), confirmed_at);
    value.insert(
        async_graphql::Name::new("stale"),
        async_graphql::Value::from(freshness.stale),
    );
    Some(async_graphql::Value::Object(value))
}

/// `GET` runs queries only.
fn check_method(call: &Call<'_>, mutation: bool) -> Result<(), ServerError> {
    if call.method == Method::Get && mutation {
        return Err(error_with_code(
            "mutations need POST",
            codes::METHOD_NOT_ALLOWED,
        ));
    }
    Ok(())
}

/// What the response cache said about a request.
enum Lookup {
    /// The answer, from the cache.
    Hit((StatusCode, Reply, Option<u64>)),
    /// Not in the cache: where its answer may be kept.
    Miss(Slot),
}

/// Where a request's answer goes in the response cache, if anywhere.
struct Slot {
    status: cache::Status,
    /// The key and the data version the answer is valid for.
    key: Option<(cache::Key, i64)>,
}

impl Slot {
    /// A refused request's answer is not kept.
    fn forget(&mut self) {
        self.key = None;
    }

    /// Keeps an executed answer.
    fn keep(self, call: &Call<'_>, response: &Response, estimate: Option<&cost::Estimate>) {
        if let (Some(cache), Some((key, version)), Some(estimate)) =
            (&call.state.cache, self.key, estimate)
        {
            cache.put(
                key,
                version,
                response,
                &estimate.root_fields,
                estimate.points,
                estimate.nodes,
            );
        }
    }
}

/// Looks a read up in the response cache: only a read behind the fence may
/// be answered from it.
fn look_up(call: &Call<'_>, request: &Request, mutation: bool, introspection: bool) -> Lookup {
    let Call {
        state,
        caller,
        holder,
        media,
        fenced,
        ..
    } = *call;
    let Some(cache) = &state.cache else {
        return Lookup::Miss(Slot {
            status: cache::Status::Off,
            key: None,
        });
    };
    let mut slot = Slot {
        status: cache::Status::Bypass,
        key: None,
    };
    if mutation || !fenced {
        return Lookup::Miss(slot);
    }
    let (Some(version), Some(key)) = (
        state.engine.data_version(),
        cache::Key::of(request, caller, introspection),
    ) else {
        return Lookup::Miss(slot);
    };
    if let Some(entry) = cache.get(&key, version) {
        return Lookup::Hit(cached(state, caller, holder, &entry, media));
    }
    slot.status = cache::Status::Miss;
    slot.key = Some((key, version));
    Lookup::Miss(slot)
}

/// A mutation's audit record (its variables digested, not cloned: a batch
/// holds thousands of rows). Every write transaction the mutation runs
/// commits the record with its rows (`store::changes`), so a mutation that
/// wrote is never without one; one that wrote nothing is recorded after.
fn audit_record(
    caller: &Caller,
    request: &Request,
    admission: &guard::Admission,
    mutation: bool,
) -> Option<AuditRecord> {
    let estimate = admission.estimate.as_ref().filter(|e| e.mutation)?;
    let digest = if mutation {
        audit::variables_digest(&request.variables)
    } else {
        String::new()
    };
    Some(audit::record(
        caller,
        request
            .operation_name
            .as_deref()
            .or(estimate.operation_name.as_deref()),
        &estimate.root_fields,
        digest,
        true,
    ))
}

/// Executes an admitted request within the query timeout; returns the
/// response and whether a write committed the audit record.
///
/// A mutation runs in a task of its own, so that a client whose connection
/// drops does not cancel it half-way, and the query timeout stops it only
/// before its write begins ([`changes::WriteGate`]): after that it runs to
/// its end, and its answer tells the truth about the commit. While the
/// database does not answer, a mutation is refused at once.
async fn execute(
    call: &Call<'_>,
    request: Request,
    introspection: bool,
    audit_record: Option<&AuditRecord>,
) -> (Response, bool) {
    let Call { state, caller, .. } = *call;
    let request = request
        .data(Loaders::new(&state.db, &state.engine, caller.scope.clone()))
        .data(caller.clone());
    let timeout = Duration::from_millis(state.config.serve.limits.query_timeout_ms);
    let timed_out = || {
        Response::from_errors(vec![error_with_code(
            format!("the request ran longer than {} ms", timeout.as_millis()),
            codes::TIMEOUT,
        )])
    };
    let schema = state.schemas.for_caller(introspection).clone();
    let Some(record) = audit_record else {
        return match tokio::time::timeout(timeout, schema.execute(request)).await {
            Ok(response) => (response, false),
            Err(_) => (timed_out(), false),
        };
    };
    if state.engine.is_unreachable() {
        let error = app_error(&crate::error::AppError::Unavailable(
            "the database does not answer, so nothing can be written",
        ));
        return (Response::from_errors(vec![error]), false);
    }
    let gate = std::sync::Arc::new(changes::WriteGate::default());
    let mut task = tokio::spawn(changes::audited(record.clone(), gate.clone(), async move {
        schema.execute(request).await
    }));
    let finished = tokio::select! {
        finished = &mut task => finished,
        () = tokio::time::sleep(timeout) => {
            if gate.stop() {
                task.abort();
                return (timed_out(), false);
            }
            // The write began: its commit decides the answer.
            task.await
        }
    };
    match finished {
        Ok((mut response, audited)) => {
            if audited.in_doubt {
                tell_in_doubt(&mut response);
            }
            (response, audited.written)
        }
        Err(err) => {
            tracing::error!(error = %err, "a mutation's task failed");
            (
                Response::from_errors(vec![error_with_code("internal error", codes::INTERNAL)]),
                false,
            )
        }
    }
}

/// A mutation whose `COMMIT` went unanswered ([`changes::Audited::in_doubt`])
/// says so: its `UNAVAILABLE` errors carry `extensions.writeOutcome:
/// "UNKNOWN"`, so the client resubmits (`submitReports` is idempotent) or
/// reads the object back once the database is back, rather than believe
/// nothing was written. Every other `UNAVAILABLE` answer to a mutation
/// means nothing was written.
fn tell_in_doubt(response: &mut Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code") == Some(&async_graphql::Value::from(codes::UNAVAILABLE)) {
            extensions.set("writeOutcome", "UNKNOWN");
            error.message = "unavailable: the database stopped answering while it committed this \
                             write, so it may or may not have been written; read it back or \
                             resubmit once the database is back"
                .to_owned();
        }
    }
}

/// Records a mutation that was refused, or ran without writing.
async fn record_unwritten(call: &Call<'_>, record: Option<AuditRecord>, response: &Response) {
    let Some(mut record) = record else {
        return;
    };
    record.succeeded = response.errors.is_empty();
    if call.state.engine.is_unreachable() {
        // Waiting for a database that does not answer would hold the
        // answer back: the record goes to the log instead.
        tracing::warn!(
            ?record,
            "the database does not answer: a mutation's audit record is only logged"
        );
        return;
    }
    if let Err(err) = crate::store::access::record_audit(&call.state.db, record).await {
        tracing::error!(error = %err, "could not record a mutation in the audit log");
    }
}

/// A cached answer: charged to the caller's budget like an executed one,
/// with a fresh `extensions.cost`.
pub(super) fn cached(
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
    // Only a read behind the fence is answered from the cache.
    if let Some(freshness) = freshness(state, true) {
        extensions.insert("freshness".to_owned(), freshness);
    }
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
pub(super) fn is_mutation(state: &AppState, request: &Request) -> bool {
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
pub(super) async fn resolve_document(
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
pub(super) fn remember(
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
