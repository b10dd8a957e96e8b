//! One configuration, parsed once from the command line and the environment.
//!
//! Every flag has an environment variable, and its `///` doubles as the
//! `--help` text. Query limits live here too, so an operator can tune them
//! without a rebuild.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

/// tiendo: GraphQL API for Đề án 06 campaign progress.
#[derive(Debug, Parser)]
#[command(name = "tiendo", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which database, and how many connections to it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH?mode=rwc` (the embedded default) or
    /// `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", global = true, default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Most connections this process opens to the database.
    #[arg(long, env = "TIENDO_DB_POOL_SIZE", global = true, help = pool_size_help())]
    pub db_pool_size: Option<u32>,
}

fn pool_size_help() -> String {
    format!(
        "Most connections this process opens to the database [default: {} on SQLite, {} on \
         PostgreSQL; an in-memory SQLite database always has 1]",
        crate::store::SQLITE_POOL_SIZE,
        crate::store::POSTGRES_POOL_SIZE
    )
}

impl DatabaseArgs {
    /// The database at `url`, with the default pool.
    pub fn at(url: impl Into<String>) -> Self {
        DatabaseArgs {
            database_url: url.into(),
            db_pool_size: None,
        }
    }
}

/// The embedded default: an SQLite file under `./data/`, created on demand.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tiendo.sqlite?mode=rwc";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, load the demo on an empty one, and serve GraphQL.
    Serve(Box<ServeArgs>),
    /// Print the GraphQL schema (SDL) that `schema.graphql` holds.
    ExportSchema,
    /// Fill an empty database with the national-scale synthetic dataset
    /// (every commune, N days of reports) for benchmarks.
    Generate(GenerateArgs),
    /// Check a CSV file of reports and stock values, then write all of it
    /// in one transaction (or nothing, if any line is wrong).
    Import(ImportArgs),
    /// Write every stock value and report as CSV (the format `import` reads).
    Export(ExportArgs),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Register trusted documents (the allow-list and persisted queries).
    #[command(subcommand)]
    Documents(DocumentsCommand),
    /// The crosswalk between the 2023 and 2025 maps: load real shares of
    /// split communes in place of the shipped equal defaults.
    #[command(subcommand)]
    Crosswalk(CrosswalkCommand),
}

/// `tiendo crosswalk …`.
#[derive(Debug, Subcommand)]
pub enum CrosswalkCommand {
    /// Check a CSV file of shares (`old_code,new_code,share`: a 2023
    /// commune, a 2025 commune, the part of the old that went to the new)
    /// and replace the shares of every old commune it names, in one
    /// transaction; a file with any bad line writes nothing and every bad
    /// line is printed.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Check every line, but write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `tiendo keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; the key itself is printed once, as the last line.
    Create(KeyCreateArgs),
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by id: it takes a data version, so every running server
    /// refuses the key as soon as it follows (at once with PostgreSQL,
    /// within a second with SQLite).
    Revoke {
        /// The key's id (see `keys list`).
        id: i64,
    },
}

/// Options of `tiendo keys create`.
#[derive(Debug, Clone, Args)]
pub struct KeyCreateArgs {
    /// ADMIN, OFFICER, VIEWER or PARTNER.
    #[arg(long)]
    pub role: String,
    /// The root of the key's scope, as LEVEL:CODE (e.g. province:42);
    /// required for OFFICER and VIEWER, optional for PARTNER, none for ADMIN.
    #[arg(long)]
    pub unit: Option<String>,
    /// The map of `--unit`: VN2023 or VN2025 (default: the map in force
    /// today).
    #[arg(long)]
    pub map: Option<String>,
    /// Who holds the key (shown in history and the audit log).
    #[arg(long)]
    pub name: Option<String>,
    /// Only registered documents run with this key.
    #[arg(long)]
    pub allow_list_only: bool,
    /// The key's own budget in points (default: the server's).
    #[arg(long)]
    pub budget: Option<i64>,
    /// Points given back per second (default: the server's).
    #[arg(long)]
    pub refill: Option<i64>,
}

/// `tiendo documents …`.
#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// Register the GraphQL document in FILE; prints its sha256 hash.
    Register {
        /// A file holding one GraphQL document.
        file: std::path::PathBuf,
        /// A name for people (default: the file name).
        #[arg(long)]
        name: Option<String>,
    },
    /// List registered documents.
    List,
}

