//! The response cache: the serialized `data` of a read document, reused
//! for the same document, operation, variables and caller partition until
//! a write changes the data.
//!
//! Exactness rests on three things:
//!
//! - **Every entry is labelled with the data version it was computed at**
//!   (the engine's [`data_version`](crate::engine::Engine::data_version),
//!   taken before the request ran, so everything it read is at least that
//!   new). An entry is served only while the replica's data version is
//!   still that one: any write to reports, stocks, campaigns or teams moves
//!   it (in the write's own transaction), a key revocation does not (keys
//!   are checked before the cache is consulted). The first request at a
//!   newer version empties the cache, so dead answers are not kept either
//!   ([`VersionedCache`]).
//! - **Before a lookup the replica reaches the committed version** (the
//!   read fence of [`crate::engine::fence`]): a write committed on any
//!   replica before the request arrived is in the snapshot first, so no
//!   cached response is older than the last committed write. PostgreSQL
//!   `NOTIFY` keeps replicas near the head between requests; the fence makes
//!   it exact.
//! - **The key holds the caller's partition** — role, scope root, finest
//!   level, whether reports are visible, the public levels a key reads
//!   besides its subtree, whether introspection is on — so every answer
//!   lives in exactly one caller partition and is never served to a caller
//!   who sees something else (a key and the public that read the same
//!   national ranking each hold their own copy). It also holds the day in
//!   Vietnam, so an answer that depends on "today" (target progress
//!   without `asOf`, the default map) is never served on another day.
//!   Documents whose answer depends on the key itself (`viewer`,
//!   `auditLog`) are not cached at all.
//!
//! What is cached is only `data`: `extensions.cost` is computed afresh
//! (the budget is charged for a cached answer as for an executed one), and
//! `extensions.responseCache` says `HIT`, `MISS`, `BYPASS` (not cacheable)
//! or `OFF`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_graphql::{Request, Response, Value};
use entity::unit::UnitLevel;

use crate::access::{Caller, Role};
use crate::engine::versioned::VersionedCache;

/// Root fields whose answer depends on the key, not only on its scope.
const PER_KEY_FIELDS: &[&str] = &["viewer", "auditLog"];

/// The largest document and variables (together) whose answer is kept:
/// dashboards send small documents, and a cache holding megabyte keys
/// would keep few answers worth keeping (measured: 1 MiB keys also left
/// the allocator holding hundreds of MB after they were evicted).
pub const MAX_KEY_BYTES: usize = 16 * 1024;

/// What a caller sees, as far as the cache is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Partition {
    role: Role,
    root: Option<i64>,
    finest: UnitLevel,
    reports: bool,
    /// The public levels a key reads besides its subtree.
    public: Option<UnitLevel>,
    introspection: bool,
    /// The day in Vietnam the answer was computed on: answers that depend
    /// on "today" (target progress without `asOf`, the default map) never
    /// come from another day's entry.
    day: crate::model::day::Day,
}

/// One cached request.
#[derive(Debug, PartialEq, Eq)]
pub struct Key {
    partition: Partition,
    query: String,
    operation_name: Option<String>,
    /// The variables as JSON.
    variables: String,
    hash: u64,
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash.hash(state);
    }
}

impl Key {
    /// The key of `request` for `caller`; `None` when the request cannot be
    /// cached (uploads, or variables that do not serialize).
    pub fn of(request: &Request, caller: &Caller, introspection: bool) -> Option<Key> {
        Self::of_on(request, caller, introspection, crate::model::day::today())
    }

