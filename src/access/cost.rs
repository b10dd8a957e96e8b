//! The published cost model, computed from the document before it runs.
//!
//! - **Nodes** (GitHub's rule): every connection asks for `first` (or
//!   `last`) nodes, 1 to the page size, times the pages its enclosing
//!   connections and lists may return; a list that is not a connection
//!   counts the items it may return (the `ids` of `nodes`, the buckets of
//!   `series`, a published bound for the others). A request may touch at
//!   most `--max-nodes`.
//! - **Points** (what the budget is charged): 1 for the request, plus one
//!   per node, plus 10 per mutation field. The *requested* cost is charged
//!   before the request runs; its *actual* cost (1, plus every object the
//!   response holds in lists, plus 10 per mutation field; never more than
//!   requested) is what it spends, and the difference is given back.
//! - Also limited: aliases, directives, the depth of nested fields, the
//!   complexity (every field once per place it appears, fragments
//!   expanded), and the operations of a batch. Every limit is decided
//!   here, where the document is parsed, so each refusal carries its code
//!   from the start; async-graphql's own depth and complexity limits are
//!   not used.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, Value, Variables};

use crate::error::codes;

/// Points a mutation field costs on top of its nodes.
pub const MUTATION_POINTS: u64 = 10;

/// Items a list field that is not a connection may return, when its
/// arguments do not say: `(type, field, items)`.
const LIST_BOUNDS: &[(&str, &str, u64)] = &[
    ("Unit", "ancestors", 4),
    ("Campaign", "targets", 20),
    ("Campaign", "teamRanking", 100),
    ("Report", "history", 50),
    ("Catalog", "metrics", 20),
    ("Catalog", "indicators", 20),
];

/// Deepest nesting of selection sets (fragments included) the walk follows.
const MAX_NESTING: usize = 64;

/// The name of the day scalar, whose values the walk checks.
const DATE: &str = "Date";

/// An argument value as the walk reads it: a literal of the document
/// (which may name a variable) or a variable's value.
trait InputShape {
    fn variable(&self) -> Option<&Name>;
    fn string(&self) -> Option<&str>;
    /// The value's name, if it names an enum value (a literal enum value,
    /// or a string from a variable's JSON).
    fn enum_value(&self) -> Option<&str>;
    fn items(&self) -> impl Iterator<Item = &Self>;
    fn fields(&self) -> impl Iterator<Item = (&str, &Self)>;
}

impl InputShape for async_graphql_value::Value {
    fn variable(&self) -> Option<&Name> {
        match self {
            Self::Variable(name) => Some(name),
            _ => None,
        }
    }
    fn enum_value(&self) -> Option<&str> {
        match self {
            Self::Enum(name) => Some(name),
            _ => None,
        }
    }
    fn string(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
    fn items(&self) -> impl Iterator<Item = &Self> {
        match self {
            Self::List(items) => items.as_slice(),
            _ => &[],
        }
        .iter()
    }
    fn fields(&self) -> impl Iterator<Item = (&str, &Self)> {
        let fields = match self {
            Self::Object(fields) => Some(fields),
            _ => None,
        };
        fields.into_iter().flatten().map(|(k, v)| (k.as_str(), v))
    }
}

impl InputShape for Value {
    fn variable(&self) -> Option<&Name> {
        None
    }
    fn enum_value(&self) -> Option<&str> {
        match self {
            Self::Enum(name) => Some(name),
            Self::String(s) => Some(s),
            _ => None,
        }
    }
    fn string(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
    fn items(&self) -> impl Iterator<Item = &Self> {
        match self {
            Self::List(items) => items.as_slice(),
            _ => &[],
        }
        .iter()
    }
    fn fields(&self) -> impl Iterator<Item = (&str, &Self)> {
        let fields = match self {
            Self::Object(fields) => Some(fields),
            _ => None,
        };
        fields.into_iter().flatten().map(|(k, v)| (k.as_str(), v))
    }
}

/// Items of any other list.
const DEFAULT_LIST_BOUND: u64 = 20;

/// The limits a document is checked against.
#[derive(Debug, Clone, Copy)]
pub struct CostLimits {
    /// The page size of a connection (`first`/`last` at most this).
    pub max_page: u64,
    /// Nodes one request may touch.
    pub max_nodes: u64,
    /// Aliased fields in one document.
    pub max_aliases: usize,
    /// Directives in one document.
    pub max_directives: usize,
    /// Nested fields, the root field counting 1.
    pub max_depth: usize,
    /// Fields of the operation, fragments expanded where they are spread.
    pub max_complexity: usize,
}

/// What the document asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimate {
    pub nodes: u64,
    /// The requested cost, in points.
    pub points: u64,
    pub mutation: bool,
    /// The root fields, as the audit log records them.
    pub root_fields: Vec<String>,
    /// Mutation fields (10 points each).
    pub mutation_fields: u64,
    /// The name of the operation that runs, if it has one.
    pub operation_name: Option<String>,
}

/// Why a document is refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    /// The argument at fault, when there is one.
    pub argument: Option<String>,
}