/// Options of `tiendo import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The CSV file (format in the README).
    pub file: std::path::PathBuf,

    /// Check every line and print the summary, but write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Sanity ceiling of one report value (as the server's option).
    #[arg(long, env = "TIENDO_MAX_REPORT_VALUE", default_value_t = 100_000,
          value_parser = clap::value_parser!(i64).range(0..=crate::model::values::MAX_VALUE))]
    pub max_report_value: i64,

    /// Who the written reports are attributed to.
    #[arg(long, default_value = "import")]
    pub actor: String,
}

/// Options of `tiendo export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
}

/// Options of `tiendo generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Number of days of reports, ending on `--until` (unless `--from` is
    /// given).
    #[arg(long, default_value_t = 365)]
    pub days: u32,

    /// First day of the reports (YYYY-MM-DD); replaces `--days`.
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,

    /// Last day of the reports (YYYY-MM-DD). Days until 2025-06-30 are
    /// reported by the 2023 map's communes, later days by the 2025 map's.
    #[arg(long, default_value = "2023-12-31")]
    pub until: chrono::NaiveDate,

    /// Seed of the random values (the same seed gives the same dataset).
    #[arg(long, default_value_t = 2023)]
    pub seed: u64,
}

/// Options of `tiendo serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TIENDO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Do not load the demo (reference scenario) into an empty database.
    #[arg(long, env = "TIENDO_NO_DEMO")]
    pub no_demo: bool,

    /// Turn the response cache off (for benchmarks and debugging).
    #[arg(long, env = "TIENDO_NO_RESPONSE_CACHE")]
    pub no_response_cache: bool,

    /// Size of the response cache in MiB (keys and serialized responses);
    /// the least used answers are dropped beyond it.
    #[arg(long, env = "TIENDO_RESPONSE_CACHE_MB", default_value_t = 64)]
    pub response_cache_mb: u64,

    /// Serve GraphiQL to browsers even with `--production` (without
    /// `--production` it is always served).
    #[arg(long, env = "TIENDO_GRAPHIQL")]
    pub graphiql: bool,

    /// Load the demo (reference scenario) into an empty database of any
    /// kind. Without it the demo loads only into an empty SQLite database
    /// (the embedded default); an empty PostgreSQL database stays empty.
    #[arg(long, env = "TIENDO_DEMO", conflicts_with = "no_demo")]
    pub demo: bool,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub access: AccessArgs,

    #[command(flatten)]
    pub bounds: Bounds,

    #[command(flatten)]
    pub front_door: FrontDoor,
}

impl ServeArgs {
    /// Whether an empty database at `database_url` gets the demo.
    pub fn loads_demo(&self, database_url: &str) -> bool {
        !self.no_demo && (self.demo || database_url.starts_with("sqlite:"))
    }

    /// Whether browsers get GraphiQL on `GET /graphql`.
    pub fn serves_graphiql(&self) -> bool {
        !self.access.production || self.graphiql
    }
}

/// The byte bounds of everything a client can make the server keep
/// between requests. Together with the request bounds of [`FrontDoor`]
/// they make the worst case the README states.
#[derive(Debug, Clone, Args)]
pub struct Bounds {
    /// Largest document the persisted-query store (APQ) keeps, in bytes;
    /// a larger one still runs, but is not stored.
    #[arg(long, env = "TIENDO_PERSISTED_QUERY_MAX_BYTES", default_value_t = 32 * 1024)]
    pub persisted_query_max_bytes: usize,

