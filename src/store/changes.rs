//! The data version and the change log.
//!
//! Every write transaction starts by bumping the one-row data version
//! ([`begin_write`]). That row lock serialises writers on PostgreSQL (and
//! SQLite serialises them anyway), so versions are consecutive and commit
//! in order, and a transaction that takes it first cannot deadlock with
//! another. Before committing, the writer records what it changed under its
//! version ([`record`]); every replica's rollup engine replays the log in
//! version order to stay exactly in step with the tables.

use chrono::Utc;
use entity::data_change;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Statement, TransactionTrait,
};

use crate::model::change::{Change, FlowDelta};
use crate::model::day::Day;
use crate::model::values::Flows;

/// A change with more report deltas than this is logged as "rebuild":
/// replaying millions of deltas is slower than reading the tables again.
pub const REBUILD_ABOVE: usize = 200_000;

/// PostgreSQL channel on which every committed version is announced.
pub const CHANNEL: &str = "tiendo_changes";

/// Kinds of change-log entries.
pub const KIND_DELTA: &str = "delta";
pub const KIND_REBUILD: &str = "rebuild";
/// A write that changed who may call (keys), not the data: replicas move
/// to its version, and their cached responses stay valid.
pub const KIND_ACCESS: &str = "access";

tokio::task_local! {
    /// The audit record of the mutation this task runs (see [`audited`]).
    static AUDIT: PendingAudit;
}

/// A mutation's audit record, and whether a write committed it.
struct PendingAudit {
    record: super::access::AuditRecord,
    written: std::sync::atomic::AtomicBool,
    gate: std::sync::Arc<WriteGate>,
    /// A commit was sent and the database stopped answering before it
    /// said whether it took it ([`Audited::in_doubt`]).
    in_doubt: std::sync::atomic::AtomicBool,
}

/// What [`audited`] learnt about a mutation's writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audited {
    /// A write committed the mutation's audit record.
    pub written: bool,
    /// A `COMMIT` was sent but the connection failed before the database
    /// answered it: the write may or may not have been taken, and nobody
    /// can tell until the database is back. The client is told so (it
    /// resubmits, or reads the object back), never that nothing was
    /// written.
    pub in_doubt: bool,
}

/// Whether a mutation's first write has begun, or its timeout came first.
/// The query timeout stops a mutation only before its write begins: once
/// a write transaction opens, the mutation runs to its end, so a write
/// that commits is never reported as failed.
#[derive(Debug, Default)]
pub struct WriteGate(std::sync::atomic::AtomicU8);

const GATE_OPEN: u8 = 0;
const GATE_WRITING: u8 = 1;
const GATE_STOPPED: u8 = 2;

impl WriteGate {
    /// Called as a write transaction opens: `false` when the request was
    /// stopped first (then nothing may be written).
    fn begin(&self) -> bool {
        use std::sync::atomic::Ordering;
        match self
            .0
            .compare_exchange(GATE_OPEN, GATE_WRITING, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(state) => state == GATE_WRITING,
        }
    }

    /// Stops the request unless its write has begun: `true` when stopped
    /// (the caller abandons it), `false` when it must be let finish.
    pub fn stop(&self) -> bool {
        use std::sync::atomic::Ordering;
        match self
            .0
            .compare_exchange(GATE_OPEN, GATE_STOPPED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(state) => state == GATE_STOPPED,
        }
    }
}

/// Marks the running mutation's write as begun ([`WriteGate`]); an error
/// when its timeout stopped it first.
fn write_begins() -> Result<(), DbErr> {
    match AUDIT.try_with(|p| p.gate.begin()) {
        Ok(false) => Err(DbErr::Custom(
            "the request was stopped by its timeout before its write began".into(),
        )),
        _ => Ok(()),
    }
}

/// Runs a mutation's execution with its audit record: every write
/// transaction it commits ([`commit_write`], [`commit_access_write`],
/// [`commit_audited`]) inserts the record in the same transaction, so a
/// mutation that wrote is never without its record. Returns the output and
/// what became of its writes: whether the record was written (if not, the
/// caller records the mutation that wrote nothing) and whether a commit's
/// outcome is unknown.
///
/// `gate` is how the mutation's timeout learns whether a write began.
pub async fn audited<F: std::future::Future>(
    record: super::access::AuditRecord,
    gate: std::sync::Arc<WriteGate>,
    execution: F,
) -> (F::Output, Audited) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let pending = PendingAudit {
        record,
        written: AtomicBool::new(false),
        gate,
        in_doubt: AtomicBool::new(false),
    };
    AUDIT
        .scope(pending, async {
            let output = execution.await;
            let audited = AUDIT
                .try_with(|p| Audited {
                    written: p.written.load(Ordering::Acquire),
                    in_doubt: p.in_doubt.load(Ordering::Acquire),
                })
                .unwrap_or_default();
            (output, audited)
        })
        .await
}

