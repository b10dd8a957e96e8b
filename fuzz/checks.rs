//! What each fuzz target checks of one input, shared by the targets in
//! `fuzz_targets/` and by `tests/fuzz_regressions.rs`, which replays every
//! committed corpus through the same checks in the normal test suite.
//!
//! A check panics when the input shows a bug; an input the code rightly
//! refuses passes.

// Each fuzz target uses one of these checks; the regression tests use all.
#![allow(dead_code)]

use std::io::Read;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, mpsc};

use async_graphql::parser::types::OperationType;
use async_graphql::registry::Registry;
use async_graphql::{ScalarType, Value, Variables};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, NaiveDate};
use entity::unit::AdminMap;
use tiendo::access::cost::{self, CostLimits, MUTATION_POINTS};
use tiendo::config::Limits;
use tiendo::demo::{self, DemoParts};
use tiendo::engine::snapshot::build;
use tiendo::graphql::ids::{
    NodeType, decode as decode_id, decode_as, decode_cursor, encode as encode_id, encode_cursor,
    encode_unit,
};
use tiendo::graphql::scalars::Date;
use tiendo::ingest::{Directory, csv};
use tiendo::model::day::{date, day as day_number, parse_date};
use tiendo::store::changes;

// ---------------------------------------------------------------------------
// csv_reader

/// "Today" for the checks of future days, fixed so that a corpus input
/// means the same thing on every day it is run.
const TODAY: (i32, u32, u32) = (2026, 6, 30);

/// The import's largest report value (`--max-report-value`'s default).
const CEILING: i64 = 100_000;

/// The units of both maps and the demo catalogue's campaigns and teams, as
/// `tiendo import` reads them, from an in-memory database built once.
pub static DIRECTORY: LazyLock<Directory> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let db = tiendo::store::connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        tiendo::store::migrate(&db).await.expect("migrations");
        demo::load(&db, DemoParts::Catalogue, false)
            .await
            .expect("the demo catalogue");
        let units = tiendo::store::engine::units(&db).await.expect("units");
        let tree = Arc::new(build::build(units, &[], &[], &[]));
        let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).expect("a day");
        Directory::load(&db, tree, day_number(today), CEILING)
            .await
            .expect("the directory")
    })
});

/// A reader that hands out one byte per read.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&byte, rest)), Some(slot)) => {
                *slot = byte;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// The reader of an import file (`ingest::csv::check`) over arbitrary
/// bytes. A refusal lists at least one and at most 1,000 errors, in line
/// order, no more than it counts; an accepted file yields one report or
/// stock line per data line; and the answer does not depend on how the
/// input is split into reads (one byte at a time gives the same).
pub fn csv_reader(
    data: &[u8],
) -> Result<csv::Checked, (Vec<tiendo::model::rows::RowError>, usize)> {
    let directory = &*DIRECTORY;
    let whole = csv::check(data, directory, |_| {});
    match &whole {
        Ok(checked) => assert_eq!(
            checked.reports.len() + checked.stocks.len(),
            checked.lines as usize,
            "an accepted file has one row per data line"
        ),
        Err((errors, count)) => {
            assert!(!errors.is_empty(), "a refusal names an error");
            assert!(errors.len() <= *count);
            assert!(errors.len() <= 1_000);
            assert!(errors.windows(2).all(|w| w[0].row <= w[1].row));
            assert!(errors.iter().all(|e| !e.code.is_empty()));
        }
    }
    let trickled = csv::check(Trickle(data), directory, |_| {});
    assert_eq!(format!("{whole:?}"), format!("{trickled:?}"));
    whole
}

// ---------------------------------------------------------------------------
// day

/// The one reader of a written day (`model::day::parse_date`) and the
/// `Date` scalar, against chrono: a string is a day exactly when it is the
/// `YYYY-MM-DD` form chrono writes for that day (years 0 to 9999); the scalar reads the same
/// strings, writes them back unchanged and refuses every value that is not
/// a string; day numbers round-trip. The day read, if any.
pub fn day(data: &[u8]) -> Option<NaiveDate> {
    // Any JSON value as a GraphQL input value: only a string can be a Date.
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let parsed = Date::parse(value.clone());
        match &value {
            Value::String(s) => assert_eq!(parsed.ok(), parse_date(s).map(Date)),
            _ => assert!(parsed.is_err(), "{value:?} is not a date"),
        }
    }
    let s = std::str::from_utf8(data).ok()?;
    let parsed = parse_date(s);
    // Four digits of year: chrono also writes years before 0 and after
    // 9999 (`-0001-01-01`, `+10000-01-01`), which are not days here.
    let canonical = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (0..=9999).contains(&d.year()) && d.format("%Y-%m-%d").to_string() == s);
    assert_eq!(parsed, canonical, "{s:?}");
    let scalar = Date::parse(Value::String(s.to_owned()));
    match parsed {
        Some(d) => {
            let scalar = scalar.expect("the scalar reads what parse_date reads");
            assert_eq!(scalar, Date(d));
            assert_eq!(scalar.to_value(), Value::String(s.to_owned()));
            assert_eq!(date(day_number(d)), d);
        }
        None => assert!(scalar.is_err(), "{s:?}"),
    }
    parsed
}

