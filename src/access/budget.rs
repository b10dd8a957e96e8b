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

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

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
}

/// Whose bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    Key(i64),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    available: f64,
    at: Instant,
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

/// Every caller's bucket on this replica.
#[derive(Default)]
pub struct Budgets {
    buckets: Mutex<HashMap<Holder, Bucket>>,
}

impl Budgets {
    fn refilled(bucket: &mut Bucket, allowance: Allowance, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.available =
            (bucket.available + elapsed * allowance.per_second as f64).min(allowance.points as f64);
        bucket.at = now;
    }

    /// Charges `cost` points if the bucket holds them.
    pub fn charge(&self, holder: Holder, allowance: Allowance, cost: u64) -> Charge {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Full buckets are the same as no bucket: forget them.
            buckets.retain(|_, b| {
                let mut b = *b;
                Self::refilled(&mut b, allowance, now);
                b.available < allowance.points as f64
            });
        }
        let bucket = buckets.entry(holder).or_insert(Bucket {
            available: allowance.points as f64,
            at: now,
        });
        Self::refilled(bucket, allowance, now);
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
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let Some(bucket) = buckets.get_mut(&holder) else {
            return allowance.points;
        };
        Self::refilled(bucket, allowance, now);
        bucket.available = (bucket.available + points as f64).min(allowance.points as f64);
        bucket.available as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_refuses_and_refunds() {
        let budgets = Budgets::default();
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
}
