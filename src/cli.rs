//! The commands: `serve` (the default) and `export-schema`.

use std::time::Instant;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::config::{
    Cli, Command, Config, CrosswalkCommand, DatabaseArgs, DocumentsCommand, ExportArgs,
    GenerateArgs, ImportArgs, KeysCommand, ServeArgs,
};
use crate::{AppState, demo, graphql, serve, store};

/// Runs one command. Errors come back as one line for the terminal.
pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Some(Command::ExportSchema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::Serve(args)) => run_serve(cli.database, *args).await,
        Some(Command::Generate(args)) => run_generate(cli.database, args).await,
        Some(Command::Import(args)) => run_import(cli.database, args).await,
        Some(Command::Export(args)) => run_export(cli.database, args).await,
        Some(Command::Keys(command)) => run_keys(cli.database, command).await,
        Some(Command::Documents(command)) => run_documents(cli.database, command).await,
        Some(Command::Crosswalk(command)) => run_crosswalk(cli.database, command).await,
        None => run_serve(cli.database, ServeArgs::parse_defaults()).await,
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
        // Logs go to stderr, so a command's own output (an import's
        // summary, an export) stays clean on stdout, and colours only when
        // stderr is a terminal.
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Opens and migrates the database, with errors as one line.
pub async fn open(database: &DatabaseArgs) -> Result<DatabaseConnection, String> {
    let url = &database.database_url;
    let db = store::connect_sized(url, database.db_pool_size)
        .await
        .map_err(|err| format!("cannot open database {}: {}", redact(url), plain(&err)))?;
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

async fn run_serve(database: DatabaseArgs, args: ServeArgs) -> Result<(), String> {
    init_tracing();
    let started = Instant::now();
    let db = open(&database).await?;
    if args.loads_demo(&database.database_url) {
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
        database,
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

async fn run_generate(database: DatabaseArgs, args: GenerateArgs) -> Result<(), String> {
    init_tracing();
    let from = args
        .from
        .unwrap_or_else(|| args.until - chrono::Duration::days(i64::from(args.days) - 1));
    let days = (args.until - from).num_days() + 1;
    if args.days == 0 || !(1..=3_653).contains(&days) {
        return Err("the reports must span 1 to 3653 days (--days, or --from to --until)".into());
    }
    let started = Instant::now();
    let db = open(&database).await?;
    let done = demo::national::generate(&db, from, args.until, args.seed, true)
        .await
        .map_err(|err| format!("cannot generate: {}", plain(&err)))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "generated {from} to {}, {} days (2023 communes: {}): {} reports and {} stock values in {seconds:.1} s ({:.0} rows/s)",
        args.until,
        days,
        done.communes,
        done.reports,
        done.stock_values,
        (done.reports + done.stock_values) as f64 / seconds
    );
    Ok(())
}

async fn run_import(database: DatabaseArgs, args: ImportArgs) -> Result<(), String> {
    use std::sync::Arc;

    use indicatif::{ProgressBar, ProgressStyle};

    use crate::engine::snapshot::build;
    use crate::ingest::{Directory, csv};

    init_tracing();
    let started = Instant::now();
    let db = open(&database).await?;
    let fail = |err: sea_orm::DbErr| format!("cannot import: {}", plain(&err));
    // Units are reference data compiled into the program: an empty database
    // gets the 2023 map before anything can refer to it.
    if store::units::count_all(&db).await.map_err(fail)? == 0 {
        demo::load(&db, demo::DemoParts::Units, false)
            .await
            .map_err(fail)?;
    }
    let units = store::engine::units(&db).await.map_err(fail)?;
    let tree = Arc::new(build::build(units, &[], &[], &[]));
    let directory = Directory::load(&db, tree, crate::model::day::today(), args.max_report_value)
        .await
        .map_err(fail)?;
    let file = std::fs::File::open(&args.file)
        .map_err(|err| format!("cannot read {}: {err}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("checking {bar:40} {bytes}/{total_bytes} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let checking = bar.clone();
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let checked = tokio::task::spawn_blocking(move || {
        csv::check(reader, &directory, |bytes| checking.set_position(bytes))
    })
    .await
    .map_err(|err| format!("cannot import: {err}"))?;
    bar.finish_and_clear();
    let checked = match checked {
        Ok(checked) => checked,
        Err((errors, count)) => {
            for e in &errors {
                let field = if e.field.is_empty() {
                    String::new()
                } else {
                    format!(" {}:", e.field)
                };
                eprintln!("line {}:{field} {} ({})", e.row, e.message, e.code);
            }
            if count > errors.len() {
                eprintln!("… and {} more", count - errors.len());
            }
            return Err(format!(
                "{count} error(s) in {}; nothing was written",
                args.file.display()
            ));
        }
    };
    let checked_in = started.elapsed().as_secs_f64();
    let rows = checked.reports.len() + checked.stocks.len();
    if args.dry_run {
        println!(
            "checked {} lines ({} reports, {} stock lines) in {checked_in:.1} s ({:.0} rows/s); dry run: nothing written",
            checked.lines,
            checked.reports.len(),
            checked.stocks.len(),
            checked.lines as f64 / checked_in.max(1e-9)
        );
        return Ok(());
    }
    eprintln!("writing {rows} rows in one transaction");
    let bar = ProgressBar::new(checked.reports.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("writing {bar:40} {pos}/{len} reports {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let written = store::import::write(&db, &checked.reports, &checked.stocks, &args.actor, &bar)
        .await
        .map_err(fail)?;
    bar.finish_and_clear();
    match written {
        Ok(done) => {
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "imported {} lines in {seconds:.1} s ({:.0} rows/s): {} reports created, {} corrected, {} unchanged; {} stock values; data version {}",
                checked.lines,
                checked.lines as f64 / seconds.max(1e-9),
                done.created,
                done.corrected,
                done.unchanged,
                done.stock_values,
                done.version
            );
            Ok(())
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("line {}: {}: {} ({})", e.row, e.field, e.message, e.code);
            }
            Err(format!(
                "{} error(s) in {}; nothing was written",
                errors.len(),
                args.file.display()
            ))
        }
    }
}

async fn run_export(database: DatabaseArgs, args: ExportArgs) -> Result<(), String> {
    init_tracing();
    let db = open(&database).await?;
    let fail = |err: sea_orm::DbErr| format!("cannot export: {}", plain(&err));
    let lines = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
            crate::ingest::csv::export(&db, std::io::BufWriter::new(file))
                .await
                .map_err(fail)?
        }
        None => crate::ingest::csv::export(&db, std::io::BufWriter::new(std::io::stdout().lock()))
            .await
            .map_err(fail)?,
    };
    eprintln!("exported {lines} lines");
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

/// `tiendo keys create|list|revoke`.
async fn run_keys(database: DatabaseArgs, command: KeysCommand) -> Result<(), String> {
    use crate::access::{Role, keys};
    let db = open(&database).await?;
    let failed = |err: sea_orm::DbErr| format!("database error: {}", plain(&err));
    match command {
        KeysCommand::Create(args) => {
            let role = Role::parse(&args.role).ok_or_else(|| {
                format!(
                    "unknown role `{}` (ADMIN, OFFICER, VIEWER, PARTNER)",
                    args.role
                )
            })?;
            let unit = match &args.unit {
                Some(text) => {
                    let (level, code) = text.split_once(':').ok_or_else(|| {
                        format!("--unit takes LEVEL:CODE, e.g. province:42; got `{text}`")
                    })?;
                    let level = entity::unit::UnitLevel::parse(&level.to_ascii_lowercase())
                        .ok_or_else(|| format!("unknown level `{level}`"))?;
                    let code = code.trim_start_matches('0');
                    let code = if code.is_empty() { "0" } else { code };
                    let map = match &args.map {
                        Some(name) => entity::unit::AdminMap::parse(name)
                            .ok_or_else(|| format!("unknown map `{name}` (VN2023, VN2025)"))?,
                        None => entity::unit::AdminMap::in_force_on(crate::model::day::date(
                            crate::model::day::today(),
                        )),
                    };
                    Some(
                        store::units::by_level_code(&db, map, level, code)
                            .await
                            .map_err(failed)?
                            .ok_or_else(|| format!("no unit {text} in the {} map", map.name()))?,
                    )
                }
                None => None,
            };
            match (role, &unit) {
                (Role::Admin, Some(_)) => return Err("an ADMIN key has no --unit".into()),
                (Role::Officer | Role::Viewer, None) => {
                    return Err(format!(
                        "a {} key needs --unit LEVEL:CODE",
                        args.role.to_ascii_uppercase()
                    ));
                }
                _ => {}
            }
            let key = keys::generate().map_err(|err| format!("no randomness: {err}"))?;
            let name = args.name.clone().unwrap_or_else(|| {
                format!(
                    "{}{}",
                    role.as_str(),
                    unit.as_ref()
                        .map_or(String::new(), |u| format!(" {}", u.name))
                )
            });
            let stored = store::access::create_key(
                &db,
                store::access::NewKey {
                    name,
                    prefix: keys::display_prefix(&key),
                    hash: keys::hash(&key),
                    role: role.stored().ok_or("a key needs a role")?,
                    unit_id: unit.as_ref().map(|u| u.id),
                    allow_list_only: args.allow_list_only,
                    budget_points: args.budget,
                    refill_per_second: args.refill,
                },
            )
            .await
            .map_err(failed)?;
            eprintln!(
                "created key {} ({}, {}{}); it is shown once:",
                stored.id,
                stored.name,
                role.as_str().to_ascii_uppercase(),
                unit.as_ref()
                    .map_or(String::new(), |u| format!(" of {}", u.name))
            );
            println!("{key}");
            Ok(())
        }
        KeysCommand::List => {
            for key in store::access::keys(&db).await.map_err(failed)? {
                println!(
                    "{}\t{}…\t{}\t{}\t{}\t{}",
                    key.id,
                    key.prefix,
                    Role::from(key.role).as_str().to_ascii_uppercase(),
                    key.unit_id.map_or("-".to_owned(), |u| u.to_string()),
                    if key.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    },
                    key.name
                );
            }
            Ok(())
        }
        KeysCommand::Revoke { id } => {
            if store::access::revoke_key(&db, id).await.map_err(failed)? {
                println!("revoked key {id}");
                Ok(())
            } else {
                Err(format!("no active key {id}"))
            }
        }
    }
}

/// `tiendo documents register|list`.
async fn run_documents(database: DatabaseArgs, command: DocumentsCommand) -> Result<(), String> {
    let db = open(&database).await?;
    let failed = |err: sea_orm::DbErr| format!("database error: {}", plain(&err));
    match command {
        DocumentsCommand::Register { file, name } => {
            let document = std::fs::read_to_string(&file)
                .map_err(|err| format!("cannot read {}: {err}", file.display()))?;
            crate::access::guard::parse_document(&document)
                .map_err(|err| format!("{} is not a GraphQL document: {err}", file.display()))?;
            let hash = crate::access::documents::hash(&document);
            let name = name.or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()));
            store::access::register_document(&db, &hash, &document, name, "cli")
                .await
                .map_err(failed)?;
            println!("{hash}");
            Ok(())
        }
        DocumentsCommand::List => {
            for doc in store::access::documents(&db).await.map_err(failed)? {
                println!("{}\t{}", doc.hash, doc.name.unwrap_or_default());
            }
            Ok(())
        }
    }
}

