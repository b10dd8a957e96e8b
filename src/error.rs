//! One error type for everything a client can see, with stable codes.
//!
//! Every error that reaches a GraphQL response carries `extensions.code`,
//! one of the constants in [`codes`]. Partner ministries branch on these
//! codes, so they never change meaning. Internal failures (database errors,
//! bugs) are logged in full and shown to the client only as `INTERNAL`.

use async_graphql::ErrorExtensions;

/// The stable `extensions.code` values (documented in the README).
pub mod codes {
    /// An argument or input value is invalid; `extensions.argument` names it.
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// The requested object does not exist (or is outside the caller's view).
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The request needs a valid API key.
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    /// The key is valid but may not do this.
    pub const FORBIDDEN: &str = "FORBIDDEN";
    /// An optimistic-concurrency check failed: re-read and retry.
    pub const VERSION_CONFLICT: &str = "VERSION_CONFLICT";
    /// The caller's budget is spent; `extensions.retryAfterSeconds` says when to retry.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The document exceeds a depth, node-count or complexity limit.
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    /// The document is not valid GraphQL syntax.
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document does not validate against the schema.
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The field is part of the contract but not served by this version yet.
    pub const NOT_IMPLEMENTED: &str = "NOT_IMPLEMENTED";
    /// The server cannot answer now (still loading, or its database does
    /// not answer); retry after `extensions.retryAfterSeconds`.
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    /// Something failed inside the server; details are in its log only.
    pub const INTERNAL: &str = "INTERNAL";
    /// The query ran longer than the configured timeout.
    pub const TIMEOUT: &str = "TIMEOUT";
    /// A persisted query's hash is unknown: send the query with it.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// The caller runs only registered documents, and this one is not.
    pub const DOCUMENT_NOT_ALLOWED: &str = "DOCUMENT_NOT_ALLOWED";
    /// The HTTP request itself is wrong (content type, body, query string).
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// A mutation sent with `GET`.
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
}

/// At most this many row errors are listed in one response (the count is
/// always given in `extensions.invalidRows`).
pub const MAX_ROW_ERRORS: usize = 1_000;

/// Every failure a request can meet.
///
/// Deliberately *not* `thiserror`/`Display`: async-graphql converts any
/// `Display` type into its `Error` with a blanket `From`, which would let `?`
/// silently drop `extensions.code`. Without `Display`, `?` goes through the
/// `From<AppError>` below, so every error a client sees has its code.
#[derive(Debug)]
pub enum AppError {
    /// → `BAD_USER_INPUT`, with the offending argument named.
    BadInput {
        /// The argument or input field at fault, as the schema names it.
        argument: String,
        /// What is wrong, in words a client developer can act on.
        message: String,
    },
    /// → `NOT_FOUND`: what was looked for.
    NotFound(String),
    /// → `FORBIDDEN`: the caller may not see or do this (the message names
    /// nothing outside the caller's scope).
    Forbidden(String),
    /// → `UNAUTHENTICATED`: this needs a (valid) API key.
    Unauthenticated(String),
    /// → `NOT_IMPLEMENTED`: a contract field whose computation comes later.
    NotImplemented(&'static str),
    /// → `UNAVAILABLE`: not ready yet (the engine is warming up), or the
    /// database does not answer; retry after `extensions.retryAfterSeconds`.
    Unavailable(&'static str),
    /// → `BAD_USER_INPUT` for a batch: every bad row in `extensions.rows`
    /// (`row`, `field`, `code`, `message`); nothing was written.
    Rows(Vec<crate::model::rows::RowError>),
    /// → `VERSION_CONFLICT`: the object changed since the caller read it;
    /// `extensions.currentVersion` says its version now.
    VersionConflict {
        /// The version the object has now.
        current: i32,
    },
    /// → `INTERNAL`: a database failure. Logged, never shown.
    Database(sea_orm::DbErr),
    /// → `INTERNAL`: anything else that should not happen. Logged, never shown.
    Internal(String),
}

impl From<sea_orm::DbErr> for AppError {
    /// A database that does not answer (or stays locked past every retry)
    /// is `UNAVAILABLE`, to be retried; any other failure is `INTERNAL`.
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::store::faults::is_unreachable(&err) {
            tracing::warn!(error = %err, "the database does not answer");
            AppError::Unavailable("the database does not answer")
        } else {
            AppError::Database(err)
        }
    }
}

impl AppError {
    /// A `BAD_USER_INPUT` error about one argument.
    pub fn bad_input(argument: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadInput {
            argument: argument.into(),
            message: message.into(),
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadInput { .. } | AppError::Rows(_) => codes::BAD_USER_INPUT,
            AppError::VersionConflict { .. } => codes::VERSION_CONFLICT,
            AppError::NotFound(_) => codes::NOT_FOUND,
            AppError::Forbidden(_) => codes::FORBIDDEN,
            AppError::Unauthenticated(_) => codes::UNAUTHENTICATED,
            AppError::NotImplemented(_) => codes::NOT_IMPLEMENTED,
            AppError::Unavailable(_) => codes::UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => codes::INTERNAL,
        }
    }