/// Commits `txn`; when the connection fails before the database answers
/// the `COMMIT`, the running mutation is marked in doubt
/// ([`Audited::in_doubt`]).
async fn commit(txn: DatabaseTransaction) -> Result<(), DbErr> {
    let result = txn.commit().await;
    if let Err(err) = &result
        && super::faults::is_unreachable(err)
    {
        let _ = AUDIT.try_with(|p| p.in_doubt.store(true, std::sync::atomic::Ordering::Release));
    }
    result
}

/// Commits `txn` with the running mutation's audit record, if there is
/// one: for writes outside the data version (a registered document).
pub async fn commit_audited(txn: DatabaseTransaction) -> Result<(), DbErr> {
    write_begins()?;
    // Once per mutation: a later write of the same request (a second
    // mutation field) is covered by the record already committed.
    let record = AUDIT
        .try_with(|p| {
            (!p.written.load(std::sync::atomic::Ordering::Acquire)).then(|| p.record.clone())
        })
        .ok()
        .flatten();
    if let Some(record) = record {
        super::access::record_audit(&txn, record).await?;
        commit(txn).await?;
        let _ = AUDIT.try_with(|p| p.written.store(true, std::sync::atomic::Ordering::Release));
        Ok(())
    } else {
        commit(txn).await
    }
}

/// Opens a write transaction and takes the next data version.
pub async fn begin_write(db: &DatabaseConnection) -> Result<(DatabaseTransaction, i64), DbErr> {
    write_begins()?;
    let txn = db.begin().await?;
    let version = take_version(&mut &txn).await?;
    Ok((txn, version))
}

/// Records `change` under `version` and commits: the end of every write
/// transaction that [`begin_write`] opened (a version without its log entry
/// would make every replica rebuild).
pub async fn commit_write(
    txn: DatabaseTransaction,
    version: i64,
    change: &Change,
) -> Result<(), DbErr> {
    record(&txn, version, change).await?;
    commit_audited(txn).await
}

/// Like [`commit_write`], for a write that changed only access (a key's
/// revocation): it takes a version, so that replicas drop the key as soon as
/// they follow, but it changes no number or row a response shows.
pub async fn commit_access_write(txn: DatabaseTransaction, version: i64) -> Result<(), DbErr> {
    log(&mut &txn, version, KIND_ACCESS, &[]).await?;
    commit_audited(txn).await
}

/// Inside a transaction that bulk-loaded rows (the demo, `generate`,
/// `import`): takes the next version and logs it as "rebuild", so running
/// replicas read the tables again rather than replay millions of deltas.
pub async fn mark_rebuild(txn: &DatabaseTransaction) -> Result<i64, DbErr> {
    let version = take_version(&mut &*txn).await?;
    log(&mut &*txn, version, KIND_REBUILD, &[]).await?;
    Ok(version)
}

/// Opens a transaction that holds back every writer (it locks the version
/// row without changing it) until it ends: for reads that must not race
/// writes.
pub async fn hold_writes(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared("UPDATE data_version SET version = version WHERE id = 1")
        .await?;
    Ok(txn)
}

/// A transaction the data-version protocol runs in: sea-orm's, or the
/// bulk import's own on sqlx (which `COPY` needs). The protocol's
/// statements are written once ([`take_version`], [`log`]) and run through
/// this.
pub(crate) trait VersionedTxn {
    /// The dialect.
    fn backend(&self) -> DbBackend;
    /// Runs one statement.
    async fn run(&mut self, sql: &str) -> Result<(), DbErr>;
    /// Runs one statement with one byte string bound to its only parameter
    /// (`$1` on PostgreSQL, `?` on SQLite).
    async fn run_with_bytes(&mut self, sql: &str, bytes: &[u8]) -> Result<(), DbErr>;
    /// Runs one statement that returns one number.
    async fn number(&mut self, sql: &str) -> Result<Option<i64>, DbErr>;
}

impl VersionedTxn for &DatabaseTransaction {
    fn backend(&self) -> DbBackend {
        self.get_database_backend()
    }

