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
//! The APQ cache only saves bandwidth: anything may enter it. The
//! allow-list is separate — documents registered by an administrator
//! (`tiendo documents register`, or the `registerDocument` mutation) —
//! and a caller in allow-list mode runs only those (`DOCUMENT_NOT_ALLOWED`).

use std::collections::HashMap;
use std::sync::Mutex;

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

/// The APQ cache and a cache of the registered documents (registrations
/// never change a document, so a found one can be kept).
pub struct Documents {
    apq: Mutex<HashMap<String, String>>,
    registered: Mutex<HashMap<String, String>>,
    capacity: usize,
}

impl Documents {
    /// Caches of at most `capacity` documents each.
    pub fn new(capacity: usize) -> Self {
        Documents {
            apq: Mutex::new(HashMap::new()),
            registered: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn remember(map: &Mutex<HashMap<String, String>>, capacity: usize, hash: &str, doc: &str) {
        let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= capacity {
            map.clear();
        }
        map.insert(hash.to_owned(), doc.to_owned());
    }

    /// The registered document with this hash.
    pub async fn registered(
        &self,
        db: &DatabaseConnection,
        hash: &str,
    ) -> Result<Option<String>, DbErr> {
        if let Some(doc) = self
            .registered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
        {
            return Ok(Some(doc.clone()));
        }
        let found = store::access::document(db, hash).await?;
        if let Some(found) = &found {
            Self::remember(&self.registered, self.capacity, hash, &found.document);
        }
        Ok(found.map(|d| d.document))
    }

    /// A document by hash: registered, or in the APQ cache.
    pub async fn lookup(
        &self,
        db: &DatabaseConnection,
        hash: &str,
    ) -> Result<Option<String>, DbErr> {
        if let Some(doc) = self.registered(db, hash).await? {
            return Ok(Some(doc));
        }
        Ok(self
            .apq
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .cloned())
    }

    /// Remembers a document sent with its hash.
    pub fn remember_apq(&self, hash: &str, document: &str) {
        Self::remember(&self.apq, self.capacity, hash, document);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_is_the_apq_hash() {
        // sha256 of the UTF-8 text, as `sha256sum` and Apollo clients compute it.
        assert_eq!(
            super::hash("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }
}
