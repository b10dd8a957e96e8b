//! The in-memory image of the data that rollups read, for one data
//! version: [`Snapshot`].
//!
//! A snapshot is made in two ways only, both in this module: [`build`]ing
//! it from the database's rows, and [`apply`]ing a logged change to the
//! snapshot of the version before (which shares every series the change
//! did not touch). Once made it is never changed; the engine
//! ([`super::handle`]) installs it whole and requests read it without locks.
//! Only this module and those two constructors see its fields; the rest
//! of the engine and the layers above read it through the methods below
//! (the tree, the series of a unit, the versions).
//!
//! # Invariants
//!
//! With `n` units, indexed densely `0..n` in id order (the *index* of a
//! unit; [`Snapshot::index_of`] maps an id to it):
//!
//! - `units`, `flows`, `stocks`, `dfs_range` and every `completed_on`
//!   list have `n` entries; `units[i].parent` and `children` are indices.
//! - `flows[u]` holds the prefix sums of the flows of `u`'s subtree over
//!   the days that have a report in it; a leaf's is its own.
//! - `stocks[u]` is the sum over `u`'s subtree of every leaf's step
//!   functions, the two adjustments included, so that a cumulative total
//!   on day D is `adjustment(D) + flows[u].through(D)` for every unit.
//! - `dfs` lists every unit once, each subtree as the contiguous range
//!   `dfs_range[u]` (start inclusive, end exclusive), `u` first.
//! - The units form a forest: one tree per map (see
//!   `entity::unit::AdminMap`), each unit in force for its map's days.
//!   `by_level[(m, l)]` lists the units of map `m` and level `l` in code
//!   order (numeric codes by value), `by_code` finds each by (map, level,
//!   code).
//! - Numbers cross between the maps by `crossings` (see [`Crossings`]): a
//!   leaf's flows on a day it is in force count, apportioned or whole, in
//!   the units of the other map that hold its territory, and its stock
//!   steps likewise; so `flows[u]` and `stocks[u]` also hold what crossed
//!   into `u`'s subtree, the two roots hold the same country, and
//!   `unallocated[t]` is the part of `flows[t]` that crossed in from old
//!   leaves without successors.
//! - `campaign_flows[c][u]` is the flows of `u`'s subtree attributed to
//!   campaign `c`, present for every unit with such a report below it;
//!   `team_flows[t]` those attributed to team `t`.
//! - `completed_on[i][u]` is the first day `u`'s indicator `i` reached
//!   100% (numerator ≥ denominator > 0) on this version's data.
//! - `data_version ≤ version`: a version that changed only access
//!   ([`Snapshot::moved_to`]) moves `version` alone.
//!
//! Rankings computed from a snapshot are kept by the engine beside it
//! (see [`super::ranks::RankCache`]), not in it.

use std::collections::HashMap;
use std::sync::Arc;

use entity::unit::{AdminMap, UnitLevel};

use super::directory::UnitDirectory;
use super::metrics::Indicator;
use crate::model::day::Day;

pub mod apply;
pub mod build;
mod lineage;
mod series;

pub use lineage::Crossings;

pub use series::{FlowSeries, StockSeries};

/// Flow metrics, in this order in every array: applications collected,
/// cards issued, accounts activated, home visits.
pub(super) const FLOWS: usize = 4;
pub(super) const CARDS: usize = 1;
pub(super) const ACCOUNTS: usize = 2;

/// Stock step functions, in this order: eligible population, present
/// population, accounts eligible, and the two *adjustments* that turn flow
/// prefix sums into cumulative totals (see [`StockSeries`]).
pub(super) const STOCKS: usize = 5;
pub(super) const ELIGIBLE: usize = 0;
pub(super) const PRESENT: usize = 1;
pub(super) const ACCOUNTS_ELIGIBLE: usize = 2;
pub(super) const CARDS_ADJUSTMENT: usize = 3;
pub(super) const ACCOUNTS_ADJUSTMENT: usize = 4;

/// One unit of the tree.
#[derive(Debug, Clone)]
pub struct UnitNode {
    pub id: i64,
    /// The map the unit belongs to.
    pub map: AdminMap,
    pub level: UnitLevel,
    pub code: String,
    /// The code as a number, for ordering ties "by code".
    pub code_number: u64,
    pub parent: Option<u32>,
    pub children: Vec<u32>,
    /// The first and last day the unit is in force.
    pub in_force: (Day, Day),
}