    async fn run(&mut self, sql: &str) -> Result<(), DbErr> {
        self.execute_unprepared(sql).await.map(|_| ())
    }

    async fn run_with_bytes(&mut self, sql: &str, bytes: &[u8]) -> Result<(), DbErr> {
        let backend = self.get_database_backend();
        let statement = Statement::from_sql_and_values(backend, sql, [bytes.to_vec().into()]);
        self.execute_raw(statement).await.map(|_| ())
    }

    async fn number(&mut self, sql: &str) -> Result<Option<i64>, DbErr> {
        let backend = self.get_database_backend();
        match self
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
        {
            Some(row) => row.try_get_by_index::<i64>(0).map(Some),
            None => Ok(None),
        }
    }
}

/// Takes the next data version: the first statement of every write
/// transaction. Its row lock queues writers (see the module docs).
pub(crate) async fn take_version(txn: &mut impl VersionedTxn) -> Result<i64, DbErr> {
    txn.number("UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version")
        .await?
        .ok_or_else(|| DbErr::Custom("the data_version row is missing".into()))
}

/// Logs `version` as a change of `kind` with `payload`, forgets entries
/// older than the log keeps, and announces the version to the other
/// replicas (PostgreSQL delivers the notification at commit): the last
/// statements of every write transaction.
pub(crate) async fn log(
    txn: &mut impl VersionedTxn,
    version: i64,
    kind: &str,
    payload: &[u8],
) -> Result<(), DbErr> {
    let backend = txn.backend();
    // The payload is bound, not rendered: a national day's deltas are half
    // a megabyte.
    let payload_parameter = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    txn.run_with_bytes(
        &format!(
            "INSERT INTO data_changes (version, kind, payload, at) \
             VALUES ({version}, {}, {payload_parameter}, {})",
            super::sql::quote(kind),
            super::sql::timestamp(Utc::now()),
        ),
        payload,
    )
    .await?;
    // Old entries are only read by a replica that fell behind; one that fell
    // this far behind rebuilds instead.
    txn.run(&format!(
        "DELETE FROM data_changes WHERE version < {}",
        version - KEEP
    ))
    .await?;
    if backend == DbBackend::Postgres {
        txn.run(&format!("NOTIFY {CHANNEL}, '{version}'")).await?;
    }
    Ok(())
}

/// The committed data version.
pub async fn current(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT version FROM data_version WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the data_version row is missing".into()))?;
    row.try_get_by_index::<i64>(0)
}

/// Records what version `version` changed, and announces it to the other
/// replicas (PostgreSQL delivers the notification at commit).
pub async fn record(txn: &DatabaseTransaction, version: i64, change: &Change) -> Result<(), DbErr> {
    let (kind, payload) = if change.flows.len() > REBUILD_ABOVE {
        (KIND_REBUILD, Vec::new())
    } else {
        (KIND_DELTA, encode(change))
    };
    log(&mut &*txn, version, kind, &payload).await
}

/// How many versions the log keeps.
const KEEP: i64 = 1_000;

/// A logged change, as a replica replays it.
#[derive(Debug)]
pub enum Logged {
    /// Apply these deltas.
    Delta(Change),
    /// Read everything again.
    Rebuild,
    /// Only access changed: move to the version, keep the numbers.
    Access,
}

/// The changes after version `after`, in order, with their versions. An
/// entry the log no longer holds (or cannot decode) reads as `Rebuild`.
pub async fn since(db: &DatabaseConnection, after: i64) -> Result<Vec<(i64, Logged)>, DbErr> {
    let rows = data_change::Entity::find()
        .filter(data_change::Column::Version.gt(after))
        .order_by_asc(data_change::Column::Version)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut expected = after + 1;
    for row in rows {
        if row.version != expected {
            out.push((row.version, Logged::Rebuild));
        } else if row.kind == KIND_ACCESS {
            out.push((row.version, Logged::Access));
        } else if row.kind == KIND_DELTA {
            match decode(&row.payload) {
                Some(change) => out.push((row.version, Logged::Delta(change))),
                None => out.push((row.version, Logged::Rebuild)),
            }
        } else {
            out.push((row.version, Logged::Rebuild));
        }
        expected = row.version + 1;
    }
    Ok(out)
}

/// The tag a payload starts with: the format and its version. A payload
/// of another format (an older server's, or a damaged row) is not read:
/// the replica rebuilds instead.
const FORMAT: [u8; 4] = *b"TDC2";

