//! How a database failure is told apart: contention, which a write
//! retries, and a database that does not answer, which a request reports as
//! `UNAVAILABLE` (retry later) rather than as an internal error. Decided by
//! the error's kind and the database's own code, never its message.

use std::time::Duration;

use sea_orm::DbErr;

/// How long a pooled connection is waited for (and a new one is tried)
/// before the database counts as unanswering: long enough for a burst of
/// writers, short enough that a request does not hang on a database that is
/// down.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long an SQLite statement waits for a lock another connection or
/// process holds (`busy_timeout`).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the database refused a write for contention (a lock, a deadlock,
/// a serialisation failure) rather than for the data: such a write is
/// retried, never shown to the client. Decided by the database's own code,
/// never by its message: PostgreSQL's SQLSTATE (`40001` serialization
/// failure, `40P01` deadlock, `55P03` lock not available) and SQLite's
/// primary result code (`SQLITE_BUSY` 5, `SQLITE_LOCKED` 6, whatever the
/// extended code).
pub fn is_transient(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    use sea_orm::sqlx::error::DatabaseError as _;
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx))
    | DbErr::Conn(RuntimeErr::SqlxError(sqlx))) = err
    else {
        return false;
    };
    let Error::Database(database) = sqlx.as_ref() else {
        return false;
    };
    if let Some(sqlite) = database.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>() {
        let primary = sqlite
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .map(|code| code & 0xff);
        return matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED));
    }
    if let Some(postgres) = database.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
    {
        return matches!(postgres.code(), "40001" | "40P01" | "55P03");
    }
    false
}

/// SQLite's primary result codes for a database held by another writer.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

/// Whether the database did not answer, rather than refused: no connection
/// (refused, reset, timed out, the pool closed) or a server going down
/// (PostgreSQL SQLSTATE class `08` connection exception, `57P01`..`57P03`
/// shutting down or starting), or contention that outlasted every retry.
/// The request may be retried once the database is back.
pub fn is_unreachable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(sqlx))
        | DbErr::Exec(RuntimeErr::SqlxError(sqlx))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => match sqlx.as_ref() {
            Error::Io(_)
            | Error::Tls(_)
            | Error::PoolTimedOut
            | Error::PoolClosed
            | Error::WorkerCrashed
            | Error::Protocol(_) => true,
            Error::Database(database) => {
                if let Some(postgres) =
                    database.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
                {
                    let code = postgres.code();
                    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
                } else {
                    is_transient(err)
                }
            }
            _ => false,
        },
        DbErr::Conn(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sea_orm::{ConnectOptions, ConnectionTrait, Database, TransactionTrait};

    use super::is_transient;

    /// Real errors from a real database file: a write lock held by another
    /// connection is contention; a missing table or a broken key is not.
    #[tokio::test]
    async fn contention_is_told_from_bad_data_by_code() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/t.sqlite?mode=rwc", dir.path().display());
        let connect = |url: String| async move {
            let mut options = ConnectOptions::new(url);
            options
                .max_connections(1)
                .sqlx_logging(false)
                .map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::ZERO));
            Database::connect(options).await.expect("connect")
        };
        let holder = connect(url.clone()).await;
        holder
            .execute_unprepared("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .await
            .expect("create");
        let other = connect(url).await;

        let txn = holder.begin().await.expect("begin");
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
        let busy = other
            .execute_unprepared("INSERT INTO t VALUES (2)")
            .await
            .expect_err("the file is locked by the other connection");
        assert!(is_transient(&busy), "{busy:?}");
        txn.commit().await.expect("commit");

        let missing = other
            .execute_unprepared("INSERT INTO nowhere VALUES (1)")
            .await
            .expect_err("no such table");
        assert!(!is_transient(&missing), "{missing:?}");
        let duplicate = other
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect_err("duplicate key");
        assert!(!is_transient(&duplicate), "{duplicate:?}");
        assert!(!is_transient(&sea_orm::DbErr::Custom(
            "database is locked".into()
        )));
    }
}
