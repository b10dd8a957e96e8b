//! Rankings with movement (the rank now and over the previous period),
//! kept for the data version they were computed at.
//!
//! Dashboards ask the same few rankings over and over (the 63 provinces on
//! coverage, a province's districts), and a ranking of a level reads every
//! unit of it twice: it is computed once per data version and group, and
//! every request after that reads the placings.

use std::collections::HashMap;
use std::sync::Arc;

use entity::unit::{AdminMap, UnitLevel};

use super::period::Period;
use super::query::{Measure, Ranked};
use super::snapshot::Snapshot;
use super::versioned::VersionedCache;

/// A unit's place in its group, now and in the previous period of equal
/// length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placing {
    pub current: Ranked,
    pub out_of: u32,
    pub previous_rank: Option<u32>,
}

/// Among which units a unit is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Among {
    /// The units with the same parent.
    Siblings,
    /// Every unit of the same level.
    Level,
}

/// The units ranked together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// The children of a unit.
    Children(u32),
    /// A unit with no parent, ranked alone.
    Alone(u32),
    /// The units of a level of a map, all of them or those below one unit.
    Level(AdminMap, UnitLevel, Option<u32>),
}

/// One ranking: a group, on a measure, over a period, one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RankingKey {
    pub group: Group,
    pub measure: Measure,
    pub period: Period,
    pub descending: bool,
}

/// A group's placings, in rank order (units that cannot be ranked left
/// out) and by unit.
#[derive(Debug, Default)]
pub struct Placings {
    order: Vec<Placing>,
    by_unit: HashMap<u32, u32>,
}

impl Placings {
    /// The placings in rank order.
    pub fn in_order(&self) -> &[Placing] {
        &self.order
    }

    /// The placing of one unit, if it was ranked.
    pub fn of(&self, unit: u32) -> Option<Placing> {
        self.by_unit.get(&unit).map(|i| self.order[*i as usize])
    }
}

/// Rankings computed at one data version, bounded in bytes (a
/// commune-level group holds 10,598 placings, and a client may vary the
/// period at will): the least recently used go first. The engine holds one
/// beside its snapshots (which stay immutable); a look-up at a newer data
/// version empties it first (see [`VersionedCache`]), and a look-up with
/// an older snapshot still in use computes its answer without storing it.
#[derive(Debug)]
pub struct RankCache {
    held: VersionedCache<RankingKey, Arc<Placings>>,
}

/// Bytes of one placing in a group (the placing, its place in the index
/// by unit, the index's slack).
const PLACING_BYTES: usize = std::mem::size_of::<Placing>() + 24;

impl Placings {
    /// The bytes it holds on the heap (an upper estimate).
    fn bytes(&self) -> usize {
        256 + self.order.capacity().max(self.by_unit.capacity()) * PLACING_BYTES
    }
}

impl RankCache {
    /// A cache of at most `bytes` of placings.
    pub fn new(bytes: u64) -> Self {
        RankCache {
            held: VersionedCache::new(bytes, |_key, placings: &Arc<Placings>| placings.bytes()),
        }
    }

    /// The placings of one ranking of `snapshot`, computed at most once per
    /// data version (two requests asking at once may both compute it, with
    /// the same result).
    pub fn placings(&self, snapshot: &Snapshot, key: RankingKey) -> Arc<Placings> {
        let version = snapshot.data_version();
        if let Some(known) = self.held.get(version, &key) {
            return known;
        }
        let units = match key.group {
            Group::Children(parent) => snapshot.children(parent).to_vec(),
            Group::Alone(unit) => vec![unit],
            Group::Level(map, level, within) => snapshot.units_of_level(map, level, within),
        };
        let placings =
            Arc::new(snapshot.rank_with_movement(&units, key.measure, key.period, key.descending));
        self.held.put(version, key, placings.clone());
        placings
    }

    /// Bytes held now (after pending evictions).
    pub fn bytes(&self) -> u64 {
        self.held.bytes()
    }
}

impl Snapshot {
    /// The group a unit is ranked in: its siblings, or its whole level.
    pub fn rank_group(&self, unit: u32, among: Among) -> Group {
        match (among, self.parent(unit)) {
            (Among::Level, _) => Group::Level(self.unit(unit).map, self.unit(unit).level, None),
            (Among::Siblings, Some(parent)) => Group::Children(parent),
            (Among::Siblings, None) => Group::Alone(unit),
        }
    }

    /// Ranks `units` over `period` and over the previous period.
    fn rank_with_movement(
        &self,
        units: &[u32],
        measure: Measure,
        period: Period,
        descending: bool,
    ) -> Placings {
        let now = self.rank(units, measure, period, descending);
        let before: HashMap<u32, u32> = self
            .rank(units, measure, period.previous(), descending)
            .into_iter()
            .map(|r| (r.measured.unit, r.rank))
            .collect();
        let out_of = now.len() as u32;
        let order: Vec<Placing> = now
            .into_iter()
            .map(|r| Placing {
                previous_rank: before.get(&r.measured.unit).copied(),
                current: r,
                out_of,
            })
            .collect();
        let by_unit = order
            .iter()
            .enumerate()
            .map(|(i, p)| (p.current.measured.unit, i as u32))
            .collect();
        Placings { order, by_unit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::metrics::Metric;
    use crate::engine::snapshot::build::build;
    use crate::model::rows::UnitInput;

    /// A ministry with `n` provinces.
    fn country(n: i64) -> Snapshot {
        let mut units = vec![UnitInput {
            id: 1,
            map: AdminMap::Vn2023,
            level: UnitLevel::Ministry,
            code: "0".into(),
            parent_id: None,
            in_force: (crate::model::day::Day::MIN, crate::model::day::Day::MAX),
        }];
        units.extend((2..n + 2).map(|id| UnitInput {
            id,
            map: AdminMap::Vn2023,
            level: UnitLevel::Province,
            code: id.to_string(),
            parent_id: Some(1),
            in_force: (crate::model::day::Day::MIN, crate::model::day::Day::MAX),
        }));
        build(units, &[], &[], &[])
    }

    #[test]
    fn the_cache_holds_at_most_its_bytes_and_forgets_older_versions() {
        let snapshot = country(500);
        let bound = 256 << 10;
        let cache = RankCache::new(bound);
        let key = |day: i32| RankingKey {
            group: Group::Level(AdminMap::Vn2023, UnitLevel::Province, None),
            measure: Measure::Metric(Metric::CardsIssued),
            period: Period { from: day, to: day },
            descending: true,
        };
        // A client varying the period at will: far more than the bound.
        let one = cache.placings(&snapshot, key(0)).bytes() as u64;
        for day in 0..2000 {
            assert_eq!(cache.placings(&snapshot, key(day)).in_order().len(), 500);
        }
        assert!(
            one * 2000 > bound * 10,
            "the rankings asked exceed the bound"
        );
        assert!(cache.bytes() <= bound, "{} bytes held", cache.bytes());
        assert!(cache.bytes() >= bound / 2, "the cache is used");

        // A newer data version empties it; the old snapshot then stores nothing.
        let next = snapshot
            .apply(7, &Default::default(), &[])
            .expect("an empty change applies");
        cache.placings(&next, key(1));
        assert!(cache.bytes() <= one + 1024);
        cache.placings(&snapshot, key(2));
        assert!(
            cache.bytes() <= one + 1024,
            "an older snapshot stored nothing"
        );
    }
}
