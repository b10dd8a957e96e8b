//! Trusted documents: persisted queries (the APQ protocol) and the
//! allow-list.
//!
//! A request may send `extensions.persistedQuery = { version: 1,
//! sha256Hash }` with or without its `query`:
//!
//! - without the query, the document is looked up by hash, first among
//!   the registered documents, then in this replica's APQ cache; unknown →
//!   `PERSISTED_QUERY_NOT_FOUND` (the client sends it again with the query);
//! - with the query, the hash must match it (`BAD_USER_INPUT` otherwise);
//!   the document is then remembered in the APQ cache.
//!
//! The APQ store only saves bandwidth: anything may enter it, so it is
//! bounded in bytes and partitioned, and storing is paid for:
//!
//! - a document over `--persisted-query-max-bytes` runs but is not stored
//!   (the response says so in `extensions.persistedQuery`);
//! - storing costs `--persisted-query-points-per-kib` points per started
//!   KiB, charged to the caller's budget before it is stored;
//! - each key has a partition of its own (`--persisted-queries-per-key-kb`;
//!   all of them together at most `--persisted-queries-mb`): a key that
//!   floods the store pushes out only its own documents;
//! - callers without a key share one small partition apart from the keys'
//!   (`--persisted-queries-anonymous-mb`), which admits a new document
//!   only when it is asked for more often than the ones it would push out
//!   (moka's TinyLFU): a flood of new documents, each sent once, leaves
//!   the documents dashboards keep asking for in place.
//!
//! The allow-list is separate — documents registered by an administrator
//! (`tiendo documents register`, or the `registerDocument` mutation) —
//! and a caller in allow-list mode runs only those (`DOCUMENT_NOT_ALLOWED`).

use std::sync::Arc;

use moka::sync::Cache;
use sea_orm::{DatabaseConnection, DbErr};
use sha2::{Digest, Sha256};

use crate::store;

/// The `extensions.code` of an unknown persisted query.
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
/// The `extensions.code` of a document outside the caller's allow-list.
pub const DOCUMENT_NOT_ALLOWED: &str = "DOCUMENT_NOT_ALLOWED";

/// SHA-256 of a document, lower-case hex (the APQ hash).
pub fn hash(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

/// Whose part of the APQ store a document goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// One API key's.
    Key(i64),
    /// Every caller without a key.
    Anonymous,
}

/// The byte bounds of the stores.
#[derive(Debug, Clone, Copy)]
pub struct DocumentBounds {
    /// Largest document stored.
    pub max_document_bytes: usize,
    /// Every key's partitions together.
    pub keys_bytes: u64,
    /// One key's partition.
    pub per_key_bytes: u64,
    /// The partition of callers without a key.
    pub anonymous_bytes: u64,
    /// Registered documents kept in memory.
    pub registered_bytes: u64,
}

/// What [`Documents::remember_apq`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Stored,
    /// Over `--persisted-query-max-bytes`: not stored.
    TooLarge,
}

/// Bytes an entry costs beyond its hash and text (the cache's own
/// bookkeeping and the string headers).
const ENTRY_OVERHEAD: usize = 160;

type DocumentCache = Cache<String, Arc<str>>;