// ---------------------------------------------------------------------------
// ids

const KINDS: [NodeType; 4] = [
    NodeType::Unit,
    NodeType::Campaign,
    NodeType::Team,
    NodeType::Report,
];

/// Global object IDs and cursors (`graphql::ids`). Arbitrary text as an ID
/// or a cursor: decoded, or refused with `BAD_USER_INPUT`; `decode_as`
/// agrees with `decode`; what decodes was the base64url of `Type:n`,
/// `Unit:MAP:n` or `cursor:n`. And the first eight bytes as an id: every
/// kind's ID, every map's unit ID and the cursor decode back to it. The
/// ID and the cursor read, if any.
pub fn ids(data: &[u8]) -> (Option<(NodeType, i64)>, Option<i64>) {
    if let Some(head) = data.first_chunk::<8>() {
        let id = i64::from_le_bytes(*head);
        for kind in KINDS {
            assert_eq!(decode_id(&encode_id(kind, id), "id").ok(), Some((kind, id)));
            assert_eq!(decode_as(&encode_id(kind, id), kind, "id").ok(), Some(id));
        }
        for map in [AdminMap::Vn2023, AdminMap::Vn2025] {
            let unit = encode_unit(map, id);
            assert_eq!(decode_id(&unit, "id").ok(), Some((NodeType::Unit, id)));
        }
        assert_eq!(decode_cursor(&encode_cursor(id)).ok(), Some(id));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return (None, None);
    };
    let decoded = decode_id(text, "id");
    if let Err(err) = &decoded {
        assert_eq!(err.code(), "BAD_USER_INPUT");
    }
    let decoded = decoded.ok();
    for kind in KINDS {
        match decode_as(text, kind, "id") {
            Ok(n) => assert_eq!(decoded, Some((kind, n))),
            Err(err) => {
                assert_eq!(err.code(), "BAD_USER_INPUT");
                assert!(decoded.is_none_or(|(k, _)| k != kind));
            }
        }
    }
    if let Some((kind, n)) = decoded {
        let raw = URL_SAFE_NO_PAD.decode(text).expect("it decoded");
        let raw = String::from_utf8(raw).expect("it decoded");
        let (_, number) = raw.split_once(':').expect("it decoded");
        let number = match (kind, number.split_once(':')) {
            (NodeType::Unit, Some((map, number))) => {
                assert!(AdminMap::parse(map).is_some());
                number
            }
            _ => number,
        };
        assert_eq!(number.parse::<i64>().ok(), Some(n));
    }
    let cursor = match decode_cursor(text) {
        Ok(n) => {
            let raw = URL_SAFE_NO_PAD.decode(text).expect("it decoded");
            let raw = String::from_utf8(raw).expect("it decoded");
            let number = raw.strip_prefix("cursor:").expect("a cursor");
            assert_eq!(number.parse::<i64>().ok(), Some(n));
            Some(n)
        }
        Err(err) => {
            assert_eq!(err.code(), "BAD_USER_INPUT");
            None
        }
    };
    (decoded, cursor)
}

// ---------------------------------------------------------------------------
// cost_walk

/// The stack of a tokio worker thread, where the server admits requests.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// The schema's types, as `graphql::guard` hands them to the walk.
static REGISTRY: LazyLock<Registry> = LazyLock::new(tiendo::graphql::registry);

/// The server's default limits, as `graphql::guard` hands them to the walk.
pub static LIMITS: LazyLock<CostLimits> = LazyLock::new(|| {
    let limits = Limits::default();
    CostLimits {
        max_page: limits.max_page_size as u64,
        max_nodes: limits.max_nodes,
        max_aliases: limits.max_aliases,
        max_directives: limits.max_directives,
        max_depth: limits.max_depth,
        max_complexity: limits.max_complexity,
    }
});