/// Everything rollups read, for one version of the data (see the module
/// documentation for what each part holds).
///
/// The per-unit series sit behind `Arc`s so that the snapshot of the next
/// data version (see [`apply`]) shares every series it does not change:
/// cloning a snapshot copies the tree and pointers, not the numbers.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// The data version this snapshot shows (see `store::changes`).
    version: i64,
    /// The last version at or before `version` that changed data (not only
    /// access): responses computed at any version since stay valid.
    data_version: i64,
    units: Vec<UnitNode>,
    index: HashMap<i64, u32>,
    /// Units by (map, level, code).
    by_code: HashMap<(AdminMap, UnitLevel, String), u32>,
    flows: Vec<Arc<FlowSeries>>,
    stocks: Vec<Arc<StockSeries>>,
    /// Flows of the reports attributed to a campaign, by campaign, by unit.
    campaign_flows: HashMap<i64, HashMap<u32, Arc<FlowSeries>>>,
    /// Flows of the reports attributed to a team, by team.
    team_flows: HashMap<i64, Arc<FlowSeries>>,
    /// Units in depth-first order: a subtree is a contiguous range.
    dfs: Vec<u32>,
    /// Position of each unit in `dfs`, and the end of its subtree there.
    dfs_range: Vec<(u32, u32)>,
    /// Units of each level of each map, in code order.
    by_level: HashMap<(AdminMap, UnitLevel), Vec<u32>>,
    /// How numbers cross between the maps (the lineage), shared between
    /// versions: it changes only with a rebuild.
    crossings: Arc<Crossings>,
    /// The flows counted as unallocated in a unit of the new map: those of
    /// old leaves merged away before the lineage table was made.
    unallocated: HashMap<u32, Arc<FlowSeries>>,
    /// Per unit: the first day from which every stock of every apportioned
    /// leaf below it is its own rather than a share of a predecessor's
    /// (`None`: not yet; see [`Snapshot::quality`]).
    own_stocks_from: Vec<Option<Day>>,
    /// The first day each unit reached 100% on each indicator.
    completed_on: HashMap<Indicator, Vec<Option<Day>>>,
    /// Rows read to build this snapshot (for logs and benchmarks).
    source_rows: usize,
    /// Every unit row (names, codes, children), shared between versions.
    directory: Arc<UnitDirectory>,
}

/// Versions.
impl Snapshot {
    /// The data version the snapshot shows.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The last data version that changed numbers or rows (a key's
    /// revocation moves [`Snapshot::version`] but not this).
    pub fn data_version(&self) -> i64 {
        self.data_version
    }

    /// This snapshot at a later version that changed only access.
    pub fn moved_to(&self, version: i64) -> Snapshot {
        let mut next = self.clone();
        next.version = version;
        next
    }

    /// Rows the snapshot was built from.
    pub fn source_rows(&self) -> usize {
        self.source_rows
    }
}

/// The tree.
impl Snapshot {
    /// The dense index of a unit id.
    pub fn index_of(&self, unit_id: i64) -> Option<u32> {
        self.index.get(&unit_id).copied()
    }

    /// The unit rows of this snapshot.
    pub fn directory(&self) -> &UnitDirectory {
        &self.directory
    }

    /// The dense index of the unit with this map, level and code.
    pub fn find(&self, map: AdminMap, level: UnitLevel, code: &str) -> Option<u32> {
        self.by_code.get(&(map, level, code.to_owned())).copied()
    }

    /// Whether a unit reports its own numbers: the leaves of the tree
    /// (communes, and the island districts that have no communes).
    pub fn is_reporting_unit(&self, idx: u32) -> bool {
        self.units[idx as usize].children.is_empty()
    }

    /// Whether the unit at `idx` is in force on `day` (its map's days).
    pub fn in_force_on(&self, idx: u32, day: Day) -> bool {
        let (from, to) = self.units[idx as usize].in_force;
        from <= day && day <= to
    }

    /// The unit at a dense index.
    pub fn unit(&self, idx: u32) -> &UnitNode {
        &self.units[idx as usize]
    }

    /// The id of the unit at a dense index.
    pub fn unit_id(&self, idx: u32) -> i64 {
        self.units[idx as usize].id
    }

    /// The parent of a unit.
    pub fn parent(&self, idx: u32) -> Option<u32> {
        self.units[idx as usize].parent
    }

