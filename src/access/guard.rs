//! The access checks that need the parsed document, run by the HTTP layer
//! around execution: the cost estimate and its limits before anything
//! runs, the budget charge, and `extensions.cost` on the response (with the
//! refund of what was charged but not spent).
//!
//! They used to be an async-graphql extension. An extension, whatever
//! hooks it implements, sends every field of every response through
//! async-graphql's extension chain (a registry look-up and boxed futures
//! per field): for the 63-province ranking that was most of the request.
//! Here the document is parsed once, handed to async-graphql already
//! parsed, and execution takes the plain path.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::registry::Registry;
use async_graphql::{Name, Request, Response, ServerError, Value};

use super::Caller;
use super::budget::{Budgets, Charge, Holder};
use super::cost::{self, CostLimits, Estimate, MUTATION_POINTS};
use crate::error::codes;

/// The schema's types (for the cost walk), the limits and the budgets.
pub struct Guard {
    registry: Registry,
    limits: CostLimits,
    budgets: Arc<Budgets>,
    /// Documents parsed before, by their text: dashboards send the same
    /// few documents over and over, and parsing one (async-graphql's pest
    /// parser) cost more than a tenth of a 63-province ranking. A copy of
    /// the parsed tree is much cheaper.
    parsed: moka::sync::Cache<String, Arc<ExecutableDocument>>,
}

/// The largest document the parse cache keeps.
const PARSED_DOCUMENT_BYTES: usize = 16 * 1024;

/// What one node of a parsed document (a field, an argument, a directive,
/// a variable definition) takes on the heap, with its position, name and
/// vectors: an upper estimate, so that the parse cache's byte bound holds.
const PARSED_NODE_BYTES: usize = 320;

/// What [`Guard::admit`] decided about one request.
#[derive(Debug, Default)]
pub struct Admission {
    /// The estimate, when the document parsed and was walked.
    pub estimate: Option<Estimate>,
    /// Why the request may not run, if it may not.
    pub refusal: Option<ServerError>,
    /// What was charged: points, and what was left after.
    charged: Option<(u64, u64)>,
}