impl Refusal {
    fn complex(message: String) -> Self {
        Refusal {
            code: codes::QUERY_TOO_COMPLEX,
            message,
            argument: None,
        }
    }
}

struct Walk<'a> {
    registry: &'a Registry,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: CostLimits,
    nodes: u64,
    aliases: usize,
    directives: usize,
    /// Fragment spreads being expanded (a cycle is refused; validation,
    /// which runs later, would refuse it too).
    spreads: Vec<Name>,
    /// Selection sets entered and not yet left.
    nesting: usize,
    /// Fields entered and not yet left.
    depth: usize,
    /// Fields walked so far (the complexity).
    fields: usize,
}

/// The operation that runs: the named one, or the only one.
pub fn operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// Estimates the operation `name` of `document` against `limits`.
pub fn estimate(
    registry: &Registry,
    document: &ExecutableDocument,
    name: Option<&str>,
    variables: &Variables,
    limits: CostLimits,
) -> Result<Estimate, Refusal> {
    let operation_name = match (&document.operations, name) {
        (_, Some(name)) => Some(name.to_owned()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.keys().next().map(|n| n.to_string())
        }
        _ => None,
    };
    let Some(op) = operation(document, name) else {
        // Validation reports the missing operation with its own message.
        return Ok(Estimate::default());
    };
    let root = match op.ty {
        OperationType::Query => registry.query_type.as_str(),
        OperationType::Mutation => registry.mutation_type.as_deref().unwrap_or(""),
        OperationType::Subscription => registry.subscription_type.as_deref().unwrap_or(""),
    };
    let mut walk = Walk {
        registry,
        document,
        variables,
        limits,
        nodes: 0,
        aliases: 0,
        directives: op.directives.len(),
        spreads: Vec::new(),
        nesting: 0,
        depth: 0,
        fields: 0,
    };
    let mut root_fields = Vec::new();
    collect_root_fields(document, &op.selection_set.node, &mut root_fields, 0);
    walk.selection_set(&op.selection_set.node, root, 1, None)?;
    if walk.aliases > limits.max_aliases {
        return Err(Refusal::complex(format!(
            "the document has {} aliases; at most {} are allowed",
            walk.aliases, limits.max_aliases
        )));
    }
    if walk.directives > limits.max_directives {
        return Err(Refusal::complex(format!(
            "the document has {} directives; at most {} are allowed",
            walk.directives, limits.max_directives
        )));
    }
    if walk.nodes > limits.max_nodes {
        return Err(Refusal::complex(format!(
            "the document may touch {} nodes; at most {} are allowed (connections multiply: \
             `first` times the pages of the connections around it)",
            walk.nodes, limits.max_nodes
        )));
    }
    let mutation = op.ty == OperationType::Mutation;
    let mutation_fields = if mutation {
        root_fields.len() as u64
    } else {
        0
    };
    Ok(Estimate {
        nodes: walk.nodes,
        points: 1 + walk.nodes + MUTATION_POINTS * mutation_fields,
        mutation,
        root_fields,
        mutation_fields,
        operation_name,
    })
}

fn collect_root_fields(
    document: &ExecutableDocument,
    set: &SelectionSet,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => out.push(field.node.name.node.to_string()),
            Selection::InlineFragment(fragment) => {
                collect_root_fields(document, &fragment.node.selection_set.node, out, depth + 1)
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect_root_fields(document, &fragment.node.selection_set.node, out, depth + 1)
                }
            }
        }
    }
}

