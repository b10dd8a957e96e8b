//! Where the load and soak benchmarks keep their datasets: the work folder
//! and the PostgreSQL databases they make once and copy per run.

use std::path::PathBuf;

use sea_orm::{ConnectionTrait, DbBackend, Statement};

pub fn work_dir() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    let dir = PathBuf::from(home).join(".cache/tiendo-bench");
    std::fs::create_dir_all(&dir).expect("create the benchmark folder");
    dir
}

/// `postgres://…/name` → (`postgres://…/postgres`, `name`).
pub fn split_postgres(url: &str) -> (String, String) {
    let (base, name) = url.rsplit_once('/').expect("a database name in the URL");
    let name = name.split('?').next().unwrap_or(name).to_owned();
    (format!("{base}/postgres"), name)
}

pub async fn postgres_admin(url: &str, sql: &str) {
    let (admin, _) = split_postgres(url);
    let db = tiendo::store::connect(&admin)
        .await
        .expect("connect to postgres");
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await.ok();
}

pub async fn ensure_postgres_database(url: &str) {
    let (admin, name) = split_postgres(url);
    let db = tiendo::store::connect(&admin)
        .await
        .expect("connect to postgres");
    let exists = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .expect("list databases")
        .is_some();
    if !exists {
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the benchmark database");
    }
    db.close().await.ok();
}