    /// Points storing a persisted document costs per started KiB, charged
    /// to the caller's budget before it is stored.
    #[arg(
        long,
        env = "TIENDO_PERSISTED_QUERY_POINTS_PER_KIB",
        default_value_t = 10
    )]
    pub persisted_query_points_per_kib: u64,

    /// Persisted documents of all keys together, in MiB; each key has a
    /// partition of its own of `--persisted-queries-per-key-kb`.
    #[arg(long, env = "TIENDO_PERSISTED_QUERIES_MB", default_value_t = 32)]
    pub persisted_queries_mb: u64,

    /// One key's partition of the persisted-query store, in KiB: a key
    /// flooding the store evicts only its own documents.
    #[arg(
        long,
        env = "TIENDO_PERSISTED_QUERIES_PER_KEY_KB",
        default_value_t = 512
    )]
    pub persisted_queries_per_key_kb: u64,

    /// Persisted documents of callers without a key, in MiB: kept apart
    /// from the keys' partitions, and admitted by frequency so that a flood
    /// of new documents does not push out the ones in use.
    #[arg(
        long,
        env = "TIENDO_PERSISTED_QUERIES_ANONYMOUS_MB",
        default_value_t = 4
    )]
    pub persisted_queries_anonymous_mb: u64,

    /// Registered (trusted) documents kept in memory, in MiB (the database
    /// holds them all; the least used are read again when asked).
    #[arg(long, env = "TIENDO_REGISTERED_DOCUMENTS_MB", default_value_t = 16)]
    pub registered_documents_mb: u64,

    /// Parsed documents kept, in MiB (dashboards send the same few over
    /// and over).
    #[arg(long, env = "TIENDO_PARSE_CACHE_MB", default_value_t = 32)]
    pub parse_cache_mb: u64,

    /// Rankings kept for the current data version, in MiB.
    #[arg(long, env = "TIENDO_RANK_CACHE_MB", default_value_t = 64)]
    pub rank_cache_mb: u64,

    /// Points budgets of keys and client addresses, in MiB (a bucket is
    /// forgotten once it is full again).
    #[arg(long, env = "TIENDO_BUDGET_TABLE_MB", default_value_t = 16)]
    pub budget_table_mb: u64,

    /// Checked API keys kept (for at most 5 s each), in MiB.
    #[arg(long, env = "TIENDO_KEY_CACHE_MB", default_value_t = 4)]
    pub key_cache_mb: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        defaults()
    }
}

impl Bounds {
    /// The bounds of the access layer's tables.
    pub fn access(&self) -> crate::access::AccessBounds {
        crate::access::AccessBounds {
            key_cache_bytes: mib(self.key_cache_mb),
            budget_table_bytes: mib(self.budget_table_mb),
            documents: crate::access::documents::DocumentBounds {
                max_document_bytes: self.persisted_query_max_bytes,
                keys_bytes: mib(self.persisted_queries_mb),
                per_key_bytes: self.persisted_queries_per_key_kb.saturating_mul(1024),
                anonymous_bytes: mib(self.persisted_queries_anonymous_mb),
                registered_bytes: mib(self.registered_documents_mb),
            },
        }
    }
}

/// Mebibytes to bytes.
pub fn mib(n: u64) -> u64 {
    n.saturating_mul(1024 * 1024)
}

/// Connections, slow clients and the proxies in front of the server.
#[derive(Debug, Clone, Args)]
pub struct FrontDoor {
    /// Open connections at once; one more is answered 503 and closed.
    #[arg(long, env = "TIENDO_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Longest a client may take to send a request's headers, and longest
    /// an idle keep-alive connection stays open, in milliseconds.
    #[arg(long, env = "TIENDO_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,

    /// Longest a client may take to send a request's body, in
    /// milliseconds (408 after it: a slow sender loses its place).
    #[arg(long, env = "TIENDO_BODY_READ_TIMEOUT_MS", default_value_t = 30_000)]
    pub body_read_timeout_ms: u64,

    /// A body larger than this many bytes (or of unknown length) is a
    /// large one: it needs an API key, counts against
    /// `--upload-buffer-mb` while it arrives, and runs in one of
    /// `--large-request-slots`.
    #[arg(long, env = "TIENDO_LARGE_BODY_BYTES", default_value_t = 64 * 1024)]
    pub large_body_bytes: usize,

    /// Large bodies being received at once, in MiB (their declared
    /// lengths; a body of unknown length counts as `--max-body-bytes`).
    #[arg(long, env = "TIENDO_UPLOAD_BUFFER_MB", default_value_t = 64)]
    pub upload_buffer_mb: u64,

    /// Large requests parsed and run at once (a parsed 10,000-row batch
    /// holds tens of MB).
    #[arg(long, env = "TIENDO_LARGE_REQUEST_SLOTS", default_value_t = 2)]
    pub large_request_slots: usize,

    /// A proxy or balancer whose `Forwarded` / `X-Forwarded-For` headers
    /// name the client (an address or CIDR block; repeatable, or
    /// comma-separated in the variable). From any other peer those headers
    /// are ignored and the socket's address is the client's.
    #[arg(
        long = "trusted-proxy",
        env = "TIENDO_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = crate::http::client::Cidr::parse
    )]
    pub trusted_proxies: Vec<crate::http::client::Cidr>,
}