/// What the guard decided about a document, as far as the walk goes.
#[derive(Debug, PartialEq, Eq)]
pub enum Walked {
    /// The document does not parse (`GRAPHQL_PARSE_FAILED`).
    Unparsed,
    /// No operation to run (none of that name, or several and no name):
    /// left to validation, which refuses it; nothing is charged.
    NoOperation,
    /// Estimated: its points.
    Points(u64),
    /// Refused before it runs: the code.
    Refused(&'static str),
}

/// The cost walk (`access::cost`) over an arbitrary document, as the
/// guard runs it: parse (`access::guard::parse_document`, as the guard
/// does), pick the operation, estimate against the schema's
/// registry and the default limits. The input is the document's text,
/// optionally followed by a NUL byte and the variables as JSON, and
/// another NUL byte and the operation's name. The walk runs on a thread
/// with a tokio worker's stack (2 MiB), where the server runs it. An
/// estimate is within the limits and its points are 1 + nodes + 10 per
/// mutation field (nothing when there is no operation to run, which
/// validation refuses); a refusal carries its code; the walk is
/// deterministic.
pub fn cost_walk(data: &[u8]) -> Walked {
    let walker = WALKER.lock().unwrap_or_else(PoisonError::into_inner);
    walker.0.send(data.to_vec()).expect("the walker is running");
    walker.1.recv().expect("the walk ended")
}

/// A thread with a tokio worker's stack that walks the documents sent to
/// it, one at a time (a thread per input would cost more than the walk).
#[allow(clippy::type_complexity)]
static WALKER: LazyLock<Mutex<(mpsc::Sender<Vec<u8>>, mpsc::Receiver<Walked>)>> =
    LazyLock::new(|| {
        let (inputs, input) = mpsc::channel::<Vec<u8>>();
        let (output, outputs) = mpsc::channel();
        std::thread::Builder::new()
            .name("cost walk".into())
            .stack_size(WORKER_STACK)
            .spawn(move || {
                for data in input {
                    if output.send(walk(&data)).is_err() {
                        break;
                    }
                }
            })
            .expect("a thread");
        Mutex::new((inputs, outputs))
    });

fn walk(data: &[u8]) -> Walked {
    let mut parts = data.splitn(3, |&b| b == 0);
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let variables: Variables = parts
        .next()
        .and_then(|json| serde_json::from_slice(json).ok())
        .unwrap_or_default();
    let name = parts.next().map(String::from_utf8_lossy);
    let name = name.as_deref();
    let Ok(document) = tiendo::access::guard::parse_document(&query) else {
        return Walked::Unparsed;
    };
    let registry = &*REGISTRY;
    let limits = *LIMITS;
    let op_type = cost::operation(&document, name).map(|op| op.ty);
    let estimated = cost::estimate(registry, &document, name, &variables, limits);
    let again = cost::estimate(registry, &document, name, &variables, limits);
    assert_eq!(estimated, again, "the walk is deterministic");
    match estimated {
        Ok(estimate) if op_type.is_none() => {
            assert_eq!(estimate, cost::Estimate::default());
            Walked::NoOperation
        }
        Ok(estimate) => {
            assert!(estimate.nodes <= limits.max_nodes);
            assert_eq!(
                estimate.points,
                1 + estimate.nodes + MUTATION_POINTS * estimate.mutation_fields
            );
            assert_eq!(estimate.mutation, op_type == Some(OperationType::Mutation));
            if estimate.mutation {
                assert_eq!(estimate.mutation_fields, estimate.root_fields.len() as u64);
            } else {
                assert_eq!(estimate.mutation_fields, 0);
            }
            Walked::Points(estimate.points)
        }
        Err(refusal) => {
            assert!(
                ["QUERY_TOO_COMPLEX", "BAD_USER_INPUT"].contains(&refusal.code),
                "{refusal:?}"
            );
            assert!(!refusal.message.is_empty());
            Walked::Refused(refusal.code)
        }
    }
}

// ---------------------------------------------------------------------------
// change_log

/// The decoder of a logged change's payload (`store::changes::decode`),
/// which every replica runs on the rows of `data_changes`. Arbitrary
/// bytes are read or refused (`None`: the replica rebuilds); what is read
/// is exactly what the encoder writes for it: encoding it gives back the
/// same bytes, which decode to the same change.
pub fn change_log(data: &[u8]) -> Option<tiendo::model::change::Change> {
    let change = changes::decode(data)?;
    let bytes = changes::encode(&change);
    assert_eq!(
        bytes, data,
        "a payload is read only in the form it is written"
    );
    assert_eq!(changes::decode(&bytes).as_ref(), Some(&change));
    Some(change)
}
