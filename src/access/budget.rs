//! Points budgets, as Shopify's GraphQL API meters them: each caller has a
//! bucket of points that refills at a steady rate up to its size. A
//! request is charged its *requested* cost before it runs (refused with
//! `RATE_LIMITED` and a retry time when the bucket holds less), and the
//! difference to its *actual* cost is given back after.
//!
//! Buckets live in each replica's memory, keyed by API key (or by client
//! address without one). With N replicas behind a balancer a caller can
//! spend up to N buckets; the server divides the configured budget by
//! `--budget-replicas` so that the sum stays what is published.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A budget's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// Bucket size: the most a caller can spend at once.
    pub points: u64,
    /// Points given back per second.
    pub per_second: u64,
}

impl Allowance {
    /// No limit (the CLI, tests of other things).
    pub const UNLIMITED: Allowance = Allowance {
        points: u64::MAX / 4,
        per_second: u64::MAX / 4,
    };

    /// This allowance shared among `replicas` replicas.
    pub fn per_replica(self, replicas: u64) -> Allowance {
        let replicas = replicas.max(1);
        Allowance {
            points: (self.points / replicas).max(1),
            per_second: (self.per_second / replicas).max(1),
        }
    }

    /// How long an empty bucket takes to fill up again: a bucket left
    /// alone that long is full, the same as no bucket at all.
    fn refill_time(self) -> Duration {
        let seconds = self.points as f64 / self.per_second.max(1) as f64;
        Duration::from_secs_f64(seconds.clamp(0.001, 86_400.0))
    }
}

/// Whose bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Key(i64),
    /// A client address without a key, as [`Holder::address`] groups it.
    Address(IpAddr),
}

impl Holder {
    /// The bucket of a client address without a key. IPv6 clients are
    /// grouped by their /64 (one subscriber's network: an ISP hands out at
    /// least a /64, so a client could otherwise take a fresh bucket for
    /// every one of its 2^64 addresses); an IPv4 address mapped into IPv6
    /// is the IPv4 address.
    pub fn address(ip: IpAddr) -> Holder {
        let grouped = match ip {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let bits = u128::from(v6) & !((1u128 << 64) - 1);
                    IpAddr::V6(bits.into())
                }
            },
        };
        Holder::Address(grouped)
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    available: f64,
    at: Instant,
}

/// One holder's bucket with the allowance it was last charged under (its
/// entry expires when it would be full again).
#[derive(Debug)]
struct Entry {
    allowance: Mutex<Allowance>,
    bucket: Mutex<Bucket>,
}

/// The charge of one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Charge {
    /// Charged; this many points are left.
    Charged { left: u64 },
    /// Not enough points: nothing charged; enough will be there after this
    /// many seconds.
    Refused { retry_after_seconds: f64, left: u64 },
}

/// Bytes one bucket takes in the table (key, entry, the cache's own
/// bookkeeping), for the byte bound.
pub const BUCKET_BYTES: u64 = 256;

/// An entry expires once it has been idle long enough to be full again:
/// forgetting it then changes nothing, and no sweep of the table is needed.
struct UntilFull;

impl moka::Expiry<Holder, Arc<Entry>> for UntilFull {
    fn expire_after_create(
        &self,
        _key: &Holder,
        value: &Arc<Entry>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(lock(&value.allowance).refill_time())
    }