    /// The children of a unit.
    pub fn children(&self, idx: u32) -> &[u32] {
        &self.units[idx as usize].children
    }

    /// Every unit in the subtree of `idx`, itself included.
    pub fn subtree(&self, idx: u32) -> &[u32] {
        let (start, end) = self.dfs_range[idx as usize];
        &self.dfs[start as usize..end as usize]
    }

    /// Whether `idx` is `ancestor` or below it.
    pub fn is_within(&self, idx: u32, ancestor: u32) -> bool {
        let (pos, _) = self.dfs_range[idx as usize];
        let (start, end) = self.dfs_range[ancestor as usize];
        start <= pos && pos < end
    }

    /// The units of one level of one map, in code order.
    pub fn level(&self, map: AdminMap, level: UnitLevel) -> &[u32] {
        self.by_level
            .get(&(map, level))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Number of units in the snapshot.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }
}

/// The series of a unit.
impl Snapshot {
    /// The flows of a unit's subtree, all reports.
    pub fn flow_series(&self, idx: u32) -> &FlowSeries {
        &self.flows[idx as usize]
    }

    /// The flows of a unit's subtree attributed to a campaign (`None` when
    /// no such report lies below it).
    pub fn campaign_series(&self, campaign: i64, idx: u32) -> Option<&FlowSeries> {
        self.campaign_flows
            .get(&campaign)
            .and_then(|per_unit| per_unit.get(&idx))
            .map(Arc::as_ref)
    }

    /// The flows attributed to a team (`None` when it has no report).
    pub fn team_series(&self, team: i64) -> Option<&FlowSeries> {
        self.team_flows.get(&team).map(Arc::as_ref)
    }

    /// The stock step functions of a unit's subtree.
    pub fn stock_series(&self, idx: u32) -> &StockSeries {
        &self.stocks[idx as usize]
    }

    /// The unallocated flows held (see [`Snapshot::unallocated`]), by the
    /// unit that holds them.
    pub fn unallocated_series(&self) -> impl Iterator<Item = (u32, &FlowSeries)> + '_ {
        self.unallocated.iter().map(|(u, s)| (*u, s.as_ref()))
    }

    /// Whether a unit's numbers after its last day in force are those of
    /// whole units of the map after it.
    pub fn whole_after(&self, idx: u32) -> bool {
        self.crossings
            .whole_after
            .get(idx as usize)
            .copied()
            .unwrap_or(true)
    }

    /// Whether a unit's numbers before its first day in force include a
    /// share of a split old unit.
    pub fn apportioned(&self, idx: u32) -> bool {
        self.crossings
            .apportioned
            .get(idx as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The first day from which the stocks of every apportioned leaf below
    /// a unit are their own (`None`: not yet).
    pub fn own_stocks_from(&self, idx: u32) -> Option<Day> {
        self.own_stocks_from
            .get(idx as usize)
            .copied()
            .unwrap_or(Some(Day::MIN))
    }

    /// The predecessors of a new unit and the share of each that went to
    /// it: old leaves for a leaf, old units that went whole into it (share
    /// 1) for a unit above the leaves (an old province into a new one).
    pub fn predecessors(&self, idx: u32) -> &[(u32, f64)] {
        self.crossings
            .predecessors
            .get(&idx)
            .or_else(|| self.crossings.whole_predecessors.get(&idx))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The successors of an old unit and the share of it that went to
    /// each: new leaves for a leaf, the new unit it went into whole (share
    /// 1) for a unit above the leaves (an old province into a new one).
    pub fn successors(&self, idx: u32) -> Vec<(u32, f64)> {
        match self.crossings.successors.get(&idx) {
            Some(split) => split
                .units
                .iter()
                .copied()
                .zip(split.shares.iter().copied())
                .collect(),
            None => self
                .crossings
                .whole_successors
                .get(&idx)
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// The new unit holding an old leaf's numbers as unallocated: a leaf
    /// merged away before the lineage was written, whose land is known to
    /// lie in that unit (its old province's successor) and no finer.
    pub fn unallocated_into(&self, idx: u32) -> Option<u32> {
        self.crossings.unallocated_into.get(&idx).copied()
    }

    /// The first day each unit reached 100% on an indicator, by index.
    pub fn completed_on(&self, indicator: Indicator) -> &[Option<Day>] {
        self.completed_on
            .get(&indicator)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}
