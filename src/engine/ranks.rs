//! Rankings with movement (the rank now and over the previous period),
//! kept for the data version they were computed at.
//!
//! Dashboards ask the same few rankings over and over (the 63 provinces on
//! coverage, a province's districts), and a ranking of a level reads every
//! unit of it twice: it is computed once per data version and group, and
//! every request after that reads the placings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entity::unit::UnitLevel;

use super::period::Period;
use super::query::{Measure, Ranked};
use super::snapshot::Snapshot;

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
    /// The units of a level, all of them or those below one unit.
    Level(UnitLevel, Option<u32>),
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

/// Rankings computed at one data version. Shared by the snapshots of that
/// version (and, harmlessly, by the next one cloned from it: a look-up at
/// another data version empties it first).
#[derive(Debug, Default)]
pub struct RankCache {
    held: Mutex<(i64, HashMap<RankingKey, Arc<Placings>>)>,
}

/// Rankings kept per data version (a whole-country drill asks 64 groups).
const KEPT: usize = 4_096;

impl RankCache {
    fn get(&self, data_version: i64, key: &RankingKey) -> Option<Arc<Placings>> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        (held.0 == data_version)
            .then(|| held.1.get(key).cloned())
            .flatten()
    }

    fn put(&self, data_version: i64, key: RankingKey, placings: Arc<Placings>) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.0 != data_version || held.1.len() >= KEPT {
            held.1.clear();
            held.0 = data_version;
        }
        held.1.insert(key, placings);
    }
}

impl Snapshot {
    /// The group a unit is ranked in: its siblings, or its whole level.
    pub fn rank_group(&self, unit: u32, among: Among) -> Group {
        match (among, self.parent(unit)) {
            (Among::Level, _) => Group::Level(self.unit(unit).level, None),
            (Among::Siblings, Some(parent)) => Group::Children(parent),
            (Among::Siblings, None) => Group::Alone(unit),
        }
    }

    /// The placings of one ranking, computed at most once per data version
    /// (two requests asking at once may both compute it, with the same
    /// result).
    pub fn placings(&self, key: RankingKey) -> Arc<Placings> {
        if let Some(known) = self.rankings.get(self.data_version, &key) {
            return known;
        }
        let units = match key.group {
            Group::Children(parent) => self.children(parent).to_vec(),
            Group::Alone(unit) => vec![unit],
            Group::Level(level, within) => self.units_of_level(level, within),
        };
        let placings =
            Arc::new(self.rank_with_movement(&units, key.measure, key.period, key.descending));
        self.rankings.put(self.data_version, key, placings.clone());
        placings
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
