//! The access checks that need the parsed document, as an async-graphql
//! extension: the cost estimate and its limits before anything runs, the
//! budget charge, and `extensions.cost` on the response (with the refund
//! of what was charged but not spent).

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, Value, Variables};

use super::Caller;
use super::budget::{Budgets, Charge, Holder};
use super::cost::{self, CostLimits, Estimate, MUTATION_POINTS};
use crate::error::codes;

/// What the HTTP layer and the extension share about one request.
#[derive(Debug, Default)]
pub struct RequestMeta {
    /// The operation to run (async-graphql does not pass it to
    /// `parse_query`).
    pub operation_name: Option<String>,
    /// The budget this request is charged to.
    pub holder: Option<Holder>,
    /// The estimate, once the document is parsed.
    pub estimate: Mutex<Option<Estimate>>,
    /// Whether the caller may introspect the schema.
    pub introspection: bool,
}

impl RequestMeta {
    /// The estimate, if the document got that far.
    pub fn estimate(&self) -> Option<Estimate> {
        self.estimate
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Installs [`AccessGuard`] on every request.
pub struct AccessExtension {
    pub limits: CostLimits,
    pub budgets: Arc<Budgets>,
}

impl ExtensionFactory for AccessExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AccessGuard {
            limits: self.limits,
            budgets: self.budgets.clone(),
            charged: Mutex::new(None),
            seen: Mutex::new(None),
        })
    }
}

struct Charged {
    points: u64,
    mutation_fields: u64,
    left: u64,
}

/// The per-request guard.
pub struct AccessGuard {
    limits: CostLimits,
    budgets: Arc<Budgets>,
    charged: Mutex<Option<Charged>>,
    /// The caller and the shared metadata, taken in `parse_query` (the
    /// `request` hook cannot see the request's data).
    seen: Mutex<Option<(Caller, Arc<RequestMeta>)>>,
}

fn refusal(code: &str, message: String, argument: Option<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Some(argument) = argument {
        extensions.set("argument", argument);
    }
    error.extensions = Some(extensions);
    error
}

#[async_trait::async_trait]
impl Extension for AccessGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let (Some(caller), Some(meta)) =
            (ctx.data_opt::<Caller>(), ctx.data_opt::<Arc<RequestMeta>>())
        else {
            return Ok(document);
        };
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some((caller.clone(), meta.clone()));
        let estimate = cost::estimate(
            &ctx.schema_env.registry,
            &document,
            meta.operation_name.as_deref(),
            variables,
            self.limits,
        )
        .map_err(|r| refusal(r.code, r.message, r.argument))?;
        if !meta.introspection
            && estimate
                .root_fields
                .iter()
                .any(|f| f == "__schema" || f == "__type")
        {
            return Err(refusal(
                codes::FORBIDDEN,
                "introspection is off for this key".into(),
                None,
            ));
        }
        if estimate.mutation {
            if let Err(err) = caller.check_writer() {
                *meta.estimate.lock().unwrap_or_else(|p| p.into_inner()) = Some(estimate);
                return Err(refusal(err.code(), err.client_message(), None));
            }
        }
        let points = estimate.points;
        let mutation_fields = estimate.mutation_fields;
        *meta.estimate.lock().unwrap_or_else(|p| p.into_inner()) = Some(estimate);
        let Some(holder) = meta.holder else {
            return Ok(document);
        };
        match self.budgets.charge(holder, caller.budget, points) {
            Charge::Charged { left } => {
                *self.charged.lock().unwrap_or_else(|p| p.into_inner()) = Some(Charged {
                    points,
                    mutation_fields,
                    left,
                });
                Ok(document)
            }
            Charge::Refused { left, .. } if points > caller.budget.points => {
                let _ = left;
                Err(refusal(
                    codes::QUERY_TOO_COMPLEX,
                    format!(
                        "this request costs {points} points, more than your whole budget of {}",
                        caller.budget.points
                    ),
                    None,
                ))
            }
            Charge::Refused {
                retry_after_seconds,
                left,
            } => {
                let retry = retry_after_seconds.ceil().max(1.0) as u64;
                let mut error = refusal(
                    codes::RATE_LIMITED,
                    format!(
                        "this request costs {points} points and {left} are left; \
                         retry in {retry} s"
                    ),
                    None,
                );
                if let Some(ext) = error.extensions.as_mut() {
                    ext.set("retryAfterSeconds", retry);
                    ext.set("requestedQueryCost", points);
                    ext.set("currentlyAvailable", left);
                }
                Err(error)
            }
        }
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let Some((caller, meta)) = self.seen.lock().unwrap_or_else(|p| p.into_inner()).take()
        else {
            return response;
        };
        let caller = &caller;
        let estimate = meta.estimate();
        let charged = self
            .charged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let (requested, actual, left) = match charged {
            Some(charged) => {
                let actual = (1
                    + cost::actual_nodes(&response.data)
                    + MUTATION_POINTS * charged.mutation_fields)
                    .min(charged.points);
                let left = match meta.holder {
                    Some(holder) => {
                        self.budgets
                            .refund(holder, caller.budget, charged.points - actual)
                    }
                    None => charged.left,
                };
                (charged.points, actual, left)
            }
            None => (estimate.as_ref().map_or(0, |e| e.points), 0, {
                // Nothing charged: what is left is unchanged.
                match meta.holder {
                    Some(holder) => self.budgets.refund(holder, caller.budget, 0),
                    None => caller.budget.points,
                }
            }),
        };
        let mut throttle = async_graphql::indexmap::IndexMap::new();
        throttle.insert(
            async_graphql::Name::new("maximumAvailable"),
            Value::from(caller.budget.points),
        );
        throttle.insert(
            async_graphql::Name::new("currentlyAvailable"),
            Value::from(left),
        );
        throttle.insert(
            async_graphql::Name::new("restoreRate"),
            Value::from(caller.budget.per_second),
        );
        let mut cost = async_graphql::indexmap::IndexMap::new();
        cost.insert(
            async_graphql::Name::new("requestedQueryCost"),
            Value::from(requested),
        );
        cost.insert(
            async_graphql::Name::new("actualQueryCost"),
            Value::from(actual),
        );
        cost.insert(
            async_graphql::Name::new("nodes"),
            Value::from(estimate.map_or(0, |e| e.nodes)),
        );
        cost.insert(
            async_graphql::Name::new("throttleStatus"),
            Value::Object(throttle),
        );
        response
            .extensions
            .insert("cost".to_owned(), Value::Object(cost));
        response
    }
}
