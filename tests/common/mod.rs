//! The integration-test harness: a real server on port 0 over a fresh
//! database per test, spoken to over real HTTP.
//!
//! Every test gets its own database: an SQLite file in a new temporary
//! folder, or a PostgreSQL database named after the test on the server that
//! `TIENDO_TEST_POSTGRES` names. [`db_test!`] runs one test body on both.

// Each test file uses a different subset of the helpers.
#![allow(dead_code)]

pub mod contract;
pub mod process;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tiendo::demo::DemoParts;
use tiendo::engine::Engine;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The environment variable naming the PostgreSQL server for the tests.
pub const POSTGRES_ENV: &str = "TIENDO_TEST_POSTGRES";

/// Which database engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in a fresh temporary folder.
    Sqlite,
    /// A fresh database on the server named by `TIENDO_TEST_POSTGRES`.
    Postgres,
}

/// A running server over its own database; stopped when dropped.
pub struct TestApp {
    /// Where the server listens, e.g. `http://127.0.0.1:40123`.
    pub base: String,
    /// The backend the server runs on.
    pub backend: Backend,
    /// The database the server runs on.
    pub database_url: String,
    /// An ADMIN key every helper request sends (tests of access use
    /// [`TestApp::key`] and [`TestApp::post_as`]).
    pub admin_key: String,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    /// The PostgreSQL database to drop when the test ends.
    postgres_database: Option<String>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// Creates a fresh database for the test `name`, migrates it, loads
    /// `parts` of the demo and starts the server on a free port.
    pub async fn spawn(name: &str, backend: Backend, parts: DemoParts) -> TestApp {
        Self::spawn_counting(name, backend, parts, None).await
    }

    /// Like [`TestApp::spawn`], counting every SQL statement the server's
    /// connection executes in `statements` (at the database layer, through
    /// sea-orm's metric callback).
    pub async fn spawn_counting(
        name: &str,
        backend: Backend,
        parts: DemoParts,
        statements: Option<Arc<std::sync::atomic::AtomicUsize>>,
    ) -> TestApp {
        Self::spawn_seeded(name, backend, parts, statements, async |_| {}).await
    }

