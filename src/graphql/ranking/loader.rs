//! Batches ranks of many units: every group (siblings, or a whole level)
//! is ranked once per request, however many of its units ask.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::unit::UnitLevel;

use crate::engine::Snapshot;
use crate::engine::period::Period;
use crate::engine::query::{Measure, Ranked};
use crate::graphql::loaders::SnapshotCell;

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

/// Ranks of whole groups against the request's snapshot.
pub struct RankLoader(pub Arc<SnapshotCell>);

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

impl Loader<RankKey> for RankLoader {
    type Value = Placing;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RankKey]) -> Result<HashMap<RankKey, Self::Value>, Self::Error> {
        let snapshot = self.0.get().await?;
        let mut groups: HashMap<GroupKey, Vec<(RankKey, u32)>> = HashMap::new();
        for key in keys {
            let Some(unit) = snapshot.index_of(key.unit_id) else {
                continue;
            };
            let group = match key.among {
                Among::Siblings => Group::Children(snapshot.parent(unit)),
                Among::Level => Group::Level(snapshot.unit(unit).level),
            };
            groups
                .entry((group, key.measure, key.period, key.descending))
                .or_default()
                .push((*key, unit));
        }
        let mut out = HashMap::new();
        for ((group, measure, (from, to), descending), members) in groups {
            let units: Vec<u32> = match group {
                Group::Children(Some(parent)) => snapshot.children(parent).to_vec(),
                Group::Children(None) => members.iter().map(|(_, u)| *u).collect(),
                Group::Level(level) => snapshot.level(level).to_vec(),
            };
            let placed: HashMap<u32, Placing> =
                placings(&snapshot, &units, measure, Period { from, to }, descending)
                    .into_iter()
                    .map(|p| (p.current.measured.unit, p))
                    .collect();
            for (key, unit) in members {
                if let Some(placing) = placed.get(&unit) {
                    out.insert(key, *placing);
                }
            }
        }
        Ok(out)
    }
}
