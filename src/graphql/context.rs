//! Typed access to what a resolver needs from the request context.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::Loaders;
use crate::access::{Caller, Scope};
use crate::config::Limits;

/// `ctx.db()`, `ctx.loaders()`, `ctx.limits()`.
pub trait ContextExt {
    /// The database connection pool.
    fn db(&self) -> &DatabaseConnection;
    /// The per-request loaders.
    fn loaders(&self) -> &Loaders;
    /// The configured query limits.
    fn limits(&self) -> &Limits;
    /// Who is calling (attached by the HTTP layer to every request).
    fn caller(&self) -> &Caller;
    /// What the caller may see.
    fn scope(&self) -> &Scope {
        &self.caller().scope
    }
}

// The schema builder and the HTTP handler always attach these, so a missing
// one is a programming error caught by every test, not something a request
// can cause: `data_unchecked` is the right tool here.
impl ContextExt for Context<'_> {
    fn db(&self) -> &DatabaseConnection {
        self.data_unchecked::<DatabaseConnection>()
    }

    fn loaders(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }

    fn limits(&self) -> &Limits {
        self.data_unchecked::<Limits>()
    }

    fn caller(&self) -> &Caller {
        self.data_unchecked::<Caller>()
    }
}