    fn expire_after_read(
        &self,
        _key: &Holder,
        value: &Arc<Entry>,
        _read_at: Instant,
        _duration_until_expiry: Option<Duration>,
        _last_modified_at: Instant,
    ) -> Option<Duration> {
        Some(lock(&value.allowance).refill_time())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Every caller's bucket on this replica: a table bounded in bytes
/// (`--budget-table-mb`), whose entries expire when they are full again.
/// When it is full the least recently charged bucket goes first (a new
/// caller is always metered).
pub struct Budgets {
    buckets: moka::sync::Cache<Holder, Arc<Entry>>,
}

impl Budgets {
    /// A table of at most `bytes` of buckets.
    pub fn new(bytes: u64) -> Self {
        Budgets {
            buckets: moka::sync::Cache::builder()
                .max_capacity((bytes / BUCKET_BYTES).max(1))
                .eviction_policy(moka::policy::EvictionPolicy::lru())
                .expire_after(UntilFull)
                .build(),
        }
    }

    fn refilled(bucket: &mut Bucket, allowance: Allowance, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.available =
            (bucket.available + elapsed * allowance.per_second as f64).min(allowance.points as f64);
        bucket.at = now;
    }

    /// Charges `cost` points if the bucket holds them.
    pub fn charge(&self, holder: Holder, allowance: Allowance, cost: u64) -> Charge {
        let now = Instant::now();
        let entry = self.buckets.get_with(holder, || {
            Arc::new(Entry {
                allowance: Mutex::new(allowance),
                bucket: Mutex::new(Bucket {
                    available: allowance.points as f64,
                    at: now,
                }),
            })
        });
        *lock(&entry.allowance) = allowance;
        let mut bucket = lock(&entry.bucket);
        Self::refilled(&mut bucket, allowance, now);
        let cost = cost as f64;
        if bucket.available >= cost {
            bucket.available -= cost;
            Charge::Charged {
                left: bucket.available as u64,
            }
        } else {
            let missing = cost - bucket.available;
            Charge::Refused {
                retry_after_seconds: if cost > allowance.points as f64 {
                    f64::INFINITY
                } else {
                    missing / allowance.per_second.max(1) as f64
                },
                left: bucket.available as u64,
            }
        }
    }

    /// Gives back points charged but not spent; returns what is left.
    pub fn refund(&self, holder: Holder, allowance: Allowance, points: u64) -> u64 {
        let now = Instant::now();
        let Some(entry) = self.buckets.get(&holder) else {
            return allowance.points;
        };
        let mut bucket = lock(&entry.bucket);
        Self::refilled(&mut bucket, allowance, now);
        bucket.available = (bucket.available + points as f64).min(allowance.points as f64);
        bucket.available as u64
    }

    /// Buckets held now (after pending evictions are applied).
    pub fn len(&self) -> u64 {
        self.buckets.run_pending_tasks();
        self.buckets.entry_count()
    }

    /// Whether no bucket is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_refuses_and_refunds() {
        let budgets = Budgets::new(16 << 20);
        let allowance = Allowance {
            points: 100,
            per_second: 1,
        };
        let holder = Holder::Key(7);
        assert_eq!(
            budgets.charge(holder, allowance, 60),
            Charge::Charged { left: 40 }
        );
        match budgets.charge(holder, allowance, 60) {
            Charge::Refused {
                retry_after_seconds,
                left,
            } => {
                assert_eq!(left, 40);
                assert!(retry_after_seconds > 19.0 && retry_after_seconds <= 20.0);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(budgets.refund(holder, allowance, 50), 90);
        // Another holder has its own bucket.
        assert_eq!(
            budgets.charge(Holder::Key(8), allowance, 100),
            Charge::Charged { left: 0 }
        );
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("address");
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().expect("address");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("address");
        assert_eq!(Holder::address(a), Holder::address(b));
        assert_ne!(Holder::address(a), Holder::address(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("address");
        assert_eq!(
            Holder::address(mapped),
            Holder::Address("192.0.2.7".parse().expect("address"))
        );
    }

    #[test]
    fn the_table_is_bounded_and_idle_buckets_expire() {
        // Given a table of 100 buckets' bytes
        let budgets = Budgets::new(100 * BUCKET_BYTES);
        let allowance = Allowance {
            points: 10,
            per_second: 100,
        };
        // When 10,000 addresses are charged
        for i in 0..10_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(i));
            budgets.charge(Holder::address(ip), allowance, 1);
        }
        // Then it holds at most its bound
        assert!(budgets.len() <= 100, "{} buckets", budgets.len());
        // And once they would be full again (0.1 s; moka's timer wheel
        // fires within about a second after that), none is left
        std::thread::sleep(Duration::from_millis(2_500));
        assert_eq!(budgets.len(), 0);
    }
}
