//! The in-memory image of the data that rollups read.

use std::collections::HashMap;
use std::sync::Arc;

use entity::unit::UnitLevel;

use super::days::Day;
use super::metrics::Indicator;
use super::period::Period;

/// Flow metrics, in this order in every array: applications collected,
/// cards issued, accounts activated, home visits.
pub const FLOWS: usize = 4;
pub const APPLICATIONS: usize = 0;
pub const CARDS: usize = 1;
pub const ACCOUNTS: usize = 2;
pub const VISITS: usize = 3;

/// Stock step functions, in this order: eligible population, present
/// population, accounts eligible, and the two *adjustments* that turn flow
/// prefix sums into cumulative totals (see [`StockSeries`]).
pub const STOCKS: usize = 5;
pub const ELIGIBLE: usize = 0;
pub const PRESENT: usize = 1;
pub const ACCOUNTS_ELIGIBLE: usize = 2;
pub const CARDS_ADJUSTMENT: usize = 3;
pub const ACCOUNTS_ADJUSTMENT: usize = 4;

/// One unit of the tree.
#[derive(Debug, Clone)]
pub struct UnitNode {
    pub id: i64,
    pub level: UnitLevel,
    pub code: String,
    /// The code as a number, for ordering ties "by code".
    pub code_number: u64,
    pub parent: Option<u32>,
    pub children: Vec<u32>,
}

/// Entries per chunk of a [`FlowSeries`].
const CHUNK: usize = 32;

/// One day of a [`FlowSeries`]: the day and the sums up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    day: Day,
    prefix: [i64; FLOWS],
}

/// Prefix sums of the flows of one unit's subtree, at the days that have
/// reports: the sum over any period is two binary searches.
///
/// Stored in shared chunks of 32 days, so that the next snapshot's series
/// after a new day of reports shares every full chunk with this one and
/// copies only the last (a national day touches 11,000 series: appending
/// copies about 12 MB, not the 150 MB of whole series).
#[derive(Debug, Clone, Default)]
pub struct FlowSeries {
    chunks: Vec<Arc<Vec<Entry>>>,
    len: usize,
}

impl PartialEq for FlowSeries {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.entries().eq(other.entries())
    }
}

impl FlowSeries {
    /// Builds the series from daily values sorted by day (one entry a day).
    pub fn from_daily(daily: Vec<(Day, [i64; FLOWS])>) -> Self {
        let mut series = FlowSeries::default();
        let mut running = [0i64; FLOWS];
        for (d, values) in daily {
            for m in 0..FLOWS {
                running[m] += values[m];
            }
            series.push(d, running);
        }
        series
    }

    /// Appends a day (after every day held) with its prefix sums.
    pub(crate) fn push(&mut self, day: Day, prefix: [i64; FLOWS]) {
        debug_assert!(self.last_day().is_none_or(|last| last < day));
        let entry = Entry { day, prefix };
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => Arc::make_mut(chunk).push(entry),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(entry);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.len += 1;
    }

    fn entry(&self, i: usize) -> &Entry {
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// Number of days held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no day is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th day and its prefix sums.
    pub fn at_index(&self, i: usize) -> (Day, [i64; FLOWS]) {
        let e = self.entry(i);
        (e.day, e.prefix)
    }

    /// The days and their prefix sums, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Day, [i64; FLOWS])> + '_ {
        self.entries().map(|e| (e.day, e.prefix))
    }

    /// The first and the last day held.
    pub fn first_day(&self) -> Option<Day> {
        (self.len > 0).then(|| self.entry(0).day)
    }

    pub fn last_day(&self) -> Option<Day> {
        (self.len > 0).then(|| self.entry(self.len - 1).day)
    }

    /// The number of leading days for which `pred` holds (`pred` must hold
    /// for a prefix of the days and fail after it).
    fn partition_point(&self, pred: impl Fn(Day) -> bool) -> usize {
        let full = self
            .chunks
            .partition_point(|chunk| chunk.last().is_some_and(|e| pred(e.day)));
        match self.chunks.get(full) {
            Some(chunk) => full * CHUNK + chunk.partition_point(|e| pred(e.day)),
            None => self.len,
        }
    }

    /// Sums of the flows on days up to and including `d`.
    pub fn through(&self, d: Day) -> [i64; FLOWS] {
        let n = self.partition_point(|x| x <= d);
        if n == 0 {
            [0; FLOWS]
        } else {
            self.entry(n - 1).prefix
        }
    }

    /// Sums of the flows over a period.
    pub fn sum(&self, period: Period) -> [i64; FLOWS] {
        let hi = self.through(period.to);
        let lo = self.through(period.from - 1);
        let mut out = [0; FLOWS];
        for m in 0..FLOWS {
            out[m] = hi[m] - lo[m];
        }
        out
    }

    /// Whether any report falls in the period.
    pub fn reported_in(&self, period: Period) -> bool {
        let i = self.partition_point(|x| x < period.from);
        i < self.len && self.entry(i).day <= period.to
    }

    /// The last day with a report on or before `d`.
    pub fn last_on_or_before(&self, d: Day) -> Option<Day> {
        let n = self.partition_point(|x| x <= d);
        (n > 0).then(|| self.entry(n - 1).day)
    }

