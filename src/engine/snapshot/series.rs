//! The two kinds of series a snapshot holds per unit: prefix sums of the
//! flows ([`FlowSeries`]) and step functions of the stocks
//! ([`StockSeries`]).

use std::sync::Arc;

use super::{FLOWS, STOCKS};
use crate::engine::period::Period;
use crate::model::day::Day;

/// Entries per chunk of a [`FlowSeries`].
const CHUNK: usize = 32;

/// One day of a narrow chunk: the sums up to it, as amounts above the
/// chunk's base (20 bytes rather than 40).
#[derive(Debug, Clone, Copy)]
struct Narrow {
    day: Day,
    above: [u32; FLOWS],
}

/// Up to [`CHUNK`] consecutive days of a [`FlowSeries`].
///
/// Flows are never negative, so within 32 days the sums rarely grow by
/// more than 32 bits can hold: a chunk keeps the sums at its first day
/// (`base`) and each day's sums as 32-bit amounts above them. A chunk
/// where some amount does not fit (a country's month, or a negative
/// correction) turns wide and keeps the sums whole.
#[derive(Debug, Clone)]
enum Chunk {
    Narrow {
        base: [i64; FLOWS],
        entries: Vec<Narrow>,
    },
    Wide(Vec<(Day, [i64; FLOWS])>),
}

/// `prefix − base` per flow, if every amount fits 32 bits unsigned.
fn amounts_above(base: &[i64; FLOWS], prefix: &[i64; FLOWS]) -> Option<[u32; FLOWS]> {
    let mut above = [0u32; FLOWS];
    for m in 0..FLOWS {
        above[m] = u32::try_from(prefix[m].checked_sub(base[m])?).ok()?;
    }
    Some(above)
}

impl Chunk {
    fn starting(day: Day, prefix: [i64; FLOWS]) -> Chunk {
        let mut entries = Vec::with_capacity(CHUNK);
        entries.push(Narrow {
            day,
            above: [0; FLOWS],
        });
        Chunk::Narrow {
            base: prefix,
            entries,
        }
    }

    fn len(&self) -> usize {
        match self {
            Chunk::Narrow { entries, .. } => entries.len(),
            Chunk::Wide(entries) => entries.len(),
        }
    }

    fn day(&self, i: usize) -> Day {
        match self {
            Chunk::Narrow { entries, .. } => entries[i].day,
            Chunk::Wide(entries) => entries[i].0,
        }
    }

    fn at(&self, i: usize) -> (Day, [i64; FLOWS]) {
        match self {
            Chunk::Narrow { base, entries } => {
                let e = &entries[i];
                let mut prefix = *base;
                for (sum, above) in prefix.iter_mut().zip(e.above) {
                    *sum += i64::from(above);
                }
                (e.day, prefix)
            }
            Chunk::Wide(entries) => entries[i],
        }
    }

    /// The number of leading days for which `pred` holds.
    fn partition_point(&self, pred: impl Fn(Day) -> bool) -> usize {
        match self {
            Chunk::Narrow { entries, .. } => entries.partition_point(|e| pred(e.day)),
            Chunk::Wide(entries) => entries.partition_point(|e| pred(e.0)),
        }
    }

    fn push(&mut self, day: Day, prefix: [i64; FLOWS]) {
        match self {
            Chunk::Narrow { base, entries } => {
                if let Some(above) = amounts_above(base, &prefix) {
                    entries.push(Narrow { day, above });
                    return;
                }
            }
            Chunk::Wide(entries) => {
                entries.push((day, prefix));
                return;
            }
        }
        let mut wide: Vec<(Day, [i64; FLOWS])> = (0..self.len()).map(|i| self.at(i)).collect();
        wide.reserve(CHUNK.saturating_sub(wide.len()));
        wide.push((day, prefix));
        *self = Chunk::Wide(wide);
    }

    fn pop(&mut self) -> Option<(Day, [i64; FLOWS])> {
        let last = self.len().checked_sub(1)?;
        let entry = self.at(last);
        match self {
            Chunk::Narrow { entries, .. } => {
                entries.pop();
            }
            Chunk::Wide(entries) => {
                entries.pop();
            }
        }
        Some(entry)
    }
}

/// Prefix sums of the flows of one unit's subtree, at the days that have
/// reports: the sum over any period is two binary searches.
///
/// Stored in shared chunks of 32 days, so that the next snapshot's series
/// after a new day of reports shares every full chunk with this one and
/// copies only the last (a national day touches 11,000 series: appending
/// copies about 6 MB, not the 80 MB of whole series).
#[derive(Debug, Clone, Default)]
pub struct FlowSeries {
    /// Every chunk but the last holds [`CHUNK`] days.
    chunks: Vec<Arc<Chunk>>,
    len: usize,
}