    /// Like [`TestApp::spawn_counting`], running `seed` on the database
    /// before the server starts (to add rows a test needs).
    pub async fn spawn_seeded(
        name: &str,
        backend: Backend,
        parts: DemoParts,
        statements: Option<Arc<std::sync::atomic::AtomicUsize>>,
        seed: impl AsyncFnOnce(&sea_orm::DatabaseConnection),
    ) -> TestApp {
        Self::spawn_full(name, backend, parts, statements, seed, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the server's configuration changed by
    /// `configure` (limits, access settings).
    pub async fn spawn_configured(
        name: &str,
        backend: Backend,
        parts: DemoParts,
        configure: impl FnOnce(&mut tiendo::Config),
    ) -> TestApp {
        Self::spawn_full(name, backend, parts, None, async |_| {}, configure).await
    }

    async fn spawn_full(
        name: &str,
        backend: Backend,
        parts: DemoParts,
        statements: Option<Arc<std::sync::atomic::AtomicUsize>>,
        seed: impl AsyncFnOnce(&sea_orm::DatabaseConnection),
        configure: impl FnOnce(&mut tiendo::Config),
    ) -> TestApp {
        let dir = tempfile::Builder::new()
            .prefix("tiendo-test-")
            .tempdir()
            .expect("create a temporary folder");
        let db = if parts == DemoParts::Sampled {
            // The full demo (sampled after the scenario: 2.7 million rows) is
            // built once per test process into a template, and each test
            // gets its own copy of it.
            let url = match backend {
                Backend::Sqlite => {
                    let (template, engine) = full_sqlite_template().await;
                    let file = dir.path().join("test.sqlite");
                    std::fs::copy(template, &file).expect("copy the SQLite template");
                    (format!("sqlite://{}?mode=rwc", file.display()), engine)
                }
                Backend::Postgres => {
                    let (template, engine) = full_postgres_template().await;
                    (
                        fresh_postgres_database_from(name, Some(&template)).await,
                        engine,
                    )
                }
            };
            let (url, engine) = url;
            let db = tiendo::store::connect(&url)
                .await
                .unwrap_or_else(|err| panic!("connect to {url}: {err}"));
            (db, url, Some(engine))
        } else {
            let url = match backend {
                Backend::Sqlite => {
                    format!("sqlite://{}/test.sqlite?mode=rwc", dir.path().display())
                }
                Backend::Postgres => fresh_postgres_database(name).await,
            };
            let db = tiendo::store::connect(&url)
                .await
                .unwrap_or_else(|err| panic!("connect to {url}: {err}"));
            tiendo::store::migrate(&db)
                .await
                .unwrap_or_else(|err| panic!("migrate {url}: {err}"));
            tiendo::demo::load(&db, parts, false)
                .await
                .unwrap_or_else(|err| panic!("load the demo ({parts:?}) into {url}: {err}"));
            (db, url, None)
        };
        let (mut db, url, engine) = db;
        seed(&db).await;
        let (admin_key, _) = tiendo::access::keys::issue(
            &db,
            tiendo::access::Role::Admin,
            None,
            "test admin",
            false,
        )
        .await
        .expect("create the test's admin key");
        if let Some(counter) = statements {
            db.set_metric_callback(move |_| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let mut config = tiendo::Config::for_tests(url.clone());
        configure(&mut config);
        let mut state = tiendo::AppState::new(db, config);
        if let Some(engine) = engine {
            state = state.with_engine(engine);
        }
        tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(err) = tiendo::serve(listener, state, shutdown).await {
                eprintln!("test server failed: {err}");
            }
        });

        // Idle connections are let go before the server's own idle close
        // (10 s), so that a request never races that close.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .expect("build the HTTP client");
        TestApp {
            base: format!("http://{addr}"),
            backend,
            database_url: url,
            admin_key,
            client,
            shutdown: Some(tx),
            postgres_database: (backend == Backend::Postgres).then(|| postgres_database_name(name)),
            _dir: dir,
        }
    }

    /// A second server (another replica) over the same database, with its
    /// own rollup engine built from the tables.
    pub async fn replica(&self) -> TestApp {
        self.replica_at(&self.database_url).await
    }

    /// A replica that reaches the same database at another address (a
    /// proxy in front of it).
    pub async fn replica_at(&self, database_url: &str) -> TestApp {
        let db = tiendo::store::connect(database_url)
            .await
            .unwrap_or_else(|err| panic!("connect to {database_url}: {err}"));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = oneshot::channel::<()>();
        let state = tiendo::AppState::new(db, tiendo::Config::for_tests(database_url.to_owned()));
        tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(err) = tiendo::serve(listener, state, shutdown).await {
                eprintln!("replica server failed: {err}");
            }
        });
        TestApp {
            base: format!("http://{addr}"),
            backend: self.backend,
            database_url: self.database_url.clone(),
            admin_key: self.admin_key.clone(),
            client: self.client.clone(),
            shutdown: Some(tx),
            postgres_database: None,
            _dir: tempfile::Builder::new()
                .prefix("tiendo-replica-")
                .tempdir()
                .expect("create a temporary folder"),
        }
    }