impl Guard {
    /// A guard over the types of `registry`, keeping parsed documents of
    /// at most `parse_cache_bytes` (text and tree together).
    pub fn new(
        registry: Registry,
        limits: CostLimits,
        budgets: Arc<Budgets>,
        parse_cache_bytes: u64,
    ) -> Self {
        Guard {
            registry,
            limits,
            budgets,
            parsed: moka::sync::Cache::builder()
                .max_capacity(parse_cache_bytes)
                .weigher(|text: &String, document: &Arc<ExecutableDocument>| {
                    u32::try_from(text.len() + parsed_bytes(document)).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    /// Bytes the parse cache holds now (after pending evictions).
    pub fn parse_cache_bytes(&self) -> u64 {
        self.parsed.run_pending_tasks();
        self.parsed.weighted_size()
    }

    /// The request's document, parsed (or copied from the parse cache).
    pub fn parse(&self, query: &str) -> Option<ExecutableDocument> {
        self.parse_or_refuse(query).ok()
    }

    /// The request's document, or the refusal of a document that does not
    /// parse: `GRAPHQL_PARSE_FAILED` with the parser's message and place,
    /// decided here where it parses (not read back from a message later).
    fn parse_or_refuse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
        if let Some(document) = self.parsed.get(query) {
            let mut copy = (*document).clone();
            own_field_names(&mut copy);
            return Ok(copy);
        }
        let document = parse_document(query).map_err(|err| {
            let mut error = ServerError::from(err);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", codes::GRAPHQL_PARSE_FAILED);
            error
        })?;
        if query.len() <= PARSED_DOCUMENT_BYTES {
            self.parsed
                .insert(query.to_owned(), Arc::new(document.clone()));
        }
        Ok(document)
    }

    /// The budgets the guard charges.
    pub fn budgets(&self) -> &Budgets {
        &self.budgets
    }

    /// Parses the request's document (async-graphql then runs the parsed
    /// one), estimates its cost, applies the limits, the introspection and
    /// writer checks, and charges the budget. A refused request carries
    /// its [`Admission::refusal`], with whatever was decided before it (a
    /// refused mutation is still audited). A document that does not parse
    /// is refused with `GRAPHQL_PARSE_FAILED`.
    pub fn admit(
        &self,
        request: &mut Request,
        caller: &Caller,
        holder: Option<Holder>,
        introspection: bool,
    ) -> Admission {
        let mut admission = Admission::default();
        let refuse = |mut admission: Admission, error: ServerError| {
            admission.refusal = Some(error);
            admission
        };
        let document = match self.parse_or_refuse(&request.query) {
            Ok(document) => document,
            Err(error) => return refuse(admission, error),
        };
        let estimated = cost::estimate(
            &self.registry,
            &document,
            request.operation_name.as_deref(),
            &request.variables,
            self.limits,
        );
        request.set_parsed_query(document);
        let estimate = match estimated {
            Ok(estimate) => estimate,
            Err(r) => return refuse(admission, refusal(r.code, r.message, r.argument)),
        };
        let introspects = estimate
            .root_fields
            .iter()
            .any(|f| f == "__schema" || f == "__type");
        let points = estimate.points;
        let mutation = estimate.mutation;
        admission.estimate = Some(estimate);
        if !introspection && introspects {
            let error = refusal(
                codes::FORBIDDEN,
                "introspection is off for this key".into(),
                None,
            );
            return refuse(admission, error);
        }
        if mutation {
            if let Err(err) = caller.check_writer() {
                let error = refusal(err.code(), err.client_message(), None);
                return refuse(admission, error);
            }
        }
        let Some(holder) = holder else {
            return admission;
        };
        match charge(&self.budgets, holder, caller, points) {
            Ok(left) => {
                admission.charged = Some((points, left));
                admission
            }
            Err(error) => refuse(admission, error),
        }
    }

    /// Gives back what the request was charged but did not spend, and
    /// writes `extensions.cost`.
    pub fn settle(
        &self,
        admission: &Admission,
        caller: &Caller,
        holder: Option<Holder>,
        response: &mut Response,
    ) {
        let estimate = admission.estimate.as_ref();
        let (requested, actual, left) = match admission.charged {
            Some((points, left)) => {
                let mutation_fields = estimate.map_or(0, |e| e.mutation_fields);
                let actual =
                    (1 + cost::actual_nodes(&response.data) + MUTATION_POINTS * mutation_fields)
                        .min(points);
                let left = match holder {
                    Some(holder) => self.budgets.refund(holder, caller.budget, points - actual),
                    None => left,
                };
                (points, actual, left)
            }
            // Nothing charged: what is left is unchanged.
            None => (
                estimate.map_or(0, |e| e.points),
                0,
                match holder {
                    Some(holder) => self.budgets.refund(holder, caller.budget, 0),
                    None => caller.budget.points,
                },
            ),
        };
        let cost = cost_value(
            caller,
            requested,
            actual,
            estimate.map_or(0, |e| e.nodes),
            left,
        );
        response.extensions.insert("cost".to_owned(), cost);
    }
}

/// Brackets (`{`, `[`, `(`) a document may nest, strings and comments
/// aside. async-graphql's parser recurses once per level of an argument
/// value (a list of lists, an object in an object) with no limit of its
/// own, and a few thousand levels (a few KB of `[`) overflow a worker
/// thread's stack, which aborts the whole server (found by fuzzing). Its
/// own limit on selection sets is 64; no real document nests values more
/// than a few deep.
pub const MAX_BRACKET_NESTING: usize = 128;

/// Parses a client's document, refusing one that nests brackets deeper
/// than [`MAX_BRACKET_NESTING`] before the parser sees it, with the
/// parser's own error for a document nested too deep. Every parse of a
/// document a client sends goes through here.
pub fn parse_document(query: &str) -> Result<ExecutableDocument, async_graphql::parser::Error> {
    if nests_deeper_than(query, MAX_BRACKET_NESTING) {
        return Err(async_graphql::parser::Error::RecursionLimitExceeded);
    }
    async_graphql::parser::parse_query(query)
}

/// Whether `query` nests `{`, `[` and `(` more than `limit` deep, not
/// counting those in strings (`"…"` with `\` escapes, `"""…"""` with
/// `\"""`) and comments (`#` to the end of the line), as the parser reads
/// them.
fn nests_deeper_than(query: &str, limit: usize) -> bool {
    let b = query.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
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

/// Charges `points` to `holder`'s bucket and returns what is left, or the
/// refusal: `RATE_LIMITED` with a retry time, or `QUERY_TOO_COMPLEX` when
/// the request costs more than the whole bucket. The extension charges
/// every executed request with it, the response cache every cached answer.
pub fn charge(
    budgets: &Budgets,
    holder: Holder,
    caller: &Caller,
    points: u64,
) -> Result<u64, ServerError> {
    match budgets.charge(holder, caller.budget, points) {
        Charge::Charged { left } => Ok(left),
        Charge::Refused { .. } if points > caller.budget.points => Err(refusal(
            codes::QUERY_TOO_COMPLEX,
            format!(
                "this request costs {points} points, more than your whole budget of {}",
                caller.budget.points
            ),
            None,
        )),
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

/// `extensions.cost` of a response: the requested and actual cost, the
/// nodes, and the caller's bucket after the request.
pub fn cost_value(caller: &Caller, requested: u64, actual: u64, nodes: u64, left: u64) -> Value {
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
    cost.insert(async_graphql::Name::new("nodes"), Value::from(nodes));
    cost.insert(
        async_graphql::Name::new("throttleStatus"),
        Value::Object(throttle),
    );
    Value::Object(cost)
}

/// An upper estimate of the heap bytes of a parsed document: its nodes
/// times [`PARSED_NODE_BYTES`].
fn parsed_bytes(document: &ExecutableDocument) -> usize {
    use async_graphql::parser::types::{DocumentOperations, Selection, SelectionSet};

    fn values(value: &async_graphql_value::Value) -> usize {
        use async_graphql_value::Value;
        match value {
            Value::List(items) => 1 + items.iter().map(values).sum::<usize>(),
            Value::Object(fields) => 1 + fields.values().map(values).sum::<usize>(),
            _ => 1,
        }
    }
    fn nodes(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    1 + field
                        .arguments
                        .iter()
                        .map(|(_, value)| values(&value.node))
                        .sum::<usize>()
                        + field.directives.len()
                        + nodes(&field.selection_set.node)
                }
                Selection::InlineFragment(fragment) => {
                    1 + fragment.node.directives.len() + nodes(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => 1 + spread.node.directives.len(),
            })
            .sum()
    }
    let operation = |op: &async_graphql::parser::types::OperationDefinition| {
        1 + op.variable_definitions.len() + op.directives.len() + nodes(&op.selection_set.node)
    };
    let operations: usize = match &document.operations {
        DocumentOperations::Single(op) => operation(&op.node),
        DocumentOperations::Multiple(ops) => ops.values().map(|op| operation(&op.node)).sum(),
    };
    let fragments: usize = document
        .fragments
        .values()
        .map(|f| 1 + f.node.directives.len() + nodes(&f.node.selection_set.node))
        .sum();
    (operations + fragments) * PARSED_NODE_BYTES
}

/// Gives a copied document field names of its own.
///
/// Names are shared strings (`Arc<str>`), and async-graphql clones a
/// field's response key into every result object it builds: 760 times for
/// a 63-province ranking. A copy of a cached document would share those
/// few strings with every request in flight, so both worker threads would
/// bump the same reference counts for every field, and the cache lines
/// holding them would bounce between the cores. Fresh names cost a dozen
/// small allocations per request.
fn own_field_names(document: &mut ExecutableDocument) {
    use async_graphql::parser::types::{DocumentOperations, Selection, SelectionSet};

    fn fresh(set: &mut SelectionSet) {
        for item in &mut set.items {
            match &mut item.node {
                Selection::Field(field) => {
                    let field = &mut field.node;
                    field.name.node = Name::new(field.name.node.as_str());
                    if let Some(alias) = &mut field.alias {
                        alias.node = Name::new(alias.node.as_str());
                    }
                    fresh(&mut field.selection_set.node);
                }
                Selection::InlineFragment(fragment) => fresh(&mut fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    match &mut document.operations {
        DocumentOperations::Single(operation) => fresh(&mut operation.node.selection_set.node),
        DocumentOperations::Multiple(operations) => {
            for operation in operations.values_mut() {
                fresh(&mut operation.node.selection_set.node);
            }
        }
    }
    for fragment in document.fragments.values_mut() {
        fresh(&mut fragment.node.selection_set.node);
    }
}
