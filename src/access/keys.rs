//! API keys: 32 random bytes from the operating system, shown once as
//! `tiendo_` and 64 hex digits, stored only as their SHA-256.
//!
//! A key is high-entropy, so a fast hash is the right one (as GitHub and
//! Stripe do for tokens): nobody can guess one, and the lookup is one
//! indexed equality. Keys found valid are remembered per replica
//! ([`KeyCache`]) for at most 5 s and only while the data version stays the
//! same: a revocation takes a data version, so it reaches every replica as
//! soon as its rollup engine follows (PostgreSQL `NOTIFY`, or a 1 s poll).

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::Caller;

/// The prefix of every key (tells secret scanners what it is).
pub const KEY_PREFIX: &str = "tiendo_";

/// How long a replica trusts a key it has checked.
pub const TRUST_FOR: Duration = Duration::from_secs(5);

/// How long a key checked by this replica is still honoured while the
/// database does not answer (an outage): the replica cannot learn of a
/// revocation then, and its numbers are marked stale anyway.
pub const TRUST_OFFLINE_FOR: Duration = Duration::from_secs(600);

/// A new random key.
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{KEY_PREFIX}{}", hex::encode(bytes)))
}

/// The stored form of a key: its SHA-256, lower-case hex.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// What a listing shows of a key: the prefix and its first 6 digits.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(KEY_PREFIX.len() + 6).collect()
}

/// Whether `text` has the shape of a key (checked before any lookup).
pub fn well_formed(text: &str) -> bool {
    text.strip_prefix(KEY_PREFIX)
        .is_some_and(|rest| rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Callers of keys this replica checked recently, by key hash, with the
/// data version they were checked at: an entry serves while it is younger
/// than [`TRUST_FOR`] and the data version has not moved (a revocation
/// moves it, on every replica). Only keys found valid enter it, it is
/// bounded in bytes (`--key-cache-mb`), and entries expire after
/// [`TRUST_FOR`].
pub struct KeyCache {
    entries: moka::sync::Cache<String, Checked>,
}

/// When a key was checked, at which data version, and who it is.
type Checked = (Instant, Option<i64>, Caller);

/// Bytes an entry takes beyond its caller's name (hash, caller, scope,
/// the cache's bookkeeping).
const ENTRY_BYTES: usize = 512;

impl KeyCache {
    /// A cache of at most `bytes`.
    pub fn new(bytes: u64) -> Self {
        KeyCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|_hash: &String, (_, _, caller): &Checked| {
                    u32::try_from(ENTRY_BYTES + caller.name.len()).unwrap_or(u32::MAX)
                })
                .time_to_live(TRUST_OFFLINE_FOR)
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .build(),
        }
    }

    /// A key checked less than [`TRUST_FOR`] ago, at data version `version`.
    pub fn get(&self, hash: &str, version: Option<i64>) -> Option<Caller> {
        self.entries
            .get(hash)
            .filter(|(at, at_version, _)| at.elapsed() < TRUST_FOR && *at_version == version)
            .map(|(_, _, key)| key)
    }

    /// A key checked less than [`TRUST_OFFLINE_FOR`] ago, at any data
    /// version: only while the database does not answer.
    pub fn last_known(&self, hash: &str) -> Option<Caller> {
        self.entries
            .get(hash)
            .filter(|(at, _, _)| at.elapsed() < TRUST_OFFLINE_FOR)
            .map(|(_, _, key)| key)
    }

    /// Remembers the caller of a valid key.
    pub fn put(&self, hash: &str, version: Option<i64>, caller: Caller) {
        self.entries
            .insert(hash.to_owned(), (Instant::now(), version, caller));
    }

    /// Forgets a key (revoked on this replica).
    pub fn forget(&self, key_id: i64) {
        let revoked: Vec<_> = self
            .entries
            .iter()
            .filter(|(_, (_, _, caller))| caller.key_id == Some(key_id))
            .map(|(hash, _)| hash)
            .collect();
        for hash in revoked {
            self.entries.invalidate(hash.as_str());
        }
    }
}

/// Creates a key for `role` scoped to `unit_id` and returns it (the only
/// time it exists outside the caller) with its stored row.
pub async fn issue(
    db: &impl sea_orm::ConnectionTrait,
    role: super::Role,
    unit_id: Option<i64>,
    name: &str,
    allow_list_only: bool,
) -> Result<(String, entity::api_key::Model), sea_orm::DbErr> {
    let key = generate().map_err(|err| sea_orm::DbErr::Custom(format!("no randomness: {err}")))?;
    let stored = crate::store::access::create_key(
        db,
        crate::store::access::NewKey {
            name: name.to_owned(),
            prefix: display_prefix(&key),
            hash: hash(&key),
            role: role
                .stored()
                .ok_or_else(|| sea_orm::DbErr::Custom("a key needs a role".into()))?,
            unit_id,
            allow_list_only,
            budget_points: None,
            refill_per_second: None,
        },
    )
    .await?;
    Ok((key, stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_well_formed_and_hashed() {
        let a = generate().expect("random bytes");
        let b = generate().expect("random bytes");
        assert_ne!(a, b);
        assert!(well_formed(&a));
        assert!(!well_formed("tiendo_xyz"));
        assert!(!well_formed(&a.replace(KEY_PREFIX, "other_")));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(display_prefix(&a).len(), KEY_PREFIX.len() + 6);
    }
}