    /// The message a client sees. Internal details are logged here and
    /// replaced by a generic text.
    pub fn client_message(&self) -> String {
        match self {
            AppError::BadInput { argument, message } => {
                format!("invalid value for `{argument}`: {message}")
            }
            AppError::Rows(rows) => format!(
                "{} invalid row(s); nothing was written (see extensions.rows)",
                rows.len()
            ),
            AppError::VersionConflict { current } => format!(
                "the object changed since you read it (its version is now {current}); re-read and retry"
            ),
            AppError::NotFound(what) => format!("{what} not found"),
            AppError::Forbidden(why) => format!("forbidden: {why}"),
            AppError::Unauthenticated(why) => format!("unauthenticated: {why}"),
            AppError::NotImplemented(what) => format!("{what} is not implemented yet"),
            AppError::Unavailable(why) => format!("unavailable: {why}; retry shortly"),
            AppError::Database(err) => {
                tracing::error!(error = %err, "database error while serving a request");
                "internal error".to_owned()
            }
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error while serving a request");
                "internal error".to_owned()
            }
        }
    }
}

/// When a client should retry an `UNAVAILABLE` answer (the engine warms
/// up in seconds): `extensions.retryAfterSeconds`, and `Retry-After`.
pub const UNAVAILABLE_RETRY_SECONDS: u64 = 2;

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.client_message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                AppError::BadInput { argument, .. } => ext.set("argument", argument.as_str()),
                AppError::Rows(rows) => {
                    let list: Vec<async_graphql::Value> = rows
                        .iter()
                        .take(MAX_ROW_ERRORS)
                        .map(|r| {
                            let mut row = async_graphql::indexmap::IndexMap::new();
                            row.insert(
                                async_graphql::Name::new("row"),
                                async_graphql::Value::from(r.row as u64),
                            );
                            row.insert(
                                async_graphql::Name::new("field"),
                                async_graphql::Value::from(r.field.as_str()),
                            );
                            row.insert(
                                async_graphql::Name::new("code"),
                                async_graphql::Value::from(r.code),
                            );
                            row.insert(
                                async_graphql::Name::new("message"),
                                async_graphql::Value::from(r.message.as_str()),
                            );
                            async_graphql::Value::Object(row)
                        })
                        .collect();
                    ext.set("argument", "input.reports");
                    ext.set("rows", list);
                    ext.set("invalidRows", rows.len() as u64);
                }
                AppError::VersionConflict { current } => ext.set("currentVersion", *current),
                AppError::Unavailable(_) => ext.set("retryAfterSeconds", UNAVAILABLE_RETRY_SECONDS),
                _ => {}
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

/// Result of resolvers and services.
pub type AppResult<T> = Result<T, AppError>;