/// The bytes of one report delta: unit, day, campaign, team, four values.
const FLOW_RECORD: usize = 8 + 4 + 8 + 8 + 4 * 8;

/// Binary payload: [`FORMAT`], a count and fixed-size little-endian
/// records for the report deltas, then a count and the unit ids whose
/// stocks changed, and nothing after. Public for the change-log fuzz target.
pub fn encode(change: &Change) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        FORMAT.len() + 8 + change.flows.len() * FLOW_RECORD + change.stock_units.len() * 8,
    );
    out.extend_from_slice(&FORMAT);
    out.extend_from_slice(&(change.flows.len() as u32).to_le_bytes());
    for d in &change.flows {
        out.extend_from_slice(&d.unit_id.to_le_bytes());
        out.extend_from_slice(&d.day.to_le_bytes());
        out.extend_from_slice(&d.campaign_id.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&d.team_id.unwrap_or(0).to_le_bytes());
        for v in d.values.to_array() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out.extend_from_slice(&(change.stock_units.len() as u32).to_le_bytes());
    for id in &change.stock_units {
        out.extend_from_slice(&id.to_le_bytes());
    }
    out
}

/// Reads a payload; `None` (the replica rebuilds) for another format, a
/// truncated or over-long payload, or counts the bytes cannot hold. Every
/// count is checked against the bytes left before anything is reserved,
/// so a damaged row can make no allocation larger than itself. The decoder
/// of a logged change's payload, public for the change-log fuzz target.
pub fn decode(bytes: &[u8]) -> Option<Change> {
    let rest = bytes.strip_prefix(&FORMAT)?;
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let slice = rest.get(at..at.checked_add(n)?)?;
        at += n;
        Some(slice)
    };
    let mut change = Change::default();
    let flows = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    if flows.checked_mul(FLOW_RECORD)? > rest.len() {
        return None;
    }
    change.flows.reserve_exact(flows);
    for _ in 0..flows {
        let unit_id = i64::from_le_bytes(take(8)?.try_into().ok()?);
        let day = Day::from_le_bytes(take(4)?.try_into().ok()?);
        let campaign = i64::from_le_bytes(take(8)?.try_into().ok()?);
        let team = i64::from_le_bytes(take(8)?.try_into().ok()?);
        let mut values = [0i64; 4];
        for v in values.iter_mut() {
            *v = i64::from_le_bytes(take(8)?.try_into().ok()?);
        }
        change.flows.push(FlowDelta {
            unit_id,
            day,
            campaign_id: (campaign != 0).then_some(campaign),
            team_id: (team != 0).then_some(team),
            values: Flows::from_array(values),
        });
    }
    let stocks = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
    let ids = take(stocks.checked_mul(8)?)?;
    if at != rest.len() {
        return None;
    }
    change.stock_units = ids
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    Some(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        let change = Change {
            flows: vec![
                FlowDelta {
                    unit_id: 42,
                    day: 19_500,
                    campaign_id: Some(3),
                    team_id: None,
                    values: Flows::from_array([1, -2, 3, 0]),
                },
                FlowDelta {
                    unit_id: 7,
                    day: -5,
                    campaign_id: None,
                    team_id: Some(9),
                    values: Flows::from_array([0, 0, 0, i64::MAX]),
                },
            ],
            stock_units: vec![5, 6],
        };
        let bytes = encode(&change);
        assert_eq!(decode(&bytes), Some(change));
        // Every truncation, and a byte too many, is refused (never a panic).
        for end in 0..bytes.len() {
            assert_eq!(decode(&bytes[..end]), None, "truncated at {end}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        // The format before the tag, and another version, are not read.
        assert_eq!(decode(&bytes[FORMAT.len()..]), None);
        let mut other = bytes;
        other[3] = b'9';
        assert_eq!(decode(&other), None);
    }

    #[test]
    fn a_damaged_count_allocates_nothing_it_cannot_hold() {
        // A payload claiming 4 billion deltas (or stock units) in a few bytes
        let mut flows = FORMAT.to_vec();
        flows.extend_from_slice(&u32::MAX.to_le_bytes());
        flows.extend_from_slice(&[0; 16]);
        let mut stocks = FORMAT.to_vec();
        stocks.extend_from_slice(&0u32.to_le_bytes());
        stocks.extend_from_slice(&u32::MAX.to_le_bytes());
        // is refused before anything is reserved
        assert_eq!(decode(&flows), None);
        assert_eq!(decode(&stocks), None);
    }
}
