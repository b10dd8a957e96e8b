//! The commands: `serve` (the default) and `export-schema`.

use std::time::Instant;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::config::{Cli, Command, Config, GenerateArgs, ServeArgs};
use crate::{AppState, demo, graphql, serve, store};

/// Runs one command. Errors come back as one line for the terminal.
pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Some(Command::ExportSchema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::Serve(args)) => run_serve(cli.database_url, args).await,
        Some(Command::Generate(args)) => run_generate(cli.database_url, args).await,
        None => run_serve(cli.database_url, ServeArgs::parse_defaults()).await,
    }
}

impl ServeArgs {
    /// The serve options when no subcommand is given, still reading the
    /// environment (`TIENDO_LISTEN`, …).
    fn parse_defaults() -> ServeArgs {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::parse_from(["tiendo"]).serve
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// Opens and migrates the database, with errors as one line.
pub async fn open(database_url: &str) -> Result<DatabaseConnection, String> {
    let db = store::connect(database_url).await.map_err(|err| {
        format!(
            "cannot open database {}: {}",
            redact(database_url),
            plain(&err)
        )
    })?;
    store::migrate(&db)
        .await
        .map_err(|err| format!("cannot migrate database: {err}"))?;
    Ok(db)
}

/// A database error as one plain line, without sea-orm's variant prefix.
fn plain(err: &sea_orm::DbErr) -> String {
    let text = err.to_string();
    let text = text
        .strip_prefix("Custom Error: ")
        .unwrap_or(&text)
        .to_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn run_serve(database_url: String, args: ServeArgs) -> Result<(), String> {
    init_tracing();
    let started = Instant::now();
    let db = open(&database_url).await?;
    if !args.no_demo {
        let loaded = demo::load_if_empty(&db, true)
            .await
            .map_err(|err| format!("cannot load the demo: {err}"))?;
        if loaded {
            tracing::info!(seconds = started.elapsed().as_secs_f64(), "demo loaded");
        }
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", args.listen))?;
    let config = Config {
        database_url,
        serve: args,
    };
    tracing::info!(
        address = %listener.local_addr().map_err(|e| e.to_string())?,
        startup_seconds = started.elapsed().as_secs_f64(),
        "serving GraphQL on /graphql"
    );
    serve(listener, AppState::new(db, config), shutdown_signal())
        .await
        .map_err(|err| format!("server failed: {err}"))
}

async fn run_generate(database_url: String, args: GenerateArgs) -> Result<(), String> {
    init_tracing();
    if args.days == 0 || args.days > 3_653 {
        return Err("--days must be between 1 and 3653".into());
    }
    let started = Instant::now();
    let db = open(&database_url).await?;
    let done = demo::national::generate(&db, args.days, args.until, args.seed, true)
        .await
        .map_err(|err| format!("cannot generate: {}", plain(&err)))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "generated {} communes × {} days: {} reports and {} stock values in {seconds:.1} s ({:.0} rows/s)",
        done.communes,
        args.days,
        done.reports,
        done.stock_values,
        (done.reports + done.stock_values) as f64 / seconds
    );
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact("sqlite://data/x.sqlite"),
            "sqlite://data/x.sqlite"
        );
    }
}
