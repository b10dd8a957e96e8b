//! Ranks of single units (`Unit.rank`): each unit's group is ranked by the
//! snapshot, once per data version (see [`crate::engine::ranks`]), however
//! many units and requests ask.
//!
//! Not a DataLoader: the snapshot is in memory, so there is no channel, no
//! tick's wait, and nothing to batch (a whole-country drill asks 768 ranks
//! of 64 groups).

use crate::engine::Snapshot;
use crate::engine::period::Period;
use crate::engine::query::Measure;
use crate::engine::ranks::{Placing, RankingKey};

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

/// The place of `key`'s unit in its group (`None` when the unit cannot be
/// ranked: no denominator, or not in the snapshot).
pub fn placing(snapshot: &Snapshot, key: RankKey) -> Option<Placing> {
    let unit = snapshot.index_of(key.unit_id)?;
    let (from, to) = key.period;
    snapshot
        .placings(RankingKey {
            group: snapshot.rank_group(unit, key.among == Among::Level),
            measure: key.measure,
            period: Period { from, to },
            descending: key.descending,
        })
        .of(unit)
}