impl Default for FrontDoor {
    fn default() -> Self {
        defaults()
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        defaults()
    }
}

/// Who may call, and what a caller may spend.
#[derive(Debug, Clone, Args)]
pub struct AccessArgs {
    /// Production mode: introspection and field suggestions off for PARTNER
    /// keys and callers without a key, and no GraphiQL (unless `--graphiql`).
    #[arg(long, env = "TIENDO_PRODUCTION")]
    pub production: bool,

    /// Refuse requests without an API key (`UNAUTHENTICATED`).
    #[arg(long, env = "TIENDO_NO_ANONYMOUS")]
    pub no_anonymous: bool,

    /// The finest level a request without a key sees (ministry, province,
    /// district, commune); it never sees reports or their history.
    #[arg(long, env = "TIENDO_ANONYMOUS_LEVEL", default_value = "province", value_parser = parse_level)]
    pub anonymous_level: entity::unit::UnitLevel,

    /// Requests without a key run only registered documents.
    #[arg(long, env = "TIENDO_ANONYMOUS_ALLOW_LIST")]
    pub anonymous_allow_list: bool,

    /// Budget of a caller without a key (per client address), in points.
    #[arg(long, env = "TIENDO_ANONYMOUS_BUDGET", default_value_t = 10_000)]
    pub anonymous_budget: u64,
    /// Points given back per second to a caller without a key.
    #[arg(long, env = "TIENDO_ANONYMOUS_REFILL", default_value_t = 1_000)]
    pub anonymous_refill: u64,

    /// Budget of a key that sets none, in points.
    #[arg(long, env = "TIENDO_KEY_BUDGET", default_value_t = 60_000)]
    pub key_budget: u64,
    /// Points given back per second to a key that sets none.
    #[arg(long, env = "TIENDO_KEY_REFILL", default_value_t = 6_000)]
    pub key_refill: u64,

    /// Replicas serving behind one address: each keeps 1/N of every budget,
    /// so a caller spreading requests over them spends what is published.
    #[arg(long, env = "TIENDO_BUDGET_REPLICAS", default_value_t = 1)]
    pub budget_replicas: u64,

    /// Browser origins allowed to call the API (CORS); none by default.
    #[arg(
        long = "cors-origin",
        env = "TIENDO_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
}

fn parse_level(text: &str) -> Result<entity::unit::UnitLevel, String> {
    entity::unit::UnitLevel::parse(&text.to_ascii_lowercase())
        .ok_or_else(|| format!("unknown level `{text}` (ministry, province, district, commune)"))
}

impl Default for AccessArgs {
    fn default() -> Self {
        defaults()
    }
}

impl AccessArgs {
    /// The settings the access layer works with.
    pub fn settings(&self) -> crate::access::AccessSettings {
        use crate::access::budget::Allowance;
        crate::access::AccessSettings {
            production: self.production,
            anonymous: !self.no_anonymous,
            anonymous_finest: self.anonymous_level,
            anonymous_introspection: !self.production,
            anonymous_allow_list_only: self.anonymous_allow_list,
            anonymous_budget: Allowance {
                points: self.anonymous_budget,
                per_second: self.anonymous_refill,
            }
            .per_replica(self.budget_replicas),
            key_budget: Allowance {
                points: self.key_budget,
                per_second: self.key_refill,
            }
            .per_replica(self.budget_replicas),
            budget_replicas: self.budget_replicas,
        }
    }
}

