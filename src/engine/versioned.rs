//! A cache of answers computed at one data version, bounded in bytes: the
//! rank cache and the response cache both hold one.
//!
//! An answer of an older data version is never served again, so it is not
//! kept either: the first look-up or store at a newer version empties the
//! cache at once (a write moves the version, and every answer of the old
//! one is dead). Without that, answers of dead versions stay until size
//! eviction pushes them out, and a server under varied reads holds the whole
//! budget in dead answers (the soak benchmark saw resident memory grow 65%
//! that way).
//!
//! Every value is stored with its version and served only at that version,
//! so a value stored by a request of the old version just as another
//! request empties the cache is never read at the new one.

use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::atomic::{AtomicI64, Ordering};

/// Values of the newest data version seen, bounded in bytes, least
/// recently used first out.
pub struct VersionedCache<K, V> {
    version: AtomicI64,
    held: moka::sync::Cache<K, (i64, V)>,
}

impl<K, V> std::fmt::Debug for VersionedCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionedCache")
            .field("version", &self.version.load(Ordering::Relaxed))
            .field("entries", &self.held.entry_count())
            .finish()
    }
}

impl<K, V> VersionedCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache of at most `bytes`, as `weigh` counts them (a key and its
    /// value, in bytes).
    pub fn new(bytes: u64, weigh: impl Fn(&K, &V) -> usize + Send + Sync + 'static) -> Self {
        VersionedCache {
            version: AtomicI64::new(i64::MIN),
            held: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(move |key: &K, (_, value): &(i64, V)| {
                    u32::try_from(weigh(key, value)).unwrap_or(u32::MAX)
                })
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .build(),
        }
    }

    /// Moves the cache to `data_version`: values of another version are
    /// dropped. Returns whether the cache now serves that version (an
    /// older snapshot still in use reads nothing from it and stores
    /// nothing in it).
    fn at(&self, data_version: i64) -> bool {
        let held = self.version.load(Ordering::Acquire);
        if held == data_version {
            return true;
        }
        if held > data_version {
            return false;
        }
        if self
            .version
            .compare_exchange(held, data_version, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.held.invalidate_all();
        }
        self.version.load(Ordering::Acquire) == data_version
    }

    /// The value held for `key` at `data_version`.
    pub fn get<Q>(&self, data_version: i64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if !self.at(data_version) {
            return None;
        }
        let (version, value) = self.held.get(key)?;
        (version == data_version).then_some(value)
    }

    /// Keeps `value` for `key`, computed at `data_version` (nothing is kept
    /// when the cache already serves a newer version).
    pub fn put(&self, data_version: i64, key: K, value: V) {
        if self.at(data_version) {
            self.held.insert(key, (data_version, value));
        }
    }

    /// Bytes held now (after pending evictions).
    pub fn bytes(&self) -> u64 {
        self.held.run_pending_tasks();
        self.held.weighted_size()
    }

    /// Values held now (after pending evictions).
    pub fn len(&self) -> u64 {
        self.held.run_pending_tasks();
        self.held.entry_count()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_version_empties_the_cache_and_an_older_one_is_not_served() {
        let cache: VersionedCache<u32, u32> = VersionedCache::new(1 << 20, |_, _| 64);
        cache.put(5, 1, 10);
        cache.put(5, 2, 20);
        assert_eq!(cache.get(5, &1), Some(10));
        assert_eq!(cache.len(), 2);

        // A look-up at a newer version drops everything of the old one.
        assert_eq!(cache.get(6, &1), None);
        assert!(cache.is_empty());

        // A request still on the old version neither reads nor stores.
        cache.put(5, 3, 30);
        assert_eq!(cache.get(5, &3), None);
        assert!(cache.is_empty());

        cache.put(6, 3, 31);
        assert_eq!(cache.get(6, &3), Some(31));
    }

    #[test]
    fn a_value_stored_at_an_old_version_is_never_served_at_a_new_one() {
        let cache: VersionedCache<u32, u32> = VersionedCache::new(1 << 20, |_, _| 64);
        // As if a put of version 7 passed its check just before version 8
        // emptied the cache, and inserted after.
        cache.put(8, 9, 1);
        cache.held.insert(1, (7, 70));
        assert_eq!(cache.get(8, &1), None);
    }

    #[test]
    fn it_is_bounded_in_bytes() {
        let cache: VersionedCache<u32, u32> = VersionedCache::new(10 * 1024, |_, _| 1024);
        for key in 0..100 {
            cache.put(1, key, key);
        }
        assert!(cache.bytes() <= 10 * 1024, "{} bytes", cache.bytes());
    }
}