impl PartialEq for FlowSeries {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
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
    pub(super) fn push(&mut self, day: Day, prefix: [i64; FLOWS]) {
        debug_assert!(self.last_day().is_none_or(|last| last < day));
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => Arc::make_mut(chunk).push(day, prefix),
            _ => self.chunks.push(Arc::new(Chunk::starting(day, prefix))),
        }
        self.len += 1;
    }

    /// Adds `values` to the last day held (another report of that day).
    pub(super) fn add_to_last(&mut self, values: &[i64; FLOWS]) {
        let Some(chunk) = self.chunks.last_mut() else {
            return;
        };
        let chunk = Arc::make_mut(chunk);
        let Some((day, mut prefix)) = chunk.pop() else {
            return;
        };
        if chunk.len() == 0 {
            self.chunks.pop();
        }
        self.len -= 1;
        for m in 0..FLOWS {
            prefix[m] += values[m];
        }
        self.push(day, prefix);
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
        self.chunks[i / CHUNK].at(i % CHUNK)
    }

    fn day_at(&self, i: usize) -> Day {
        self.chunks[i / CHUNK].day(i % CHUNK)
    }

    /// The days and their prefix sums, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Day, [i64; FLOWS])> + '_ {
        self.chunks
            .iter()
            .flat_map(|chunk| (0..chunk.len()).map(|i| chunk.at(i)))
    }

    /// The first and the last day held.
    pub fn first_day(&self) -> Option<Day> {
        (self.len > 0).then(|| self.day_at(0))
    }

    pub fn last_day(&self) -> Option<Day> {
        (self.len > 0).then(|| self.day_at(self.len - 1))
    }

    /// The number of leading days for which `pred` holds (`pred` must hold
    /// for a prefix of the days and fail after it).
    fn partition_point(&self, pred: impl Fn(Day) -> bool) -> usize {
        let full = self
            .chunks
            .partition_point(|chunk| chunk.len() > 0 && pred(chunk.day(chunk.len() - 1)));
        match self.chunks.get(full) {
            Some(chunk) => full * CHUNK + chunk.partition_point(&pred),
            None => self.len,
        }
    }

    /// Sums of the flows on days up to and including `d`.
    pub fn through(&self, d: Day) -> [i64; FLOWS] {
        let n = self.partition_point(|x| x <= d);
        if n == 0 {
            [0; FLOWS]
        } else {
            self.at_index(n - 1).1
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
        i < self.len && self.day_at(i) <= period.to
    }

    /// The last day with a report on or before `d`.
    pub fn last_on_or_before(&self, d: Day) -> Option<Day> {
        let n = self.partition_point(|x| x <= d);
        (n > 0).then(|| self.day_at(n - 1))
    }

    /// The days that have reports.
    pub fn days(&self) -> impl Iterator<Item = Day> + '_ {
        self.chunks
            .iter()
            .flat_map(|chunk| (0..chunk.len()).map(|i| chunk.day(i)))
    }

    /// The days that have reports, from `from` on.
    pub fn days_from(&self, from: Day) -> impl Iterator<Item = Day> + '_ {
        let start = self.partition_point(|x| x < from);
        (start..self.len).map(|i| self.day_at(i))
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
    pub(super) days: Vec<Day>,
    pub(super) values: Vec<[i64; STOCKS]>,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Sums as a plain list would give them.
    fn naive(daily: &[(Day, [i64; FLOWS])], d: Day) -> [i64; FLOWS] {
        let mut out = [0; FLOWS];
        for (_, values) in daily.iter().filter(|(day, _)| *day <= d) {
            for m in 0..FLOWS {
                out[m] += values[m];
            }
        }
        out
    }

    #[test]
    fn series_hold_sums_too_large_for_32_bits_and_negative_days() {
        // Days 0..100 with values that overflow 32 bits within a chunk,
        // some negative, and quiet stretches.
        let daily: Vec<(Day, [i64; FLOWS])> = (0..100)
            .map(|d| {
                let big = if d % 7 == 3 { 3_000_000_000 } else { d as i64 };
                let negative = if d % 11 == 5 { -40 } else { 2 };
                (d * 2, [big, negative, 1, 0])
            })
            .collect();
        let series = FlowSeries::from_daily(daily.clone());
        assert_eq!(series.len(), 100);
        assert!(series.chunks.iter().any(|c| matches!(**c, Chunk::Wide(_))));
        for d in -3..205 {
            assert_eq!(series.through(d), naive(&daily, d), "through day {d}");
        }
        assert_eq!(
            series.days().collect::<Vec<_>>(),
            daily.iter().map(|(d, _)| *d).collect::<Vec<_>>()
        );

        // Another report of the last day, added in place, in both kinds of
        // chunk and across a chunk boundary.
        let mut grown = FlowSeries::default();
        let mut running = [0i64; FLOWS];
        let mut expected: Vec<(Day, [i64; FLOWS])> = Vec::new();
        for d in 0..70 {
            running[0] += 1;
            grown.push(d, running);
            grown.add_to_last(&[5_000_000_000, 1, 0, 0]);
            running[0] += 5_000_000_000;
            running[1] += 1;
            expected.push((d, running));
        }
        for (d, prefix) in &expected {
            assert_eq!(grown.through(*d), *prefix, "through day {d}");
        }
        assert_eq!(grown.len(), 70);
    }
}