fn document_cache(bytes: u64) -> DocumentCache {
    Cache::builder()
        .max_capacity(bytes)
        .weigher(|hash: &String, document: &Arc<str>| {
            u32::try_from(hash.len() + document.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
        })
        .build()
}

/// The APQ store's partitions and a cache of the registered documents
/// (registrations never change a document, so a found one can be kept).
pub struct Documents {
    bounds: DocumentBounds,
    registered: DocumentCache,
    anonymous: DocumentCache,
    /// One partition per key that stored something, weighed by its bound.
    keys: Cache<i64, Arc<DocumentCache>>,
}

impl Documents {
    /// Stores bounded as `bounds` says.
    pub fn new(bounds: DocumentBounds) -> Self {
        let per_key = bounds.per_key_bytes.max(1);
        Documents {
            bounds,
            registered: document_cache(bounds.registered_bytes),
            anonymous: document_cache(bounds.anonymous_bytes),
            keys: Cache::builder()
                .max_capacity(bounds.keys_bytes / per_key)
                .build(),
        }
    }

    /// The bounds the stores keep.
    pub fn bounds(&self) -> DocumentBounds {
        self.bounds
    }

    /// Bytes held by the APQ partitions now (after pending evictions).
    pub fn apq_bytes(&self) -> u64 {
        self.anonymous.run_pending_tasks();
        self.keys.run_pending_tasks();
        let keys: u64 = self
            .keys
            .iter()
            .map(|(_, partition)| {
                partition.run_pending_tasks();
                partition.weighted_size()
            })
            .sum();
        self.anonymous.weighted_size() + keys
    }

    /// The registered document with this hash.
    pub async fn registered(
        &self,
        db: &DatabaseConnection,
        hash: &str,
    ) -> Result<Option<String>, DbErr> {
        if let Some(doc) = self.registered.get(hash) {
            return Ok(Some(doc.to_string()));
        }
        let found = store::access::document(db, hash).await?;
        if let Some(found) = &found {
            self.registered
                .insert(hash.to_owned(), Arc::from(found.document.as_str()));
        }
        Ok(found.map(|d| d.document))
    }

    /// A document by hash: registered, or in the caller's APQ partition.
    pub async fn lookup(
        &self,
        db: &DatabaseConnection,
        hash: &str,
        partition: Partition,
    ) -> Result<Option<String>, DbErr> {
        if let Some(doc) = self.registered(db, hash).await? {
            return Ok(Some(doc));
        }
        let found = match partition {
            Partition::Anonymous => self.anonymous.get(hash),
            Partition::Key(id) => self.keys.get(&id).and_then(|p| p.get(hash)),
        };
        Ok(found.map(|doc| doc.to_string()))
    }

    /// Whether a document of `bytes` bytes would be stored.
    pub fn storable(&self, bytes: usize) -> bool {
        bytes <= self.bounds.max_document_bytes
    }

    /// Remembers a document sent with its hash in `partition` (the caller
    /// has paid for it).
    pub fn remember_apq(&self, hash: &str, document: &str, partition: Partition) -> Stored {
        if !self.storable(document.len()) {
            return Stored::TooLarge;
        }
        let store = match partition {
            Partition::Anonymous => None,
            Partition::Key(id) => Some(
                self.keys
                    .get_with(id, || Arc::new(document_cache(self.bounds.per_key_bytes))),
            ),
        };
        store
            .as_deref()
            .unwrap_or(&self.anonymous)
            .insert(hash.to_owned(), Arc::from(document));
        Stored::Stored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Documents {
        Documents::new(DocumentBounds {
            max_document_bytes: 1024,
            keys_bytes: 4 * 16 * 1024,
            per_key_bytes: 16 * 1024,
            anonymous_bytes: 16 * 1024,
            registered_bytes: 16 * 1024,
        })
    }

    fn document(i: usize) -> String {
        format!("# {i:0>900}\n{{ __typename }}")
    }

    #[test]
    fn partitions_hold_their_bytes_and_no_more() {
        let docs = small();
        let kept = document(0);
        docs.remember_apq(&hash(&kept), &kept, Partition::Key(2));
        // A key floods its partition with 1,000 documents...
        for i in 1..=1_000 {
            let d = document(i);
            assert_eq!(
                docs.remember_apq(&hash(&d), &d, Partition::Key(1)),
                Stored::Stored
            );
        }
        // ...and holds at most its own bound; another key's entry stays.
        assert!(docs.apq_bytes() <= 2 * 16 * 1024, "{}", docs.apq_bytes());
        assert!(
            docs.keys
                .get(&2)
                .and_then(|p| p.get(&hash(&kept)))
                .is_some()
        );
        assert!(docs.anonymous.get(&hash(&kept)).is_none());
        // An oversized document is not stored.
        let big = "x".repeat(2_000);
        assert_eq!(
            docs.remember_apq(&hash(&big), &big, Partition::Anonymous),
            Stored::TooLarge
        );
    }

    #[test]
    fn a_flood_without_a_key_leaves_documents_in_use() {
        let docs = small();
        let hot = document(0);
        let hot_hash = hash(&hot);
        docs.remember_apq(&hot_hash, &hot, Partition::Anonymous);
        for _ in 0..20 {
            assert!(docs.anonymous.get(&hot_hash).is_some());
        }
        for i in 1..=2_000 {
            let d = document(i);
            docs.remember_apq(&hash(&d), &d, Partition::Anonymous);
            if i % 5 == 0 {
                // Dashboards keep asking for the hot document.
                assert!(docs.anonymous.get(&hot_hash).is_some(), "evicted after {i}");
            }
        }
        docs.anonymous.run_pending_tasks();
        assert!(docs.anonymous.weighted_size() <= 16 * 1024);
    }

    #[test]
    fn the_hash_is_the_apq_hash() {
        // sha256 of the UTF-8 text, as `sha256sum` and Apollo clients compute it.
        assert_eq!(
            super::hash("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