    /// The days that have reports.
    pub fn days(&self) -> impl Iterator<Item = Day> + '_ {
        self.entries().map(|e| e.day)
    }

    /// The days that have reports, from `from` on.
    pub fn days_from(&self, from: Day) -> impl Iterator<Item = Day> + '_ {
        let start = self.partition_point(|x| x < from);
        (start..self.len).map(|i| self.entry(i).day)
    }
}

/// Step functions of one unit's subtree stocks: the values in force from
/// each change day on.
///
/// The cumulative total of cards (or accounts) of a commune on day D is its
/// latest opening balance O (taking effect on day V) plus the flows from V
/// to D: `O + P(D) − P(V − 1)` with P the flow prefix sum. The part
/// `O − P(V − 1)` changes only on opening days, so it is kept here as an
/// *adjustment* step function, and it sums up the tree like any stock:
/// `total(D) = adjustment(D) + P(D)` for every unit.
#[derive(Debug, Clone, Default)]
pub struct StockSeries {
    pub(crate) days: Vec<Day>,
    pub(crate) values: Vec<[i64; STOCKS]>,
}

impl StockSeries {
    /// The values in force on day `d` (0 before the first change).
    pub fn at(&self, d: Day) -> [i64; STOCKS] {
        let n = self.days.partition_point(|x| *x <= d);
        if n == 0 {
            [0; STOCKS]
        } else {
            self.values[n - 1]
        }
    }

    /// The days on which a value changes.
    pub fn days(&self) -> &[Day] {
        &self.days
    }
}

/// Everything rollups read, for one version of the data.
///
/// The per-unit series sit behind `Arc`s so that the snapshot of the next
/// data version (see [`super::apply`]) shares every series it does not
/// change: cloning a snapshot copies the tree and pointers, not the numbers.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// The data version this snapshot shows (see `store::changes`).
    pub(crate) version: i64,
    /// The last version at or before `version` that changed data (not only
    /// access): responses computed at any version since stay valid.
    pub(crate) data_version: i64,
    pub(crate) units: Vec<UnitNode>,
    pub(crate) index: HashMap<i64, u32>,
    /// Units by (level, code).
    pub(crate) by_code: HashMap<(UnitLevel, String), u32>,
    pub(crate) flows: Vec<Arc<FlowSeries>>,
    pub(crate) stocks: Vec<Arc<StockSeries>>,
    /// Flows of the reports attributed to a campaign, by campaign, by unit.
    pub(crate) campaign_flows: HashMap<i64, HashMap<u32, Arc<FlowSeries>>>,
    /// Flows of the reports attributed to a team, by team.
    pub(crate) team_flows: HashMap<i64, Arc<FlowSeries>>,
    /// Units in depth-first order: a subtree is a contiguous range.
    pub(crate) dfs: Vec<u32>,
    /// Position of each unit in `dfs`, and the end of its subtree there.
    pub(crate) dfs_range: Vec<(u32, u32)>,
    /// Units of each level, in code order.
    pub(crate) by_level: HashMap<UnitLevel, Vec<u32>>,
    /// The first day each unit reached 100% on each indicator.
    pub(crate) completed_on: HashMap<Indicator, Vec<Option<Day>>>,
    /// Rows read to build this snapshot (for logs and benchmarks).
    pub(crate) source_rows: usize,
    /// Every unit row (names, codes, children), shared between versions.
    pub(crate) directory: Arc<super::directory::UnitDirectory>,
}

impl Snapshot {
    /// The dense index of a unit id.
    pub fn index_of(&self, unit_id: i64) -> Option<u32> {
        self.index.get(&unit_id).copied()
    }

    /// The data version the snapshot shows.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The last data version that changed numbers or rows (a key's
    /// revocation moves [`Snapshot::version`] but not this).
    pub fn data_version(&self) -> i64 {
        self.data_version
    }

    /// The unit rows of this snapshot.
    pub fn directory(&self) -> &super::directory::UnitDirectory {
        &self.directory
    }

    /// This snapshot at a later version that changed only access.
    pub fn moved_to(&self, version: i64) -> Snapshot {
        let mut next = self.clone();
        next.version = version;
        next
    }

    /// The dense index of the unit with this level and code.
    pub fn find(&self, level: UnitLevel, code: &str) -> Option<u32> {
        self.by_code.get(&(level, code.to_owned())).copied()
    }

    /// Whether a unit reports its own numbers: the leaves of the tree
    /// (communes, and the island districts that have no communes).
    pub fn is_reporting_unit(&self, idx: u32) -> bool {
        self.units[idx as usize].children.is_empty()
    }

    /// The unit at a dense index.
    pub fn unit(&self, idx: u32) -> &UnitNode {
        &self.units[idx as usize]
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

    /// The units of one level, in code order.
    pub fn level(&self, level: UnitLevel) -> &[u32] {
        self.by_level.get(&level).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Number of units in the snapshot.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// Rows the snapshot was built from.
    pub fn source_rows(&self) -> usize {
        self.source_rows
    }
}