impl Walk<'_> {
    fn argument(&self, field: &async_graphql::parser::types::Field, name: &str) -> Option<Value> {
        let (_, value) = field.arguments.iter().find(|(n, _)| n.node == name)?;
        value
            .node
            .clone()
            .into_const_with(|var| {
                Ok::<_, ()>(self.variables.get(&var).cloned().unwrap_or(Value::Null))
            })
            .ok()
    }

    /// Walks a selection set of type `ty`; `multiplier` is how many times
    /// it may be resolved; `page` is set when `ty` is a connection asked
    /// for `page` nodes (its `edges` and `nodes` repeat that many times).
    fn selection_set(
        &mut self,
        set: &SelectionSet,
        ty: &str,
        multiplier: u64,
        page: Option<u64>,
    ) -> Result<(), Refusal> {
        // The estimate runs before validation (which limits the depth): a
        // document nested absurdly deep stops here, not on the stack.
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(Refusal::complex(format!(
                "the document is nested too deep (more than {MAX_NESTING} selection sets)"
            )));
        }
        let walked = self.selection_items(set, ty, multiplier, page);
        self.nesting -= 1;
        walked
    }

    fn selection_items(
        &mut self,
        set: &SelectionSet,
        ty: &str,
        multiplier: u64,
        page: Option<u64>,
    ) -> Result<(), Refusal> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.directives += field.directives.len();
                    if field.alias.is_some() {
                        self.aliases += 1;
                    }
                    self.enter_field()?;
                    self.field(field, ty, multiplier, page)?;
                    self.depth -= 1;
                }
                Selection::InlineFragment(fragment) => {
                    self.directives += fragment.node.directives.len();
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(ty, |c| c.node.on.node.as_str());
                    let page = if on == ty { page } else { None };
                    self.selection_set(&fragment.node.selection_set.node, on, multiplier, page)?;
                }
                Selection::FragmentSpread(spread) => {
                    self.directives += spread.node.directives.len();
                    let name = &spread.node.fragment_name.node;
                    if self.spreads.contains(name) || self.spreads.len() > 32 {
                        return Err(Refusal::complex(format!(
                            "fragment `{name}` spreads itself"
                        )));
                    }
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    let on = fragment.node.type_condition.node.on.node.as_str();
                    let page = if on == ty { page } else { None };
                    self.spreads.push(name.clone());
                    self.selection_set(&fragment.node.selection_set.node, on, multiplier, page)?;
                    self.spreads.pop();
                }
            }
        }
        Ok(())
    }

    /// Counts a field against the depth and complexity limits, as soon as
    /// it is reached: a document of fragments spread within fragments
    /// stops at the limit instead of being expanded in full.
    fn enter_field(&mut self) -> Result<(), Refusal> {
        self.depth += 1;
        self.fields += 1;
        if self.depth > self.limits.max_depth {
            return Err(Refusal::complex(format!(
                "the document nests fields more than {} deep",
                self.limits.max_depth
            )));
        }
        if self.fields > self.limits.max_complexity {
            return Err(Refusal::complex(format!(
                "the document has more than {} fields, counting each fragment \
                 once per place it is spread",
                self.limits.max_complexity
            )));
        }
        Ok(())
    }

    fn field(
        &mut self,
        field: &async_graphql::parser::types::Field,
        ty: &str,
        multiplier: u64,
        page: Option<u64>,
    ) -> Result<(), Refusal> {
        let name = field.name.node.as_str();
        if name.starts_with("__") {
            return Ok(());
        }
        let Some(meta) = self
            .registry
            .types
            .get(ty)
            .and_then(|t| t.field_by_name(name))
        else {
            // Validation refuses unknown fields.
            return Ok(());
        };
        for (argument, value) in &field.arguments {
            if let Some(declared) = meta.args.get(argument.node.as_str()) {
                let mut path = argument.node.to_string();
                self.check_input(&value.node, &declared.ty, &mut path)?;
            }
        }
        let target = MetaTypeName::concrete_typename(&meta.ty);
        let children = &field.selection_set.node;
        // A connection's `edges` and `nodes` repeat once per node asked.
        if let Some(n) = page {
            if name == "edges" || name == "nodes" {
                return self.selection_set(children, target, multiplier.saturating_mul(n), None);
            }
        }
        if self.is_connection(target) {
            let n = self.page_size(field, name)?;
            self.nodes = self.nodes.saturating_add(multiplier.saturating_mul(n));
            return self.selection_set(children, target, multiplier, Some(n));
        }
        if meta.ty.contains('[') {
            let n = self.list_bound(field, ty, name);
            self.nodes = self.nodes.saturating_add(multiplier.saturating_mul(n));
            return self.selection_set(children, target, multiplier.saturating_mul(n), None);
        }
        self.selection_set(children, target, multiplier, None)
    }

    /// Refuses an argument value with a `Date` that is not a `YYYY-MM-DD`
    /// day (the one day parser decides) or an enum value its enum does not
    /// have, at any depth of lists and input objects, literal or from a
    /// variable: decided here, where the document is read, with the
    /// argument's path (`period.from`, `input.reports.3.day`). Nullability
    /// and the built-in scalars are validation's.
    fn check_input<V: InputShape>(
        &self,
        value: &V,
        ty: &str,
        path: &mut String,
    ) -> Result<(), Refusal> {
        if let Some(name) = value.variable() {
            return match self.variables.get(name) {
                Some(value) => self.check_input(value, ty, path),
                None => Ok(()),
            };
        }
        let ty = ty.strip_suffix('!').unwrap_or(ty);
        if let Some(item) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            for (i, element) in value.items().enumerate() {
                let at = path.len();
                path.push_str(&format!(".{i}"));
                self.check_input(element, item, path)?;
                path.truncate(at);
            }
            return Ok(());
        }
        if ty == DATE {
            return match value.string() {
                Some(s) if crate::model::day::parse_date(s).is_none() => Err(Refusal {
                    code: codes::BAD_USER_INPUT,
                    message: format!("`{path}`: `{s}` is not a date in YYYY-MM-DD form"),
                    argument: Some(path.clone()),
                }),
                _ => Ok(()),
            };
        }
        let input_fields = match self.registry.types.get(ty) {
            Some(MetaType::InputObject { input_fields, .. }) => input_fields,
            Some(MetaType::Enum { enum_values, .. }) => {
                return match value.enum_value() {
                    Some(name) if !enum_values.contains_key(name) => Err(Refusal {
                        code: codes::BAD_USER_INPUT,
                        message: format!(
                            "`{path}`: `{name}` is not a value of `{ty}` (one of {})",
                            enum_values
                                .keys()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        argument: Some(path.clone()),
                    }),
                    _ => Ok(()),
                };
            }
            _ => return Ok(()),
        };
        for (key, element) in value.fields() {
            if let Some(declared) = input_fields.get(key) {
                let at = path.len();
                path.push('.');
                path.push_str(key);
                self.check_input(element, &declared.ty, path)?;
                path.truncate(at);
            }
        }
        Ok(())
    }

    fn is_connection(&self, ty: &str) -> bool {
        ty.ends_with("Connection")
            && matches!(
                self.registry.types.get(ty),
                Some(MetaType::Object { fields, .. }) if fields.contains_key("pageInfo")
            )
    }

    /// `first` or `last` of a connection field: required, 1 to the page size.
    fn page_size(
        &self,
        field: &async_graphql::parser::types::Field,
        name: &str,
    ) -> Result<u64, Refusal> {
        let asked = ["first", "last"]
            .into_iter()
            .find_map(|arg| match self.argument(field, arg) {
                Some(Value::Number(n)) => Some((arg, n.as_i64())),
                _ => None,
            });
        match asked {
            Some((_, Some(n))) if n >= 0 && (n as u64) <= self.limits.max_page => Ok(n as u64),
            Some((arg, _)) => Err(Refusal {
                code: codes::BAD_USER_INPUT,
                message: format!(
                    "`{name}` asks for too many nodes: `{arg}` must be between 0 and {}",
                    self.limits.max_page
                ),
                argument: Some(arg.into()),
            }),
            None => Err(Refusal {
                code: codes::BAD_USER_INPUT,
                message: format!(
                    "`{name}` is a connection: it needs `first` (0 to {})",
                    self.limits.max_page
                ),
                argument: Some("first".into()),
            }),
        }
    }

    fn list_bound(&self, field: &async_graphql::parser::types::Field, ty: &str, name: &str) -> u64 {
        if name == "nodes" {
            if let Some(Value::List(ids)) = self.argument(field, "ids") {
                return ids.len() as u64;
            }
        }
        if name == "series" {
            if let Some(n) = self.series_buckets(field) {
                return n;
            }
        }
        LIST_BOUNDS
            .iter()
            .find(|(t, f, _)| *t == ty && *f == name)
            .map_or(DEFAULT_LIST_BOUND, |(_, _, n)| *n)
    }

    /// The buckets of `series(period, granularity)`.
    fn series_buckets(&self, field: &async_graphql::parser::types::Field) -> Option<u64> {
        let Some(Value::Object(period)) = self.argument(field, "period") else {
            return None;
        };
        let day = |key: &str| match period.get(key) {
            Some(Value::String(s)) => crate::model::day::parse_date(s),
            _ => None,
        };
        let days = (day("to")? - day("from")?).num_days().max(0) as u64 + 1;
        let per_bucket = match self.argument(field, "granularity") {
            Some(Value::Enum(g)) => match g.as_str() {
                "DAY" => 1,
                "WEEK" => 7,
                "MONTH" => 28,
                "QUARTER" => 90,
                _ => 365,
            },
            _ => 1,
        };
        Some(days / per_bucket + 2)
    }
}

/// The actual nodes of a response: every object it holds in a list.
pub fn actual_nodes(data: &Value) -> u64 {
    match data {
        Value::List(items) => items
            .iter()
            .map(|item| u64::from(matches!(item, Value::Object(_))) + actual_nodes(item))
            .sum(),
        Value::Object(fields) => fields.values().map(actual_nodes).sum(),
        _ => 0,
    }
}