async fn run_crosswalk(database: DatabaseArgs, command: CrosswalkCommand) -> Result<(), String> {
    use crate::ingest::crosswalk;

    let CrosswalkCommand::Import { file, dry_run } = command;
    let db = open(&database).await?;
    let failed = |err: sea_orm::DbErr| format!("cannot import the crosswalk: {}", plain(&err));
    // Units are reference data compiled into the program: an empty
    // database gets both maps and their lineage first.
    if store::units::count_all(&db).await.map_err(failed)? == 0 {
        demo::load(&db, demo::DemoParts::Units, false)
            .await
            .map_err(failed)?;
    }
    let text = std::fs::read_to_string(&file)
        .map_err(|err| format!("cannot read {}: {err}", file.display()))?;
    let mut units = store::lineage::units_of(&db, entity::unit::AdminMap::Vn2023)
        .await
        .map_err(failed)?;
    units.extend(
        store::lineage::units_of(&db, entity::unit::AdminMap::Vn2025)
            .await
            .map_err(failed)?,
    );
    let lineage = store::lineage::all(&db).await.map_err(failed)?;
    let maps = crosswalk::Maps::new(&units, &lineage);
    let rows = match crosswalk::check(&text, &maps) {
        Ok(rows) => rows,
        Err(errors) => {
            for e in &errors {
                eprintln!("line {}: {}", e.line, e.message);
            }
            return Err(format!(
                "{} bad line(s) in {}; nothing was written",
                errors.len(),
                file.display()
            ));
        }
    };
    let old = rows
        .iter()
        .map(|r| r.old_unit_id)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if dry_run {
        println!(
            "{} shares of {old} old communes checked; nothing written (--dry-run)",
            rows.len()
        );
        return Ok(());
    }
    let version = store::lineage::replace(&db, &rows).await.map_err(failed)?;
    println!(
        "{} shares of {old} old communes written (data version {version})",
        rows.len()
    );
    Ok(())
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
