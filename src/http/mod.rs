//! HTTP: the router, GraphQL over HTTP, GraphiQL and the health check.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::codes;
use crate::graphql::Loaders;

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.serve.limits.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /graphql`: GraphiQL for a browser, a query for anyone else.
async fn graphql_get(State(state): State<AppState>, request: Request) -> Response {
    let has_query = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("query=")));
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !has_query {
        return if wants_html {
            Html(
                GraphiQLSource::build()
                    .endpoint("/graphql")
                    .title("tiendo")
                    .finish(),
            )
            .into_response()
        } else {
            (
                StatusCode::BAD_REQUEST,
                "GET /graphql needs a `query` parameter",
            )
                .into_response()
        };
    }
    match GraphQLRequest::<GraphQLRejection>::from_request(request, &state).await {
        Ok(request) => execute(&state, request).await.into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// `POST /graphql`.
async fn graphql_post(State(state): State<AppState>, request: GraphQLRequest) -> GraphQLResponse {
    execute(&state, request).await
}

async fn execute(state: &AppState, request: GraphQLRequest) -> GraphQLResponse {
    let request = request
        .into_inner()
        .data(Loaders::new(&state.db, &state.engine));
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        classify(error);
    }
    response.into()
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