    /// [`Key::of`] for a request answered on `day`.
    fn of_on(
        request: &Request,
        caller: &Caller,
        introspection: bool,
        day: crate::model::day::Day,
    ) -> Option<Key> {
        if !request.uploads.is_empty() || request.query.len() > MAX_KEY_BYTES {
            return None;
        }
        let mut variables = serde_json::to_string(&request.variables).ok()?;
        variables.shrink_to_fit();
        if request.query.len() + variables.len() > MAX_KEY_BYTES {
            return None;
        }
        let partition = Partition {
            role: caller.role,
            root: caller.scope.root.as_ref().map(|r| r.id),
            finest: caller.scope.finest,
            reports: caller.scope.reports,
            public: caller.scope.public,
            introspection,
            day,
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        partition.hash(&mut hasher);
        request.query.hash(&mut hasher);
        request.operation_name.hash(&mut hasher);
        variables.hash(&mut hasher);
        Some(Key {
            partition,
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables,
            hash: hasher.finish(),
        })
    }

    fn weight(&self) -> usize {
        self.query.len()
            + self.variables.len()
            + self.operation_name.as_ref().map_or(0, String::len)
    }
}

/// One cached answer (of the data version the cache holds).
#[derive(Debug)]
pub struct Entry {
    /// `data`, serialized (no spare capacity: the weigher counts `len`).
    pub data: Box<[u8]>,
    /// The cost it was charged, and what it actually cost.
    pub requested: u64,
    pub actual: u64,
    pub nodes: u64,
}

/// The cache of one replica, bounded in bytes. It holds answers of the
/// newest data version only: a write empties it (see
/// [`VersionedCache`]), so dead answers never crowd out live ones.
pub struct ResponseCache {
    entries: VersionedCache<Key, Arc<Entry>>,
}

impl ResponseCache {
    /// A cache holding at most about `bytes` of keys and responses.
    pub fn new(bytes: u64) -> Self {
        ResponseCache {
            entries: VersionedCache::new(bytes, |key: &Key, entry: &Arc<Entry>| {
                key.weight() + entry.data.len() + 128
            }),
        }
    }

    /// The answer to `key` computed at `data_version`, if one is held.
    pub fn get(&self, key: &Key, data_version: i64) -> Option<Arc<Entry>> {
        self.entries.get(data_version, key)
    }

    /// Keeps `response` for `key`, if it may be cached: a query that ran
    /// without errors at `data_version`, and not a per-key document.
    pub fn put(
        &self,
        key: Key,
        data_version: i64,
        response: &Response,
        root_fields: &[String],
        requested: u64,
        nodes: u64,
    ) {
        if !response.errors.is_empty()
            || matches!(response.data, Value::Null)
            || root_fields
                .iter()
                .any(|f| PER_KEY_FIELDS.contains(&f.as_str()))
        {
            return;
        }
        let Ok(data) = serde_json::to_vec(&response.data) else {
            return;
        };
        let data = data.into_boxed_slice();
        let actual = response
            .extensions
            .get("cost")
            .and_then(|cost| match cost {
                Value::Object(fields) => fields.get("actualQueryCost"),
                _ => None,
            })
            .and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                _ => None,
            })
            .unwrap_or(requested);
        self.entries.put(
            data_version,
            key,
            Arc::new(Entry {
                data,
                requested,
                actual,
                nodes,
            }),
        );
    }

    /// Number of answers held (for tests and logs; approximate).
    pub fn len(&self) -> u64 {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether a response was answered from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Served from the cache.
    Hit,
    /// Executed, and kept if it could be.
    Miss,
    /// Executed; not cacheable (a mutation, a refused request).
    Bypass,
    /// The cache is turned off.
    Off,
}

impl Status {
    /// The value of `extensions.responseCache`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Hit => "HIT",
            Status::Miss => "MISS",
            Status::Bypass => "BYPASS",
            Status::Off => "OFF",
        }
    }
}

#[cfg(test)]
mod day_tests {
    use super::*;

    #[test]
    fn an_answer_of_one_day_is_not_the_next_day_s() {
        let request = Request::new("{ campaigns(first: 5) { nodes { targets { progress } } } }");
        let caller = Caller::admin("test");
        let today = Key::of_on(&request, &caller, false, 20_000);
        assert_eq!(today, Key::of_on(&request, &caller, false, 20_000));
        assert_ne!(today, Key::of_on(&request, &caller, false, 20_001));
    }
}