    /// The full URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The HTTP client (for requests the helpers do not cover).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// POSTs a GraphQL document to `/graphql` and returns the response body.
    /// Panics unless the server answers 200 with JSON.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post_as(Some(&self.admin_key.clone()), query, variables)
            .await;
        assert_eq!(status, 200, "POST /graphql answered {status}: {body}");
        body
    }

    /// POSTs a GraphQL document with `key` (none: without a key) and
    /// returns the status and the JSON body.
    pub async fn post_as(&self, key: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        self.post_body(key, &json!({ "query": query, "variables": variables }))
            .await
    }

    /// POSTs any JSON body to `/graphql` with `key`.
    pub async fn post_body(&self, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.client.post(self.url("/graphql")).json(body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.expect("POST /graphql");
        let status = response.status().as_u16();
        let text = response.text().await.expect("read the response body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("POST /graphql did not answer JSON ({err}): {text}"));
        (status, body)
    }

    /// A new key of `role`, scoped to the unit `(level, code)` of the 2023
    /// map if given.
    pub async fn key(&self, role: tiendo::access::Role, unit: Option<(&str, &str)>) -> String {
        self.key_with(role, unit, false).await
    }

    /// Like [`TestApp::key`], optionally in allow-list mode.
    pub async fn key_with(
        &self,
        role: tiendo::access::Role,
        unit: Option<(&str, &str)>,
        allow_list_only: bool,
    ) -> String {
        self.key_of_map(role, entity::unit::AdminMap::Vn2023, unit, allow_list_only)
            .await
    }

    /// A new key of `role`, scoped to the unit `(level, code)` of `map` if
    /// given, optionally in allow-list mode.
    pub async fn key_of_map(
        &self,
        role: tiendo::access::Role,
        map: entity::unit::AdminMap,
        unit: Option<(&str, &str)>,
        allow_list_only: bool,
    ) -> String {
        let db = tiendo::store::connect(&self.database_url)
            .await
            .expect("connect for a key");
        let unit_id = match unit {
            Some((level, code)) => Some(
                tiendo::store::units::by_level_code(
                    &db,
                    map,
                    entity::unit::UnitLevel::parse(level).expect("a level"),
                    code,
                )
                .await
                .expect("look the unit up")
                .unwrap_or_else(|| panic!("no unit {level} {code}"))
                .id,
            ),
            None => None,
        };
        let (key, _) = tiendo::access::keys::issue(&db, role, unit_id, "test key", allow_list_only)
            .await
            .expect("create a key");
        db.close().await.ok();
        key
    }

    /// POSTs a document that must succeed: panics if the response has
    /// errors, and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.post(query, variables).await;
        assert!(
            body.get("errors").is_none(),
            "unexpected errors: {}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
        body["data"].clone()
    }

    /// GETs `path` with extra `headers`.
    pub async fn get(&self, path: &str, headers: HeaderMap) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .headers(headers)
            .send()
            .await
            .unwrap_or_else(|err| panic!("GET {path}: {err}"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Drop the test's PostgreSQL database (full-demo copies are large).
        if let (Some(database), Ok(server)) =
            (self.postgres_database.take(), std::env::var(POSTGRES_ENV))
        {
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    if let Ok(admin) = Database::connect(server.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// `extensions.code` of each error of a response, in order (`"<none>"` for
/// an error without one, so that a missing code fails comparisons).
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that the response has exactly one error, with code `code`, and
/// returns that error.
pub fn single_error<'a>(body: &'a Value, code: &str) -> &'a Value {
    assert_eq!(
        error_codes(body),
        vec![code.to_owned()],
        "expected one {code} error in {}",
        serde_json::to_string_pretty(body).unwrap_or_default()
    );
    &body["errors"][0]
}

/// The `node`s of a connection's `edges`.
pub fn edge_nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection with edges: {connection}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// One string field of every element of a list.
pub fn strings(items: &[Value], field: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| {
            item[field]
                .as_str()
                .unwrap_or_else(|| panic!("`{field}` is not a string in {item}"))
                .to_owned()
        })
        .collect()
}

/// The PostgreSQL database name for the test `name`: `tiendo_t_` and the
/// name in lower case with anything but letters and digits turned into `_`,
/// at most 60 characters (a hash keeps cut names distinct).
pub fn postgres_database_name(name: &str) -> String {
    let mut clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while clean.contains("__") {
        clean = clean.replace("__", "_");
    }
    let full = format!("tiendo_t_{}", clean.trim_matches('_'));
    if full.len() <= 60 {
        return full;
    }
    // FNV-1a: stable across runs and platforms.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{}_{:08x}", &full[..51], hash as u32)
}

/// The SQLite file holding the full demo, built once per test process.
async fn full_sqlite_template() -> (&'static std::path::Path, Arc<Engine>) {
    static TEMPLATE: tokio::sync::OnceCell<(tempfile::TempDir, std::path::PathBuf, Arc<Engine>)> =
        tokio::sync::OnceCell::const_new();
    let (_, path, engine) = TEMPLATE
        .get_or_init(|| async {
            let dir = tempfile::Builder::new()
                .prefix("tiendo-template-")
                .tempdir()
                .expect("create a temporary folder");
            let path = dir.path().join("full.sqlite");
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let db = tiendo::store::connect(&url)
                .await
                .expect("open the template");
            tiendo::store::migrate(&db)
                .await
                .expect("migrate the template");
            tiendo::demo::load(&db, DemoParts::Sampled, false)
                .await
                .expect("load the full demo into the template");
            let engine = full_engine(&db).await;
            // Fold the WAL into the main file so that one file copy is the
            // whole database.
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .expect("checkpoint the template");
            let _ = db.close().await;
            (dir, path, engine)
        })
        .await;
    (path, engine.clone())
}

/// The rollup engine over a full-demo template. Every test database is a
/// byte copy of the template, so tests share one engine (per backend)
/// instead of each rebuilding the same snapshot from 2.4 million rows.
async fn full_engine(db: &sea_orm::DatabaseConnection) -> Arc<Engine> {
    let bounds = tiendo::config::Bounds::default();
    let engine = Engine::with_rank_cache(tiendo::config::mib(bounds.rank_cache_mb));
    engine
        .rebuild(db)
        .await
        .expect("build the rollup engine over the template");
    let version = engine.data_version().expect("the template's data version");
    let mut built = TEMPLATE_VERSIONS.lock().expect("template versions");
    built[backend_slot(db.get_database_backend())] = Some(version);
    engine
}

/// The data version each backend's full-demo template was built at.
static TEMPLATE_VERSIONS: std::sync::Mutex<[Option<i64>; 2]> = std::sync::Mutex::new([None; 2]);

fn backend_slot(backend: sea_orm::DbBackend) -> usize {
    usize::from(backend == sea_orm::DbBackend::Postgres)
}

/// Fails a full-demo test that wrote. Its database is a copy of the
/// template and its server follows it with the engine every full-demo test
/// shares, so a write would move the numbers under the other tests: a test
/// that writes must run on a smaller demo, with an engine of its own.
pub async fn assert_shared_engine_unwritten(parts: DemoParts, backend: Backend) {
    if parts != DemoParts::Sampled {
        return;
    }
    let (engine, slot) = match backend {
        Backend::Sqlite => (full_sqlite_template().await.1, 0),
        Backend::Postgres => (full_postgres_template().await.1, 1),
    };
    let built = TEMPLATE_VERSIONS.lock().expect("template versions")[slot];
    assert_eq!(
        engine.data_version(),
        built,
        "a full-demo test wrote (the shared engine moved from the template's version)"
    );
}

/// The PostgreSQL database holding the full demo, built once per test
/// process; tests copy it with `CREATE DATABASE … TEMPLATE`.
async fn full_postgres_template() -> (String, Arc<Engine>) {
    static TEMPLATE: tokio::sync::OnceCell<(String, Arc<Engine>)> =
        tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            // One name, dropped and rebuilt by each run, so that no stale
            // template outlives a change to the generator.
            let name = "template_full".to_owned();
            let url = fresh_postgres_database_from(&name, None).await;
            let db = tiendo::store::connect(&url)
                .await
                .expect("open the template");
            tiendo::store::migrate(&db)
                .await
                .expect("migrate the template");
            tiendo::demo::load(&db, DemoParts::Sampled, false)
                .await
                .expect("load the full demo into the template");
            let engine = full_engine(&db).await;
            let _ = db.close().await;
            (postgres_database_name(&name), engine)
        })
        .await
        .clone()
}

/// Drops and recreates the test's database on the server named by
/// `TIENDO_TEST_POSTGRES`, and returns its URL.
async fn fresh_postgres_database(name: &str) -> String {
    fresh_postgres_database_from(name, None).await
}

/// Drops and recreates the test's database, empty or as a copy of
/// `template`, and returns its URL.
async fn fresh_postgres_database_from(name: &str, template: Option<&str>) -> String {
    let server = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_ENV} is not set: the PostgreSQL variant of a test needs a server, e.g. \
             {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/postgres cargo test -- --include-ignored"
        )
    });
    let database = postgres_database_name(name);
    let admin = Database::connect(server.as_str())
        .await
        .unwrap_or_else(|err| panic!("connect to {POSTGRES_ENV}={server}: {err}"));
    for statement in [
        format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"),
        match template {
            Some(t) => format!("CREATE DATABASE \"{database}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{database}\""),
        },
    ] {
        admin
            .execute_unprepared(&statement)
            .await
            .unwrap_or_else(|err| panic!("{statement}: {err}"));
    }
    let _ = admin.close().await;
    let mut url = reqwest::Url::parse(&server)
        .unwrap_or_else(|err| panic!("{POSTGRES_ENV}={server} is not a URL: {err}"));
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// Runs one test body on both backends: SQLite always, PostgreSQL when
/// ignored tests are included (and `TIENDO_TEST_POSTGRES` is set).
///
/// ```ignore
/// db_test!(units, async fn unit_document(app) {
///     let body = app.post("{ country(map: VN2023) { code } }", json!({})).await;
/// });
/// ```
///
/// expands to a module `unit_document` with the tests `sqlite` and
/// `postgres`. The first argument says what to load: `units`, `catalogue`
/// or `full` (see [`tiendo::demo::DemoParts`]).
#[allow(unused_macros)]
macro_rules! db_test {
    (@parts nothing) => { ::tiendo::demo::DemoParts::Nothing };
    (@parts units) => { ::tiendo::demo::DemoParts::Units };
    (@parts catalogue) => { ::tiendo::demo::DemoParts::Catalogue };
    (@parts full) => { ::tiendo::demo::DemoParts::Sampled };
    // A server whose configuration `$configure` (a `fn(&mut Config)`) changes.
    ($parts:ident, configured($configure:expr), async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::common::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn_configured(
                    module_path!(),
                    $crate::common::Backend::Sqlite,
                    $crate::common::db_test!(@parts $parts),
                    $configure,
                )
                .await;
                body(app).await;
                $crate::common::assert_shared_engine_unwritten(
                    $crate::common::db_test!(@parts $parts),
                    $crate::common::Backend::Sqlite,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs TIENDO_TEST_POSTGRES; run with --include-ignored"]
            async fn postgres() {
                let app = $crate::common::TestApp::spawn_configured(
                    module_path!(),
                    $crate::common::Backend::Postgres,
                    $crate::common::db_test!(@parts $parts),
                    $configure,
                )
                .await;
                body(app).await;
                $crate::common::assert_shared_engine_unwritten(
                    $crate::common::db_test!(@parts $parts),
                    $crate::common::Backend::Postgres,
                )
                .await;
            }
        }
    };
    ($parts:ident, async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::common::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn(
                    module_path!(),
                    $crate::common::Backend::Sqlite,
                    $crate::common::db_test!(@parts $parts),
                )
                .await;
                body(app).await;
                $crate::common::assert_shared_engine_unwritten(
                    $crate::common::db_test!(@parts $parts),
                    $crate::common::Backend::Sqlite,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "needs TIENDO_TEST_POSTGRES; run with --include-ignored"]
            async fn postgres() {
                let app = $crate::common::TestApp::spawn(
                    module_path!(),
                    $crate::common::Backend::Postgres,
                    $crate::common::db_test!(@parts $parts),
                )
                .await;
                body(app).await;
                $crate::common::assert_shared_engine_unwritten(
                    $crate::common::db_test!(@parts $parts),
                    $crate::common::Backend::Postgres,
                )
                .await;
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use db_test;

/// Runs `tiendo ARGS` against the test's database as a real process, and
/// waits for it.
pub fn tiendo(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tiendo"))
        .args(["--database-url", &app.database_url])
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run tiendo")
}