/// Limits on what one request may ask for.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest `first` a connection accepts.
    #[arg(long, env = "TIENDO_MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: usize,

    /// Deepest nesting of fields a document may have (the root field
    /// counts 1).
    #[arg(long, env = "TIENDO_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// Most fields a document may have, each fragment counted once per
    /// place it is spread.
    #[arg(long, env = "TIENDO_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,

    /// Largest request body in bytes (a 10,000-report batch is about 1.5 MB).
    #[arg(long, env = "TIENDO_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most reports one `submitReports` call may carry.
    #[arg(long, env = "TIENDO_MAX_BATCH_ROWS", default_value_t = 10_000)]
    pub max_batch_rows: usize,

    /// Sanity ceiling of one report value (one unit, one day, one metric):
    /// larger values are refused as `VALUE_TOO_LARGE`. At most 2147483647
    /// (GraphQL's `Int`, the width of every value end to end).
    #[arg(long, env = "TIENDO_MAX_REPORT_VALUE", default_value_t = 100_000,
          value_parser = clap::value_parser!(i64).range(0..=crate::model::values::MAX_VALUE))]
    pub max_report_value: i64,

    /// Most nodes one request may touch (connections multiply down each
    /// path, as GitHub counts them).
    #[arg(long, env = "TIENDO_MAX_NODES", default_value_t = 50_000)]
    pub max_nodes: u64,

    /// Most aliased fields in one document.
    #[arg(long, env = "TIENDO_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Most directives in one document.
    #[arg(long, env = "TIENDO_MAX_DIRECTIVES", default_value_t = 20)]
    pub max_directives: usize,

    /// Most operations in one batched request (a JSON array of requests).
    #[arg(long, env = "TIENDO_MAX_BATCH_OPERATIONS", default_value_t = 10)]
    pub max_batch_operations: usize,

    /// Longest a query may run, in milliseconds (`TIMEOUT`).
    #[arg(long, env = "TIENDO_QUERY_TIMEOUT_MS", default_value_t = 10_000)]
    pub query_timeout_ms: u64,

    /// Longest a request waits for the rollup engine's first snapshot
    /// while the server warms up, in milliseconds; then it is answered
    /// `UNAVAILABLE` (HTTP 503 with `Retry-After` where the media type
    /// allows), never left to time out.
    #[arg(long, env = "TIENDO_WARM_UP_WAIT_MS", default_value_t = 1_000)]
    pub warm_up_wait_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        defaults()
    }
}

/// The value of every flag of `T` when none is given and the environment
/// is ignored: the defaults of its `#[arg]` attributes, so that each
/// default is written once, where `--help` reads it.
fn defaults<T: Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults")).mut_args(|arg| arg.env(None));
    let matches = command
        .try_get_matches_from(["defaults"])
        .unwrap_or_else(|err| panic!("a flag without a default: {err}"));
    T::from_arg_matches(&matches).unwrap_or_else(|err| panic!("defaults do not parse: {err}"))
}

/// Everything the running server needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the data lives.
    pub database: DatabaseArgs,
    /// Serving options.
    pub serve: ServeArgs,
}

impl Config {
    /// A configuration for tests: the given database, the demo off (tests
    /// load what they need), default limits.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Config {
            database: DatabaseArgs::at(database_url),
            serve: ServeArgs {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                no_demo: true,
                ..ServeArgs::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every argument of `command` and its subcommands, with the path to it.
    fn arguments(command: &clap::Command, path: &str, out: &mut Vec<(String, clap::Arg)>) {
        for arg in command.get_arguments() {
            out.push((format!("{path} {}", arg.get_id()), arg.clone()));
        }
        for sub in command.get_subcommands() {
            arguments(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_flag_has_help_text() {
        let mut all = Vec::new();
        arguments(&Cli::command(), "tiendo", &mut all);
        assert!(all.len() > 40, "the walk found the flags ({})", all.len());
        let bare: Vec<&String> = all
            .iter()
            .filter(|(_, arg)| {
                let generated = matches!(arg.get_id().as_str(), "help" | "version");
                !generated
                    && arg
                        .get_help()
                        .is_none_or(|help| help.to_string().trim().is_empty())
            })
            .map(|(path, _)| path)
            .collect();
        assert!(bare.is_empty(), "flags without --help text: {bare:?}");
    }

    #[test]
    fn defaults_are_the_flags_defaults() {
        // Parsing no flags through the real command line gives what
        // `Default` gives (when the environment sets none of them).
        let parsed = Cli::try_parse_from(["tiendo", "serve"]).expect("parses");
        let Some(Command::Serve(serve)) = parsed.command else {
            panic!("serve")
        };
        let defaults = ServeArgs::default();
        if std::env::vars().all(|(name, _)| !name.starts_with("TIENDO_")) {
            assert_eq!(format!("{serve:?}"), format!("{defaults:?}"));
        }
        assert_eq!(defaults.limits.max_page_size, 100);
        assert_eq!(defaults.bounds.rank_cache_mb, 64);
    }
}
