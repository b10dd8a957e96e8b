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
    /// Database URL: `sqlite://PATH?mode=rwc` (the embedded default) or
    /// `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", global = true, default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The embedded default: an SQLite file under `./data/`, created on demand.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/tiendo.sqlite?mode=rwc";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, load the demo on an empty one, and serve GraphQL.
    Serve(ServeArgs),
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
    #[arg(long, env = "TIENDO_MAX_REPORT_VALUE", default_value_t = 100_000)]
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
    /// Number of days of reports.
    #[arg(long, default_value_t = 365)]
    pub days: u32,

    /// Last day of the reports (YYYY-MM-DD).
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

    #[command(flatten)]
    pub limits: Limits,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            no_demo: false,
            no_response_cache: false,
            limits: Limits::default(),
        }
    }
}

/// Limits on what one request may ask for.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest `first` a connection accepts.
    #[arg(long, env = "TIENDO_MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: usize,

    /// Deepest selection nesting a document may have.
    #[arg(long, env = "TIENDO_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// Largest complexity (fields, multiplied down connections) per document.
    #[arg(long, env = "TIENDO_MAX_COMPLEXITY", default_value_t = 50_000)]
    pub max_complexity: usize,

    /// Largest request body in bytes (a 10,000-report batch is about 1.5 MB).
    #[arg(long, env = "TIENDO_MAX_BODY_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Most reports one `submitReports` call may carry.
    #[arg(long, env = "TIENDO_MAX_BATCH_ROWS", default_value_t = 10_000)]
    pub max_batch_rows: usize,

    /// Sanity ceiling of one report value (one unit, one day, one metric):
    /// larger values are refused as `VALUE_TOO_LARGE`.
    #[arg(long, env = "TIENDO_MAX_REPORT_VALUE", default_value_t = 100_000)]
    pub max_report_value: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_page_size: 100,
            max_depth: 15,
            max_complexity: 50_000,
            max_body_bytes: 4 * 1024 * 1024,
            max_batch_rows: 10_000,
            max_report_value: 100_000,
        }
    }
}

/// Everything the running server needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the data lives.
    pub database_url: String,
    /// Serving options.
    pub serve: ServeArgs,
}

impl Config {
    /// A configuration for tests: the given database, the demo off (tests
    /// load what they need), default limits.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        Config {
            database_url: database_url.into(),
            serve: ServeArgs {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                no_demo: true,
                ..ServeArgs::default()
            },
        }
    }
}
