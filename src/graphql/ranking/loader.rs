//! Ranks of many units: every group (siblings, or a whole level) is ranked
//! once per request, however many of its units ask.
//!
//! Not a DataLoader: the snapshot is in memory, so the first unit of a
//! group to ask ranks the whole group and keeps it for the others — no
//! channel, no tick's wait, and nothing to batch (a whole-country drill
//! asks 768 ranks of 64 groups).

use std::collections::HashMap;
use std::sync::Arc;

use entity::unit::UnitLevel;

use crate::engine::Snapshot;
use crate::engine::period::Period;
use crate::engine::query::{Measure, Ranked};

/// Among which units a unit is ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Among {
    /// The units with the same parent.
    Siblings,
    /// Every unit of the same level.
    Level,
}

/// A rank request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RankKey {
    pub unit_id: i64,
    pub measure: Measure,
    pub period: (i32, i32),
    pub among: Among,
    pub descending: bool,
}

/// A unit's place in its group, now and in the previous period of equal length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placing {
    pub current: Ranked,
    pub out_of: u32,
    pub previous_rank: Option<u32>,
}

/// The groups ranked so far in one request, against its one snapshot.
#[derive(Default)]
pub struct RankMemo {
    groups: std::sync::Mutex<HashMap<GroupKey, Arc<HashMap<u32, Placing>>>>,
}

/// The group a unit is ranked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    Children(Option<u32>),
    Level(UnitLevel),
}

/// A group ranked together: who, on what, over which period, which way.
type GroupKey = (Group, Measure, (i32, i32), bool);

/// Ranks `units` over `period` and the previous period: placings in rank
/// order (units that cannot be ranked left out).
pub fn placings(
    snapshot: &Snapshot,
    units: &[u32],
    measure: Measure,
    period: Period,
    descending: bool,
) -> Vec<Placing> {
    let now = snapshot.rank(units, measure, period, descending);
    let before: HashMap<u32, u32> = snapshot
        .rank(units, measure, period.previous(), descending)
        .into_iter()
        .map(|r| (r.measured.unit, r.rank))
        .collect();
    let out_of = now.len() as u32;
    now.into_iter()
        .map(|r| Placing {
            previous_rank: before.get(&r.measured.unit).copied(),
            current: r,
            out_of,
        })
        .collect()
}

impl RankMemo {
    /// The place of `key`'s unit in its group (`None` when the unit cannot
    /// be ranked: no denominator, or not in the snapshot).
    pub fn placing(&self, snapshot: &Snapshot, key: RankKey) -> Option<Placing> {
        let unit = snapshot.index_of(key.unit_id)?;
        let group = match key.among {
            Among::Siblings => Group::Children(snapshot.parent(unit)),
            Among::Level => Group::Level(snapshot.unit(unit).level),
        };
        let group_key = (group, key.measure, key.period, key.descending);
        let known = self
            .groups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&group_key)
            .cloned();
        let placed = match known {
            Some(placed) => placed,
            None => {
                // Ranked outside the lock; two units of a new group asking
                // at once may both rank it, with the same result.
                let units: Vec<u32> = match group {
                    Group::Children(Some(parent)) => snapshot.children(parent).to_vec(),
                    Group::Children(None) => vec![unit],
                    Group::Level(level) => snapshot.level(level).to_vec(),
                };
                let (from, to) = key.period;
                let placed: Arc<HashMap<u32, Placing>> = Arc::new(
                    placings(
                        snapshot,
                        &units,
                        key.measure,
                        Period { from, to },
                        key.descending,
                    )
                    .into_iter()
                    .map(|p| (p.current.measured.unit, p))
                    .collect(),
                );
                self.groups
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(group_key, placed.clone());
                placed
            }
        };
        placed.get(&unit).copied()
    }
}
