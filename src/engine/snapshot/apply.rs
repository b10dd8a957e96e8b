//! Bringing a snapshot to the next data version without a rebuild.
//!
//! A write changes the flows of some reporting units on some days (a
//! [`FlowDelta`] per report: new values minus old) and the stock rows of
//! some units. The next snapshot shares every series the write did not
//! touch; each touched series (the unit's and its ancestors') is merged with
//! the day-by-day deltas in one pass, so a national day of 10,598 reports
//! costs one pass over each touched series, not a rebuild.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::engine::period::Period;
use crate::model::change::Change;

use super::build::{first_complete_from, stock_steps};
use super::*;
use crate::model::day::Day;
use crate::model::rows::StockInput;

/// Why a change cannot be applied in place (the caller rebuilds instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsRebuild(pub &'static str);

type Daily<const N: usize> = BTreeMap<Day, [i64; N]>;

fn add<const N: usize>(into: &mut [i64; N], values: &[i64; N]) {
    for k in 0..N {
        into[k] += values[k];
    }
}

impl Snapshot {
    /// The units whose stock rows [`Snapshot::apply`] needs to be given for
    /// `change`: those whose stocks changed, and those whose flows changed
    /// before one of their stock change days (an opening balance on a later
    /// day absorbs earlier flows, so its adjustment moves).
    pub fn stock_rows_needed(&self, change: &Change) -> Vec<i64> {
        let mut out: HashSet<i64> = change.stock_units.iter().copied().collect();
        for delta in &change.flows {
            if let Some(u) = self.index_of(delta.unit_id) {
                let days = self.stocks[u as usize].days();
                if days.last().is_some_and(|last| *last > delta.day) {
                    out.insert(delta.unit_id);
                }
            }
        }
        let mut out: Vec<i64> = out.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// The snapshot of data version `version`: this one with `change`
    /// applied. `stock_rows` holds every current stock row of the units
    /// [`Snapshot::stock_rows_needed`] named.
    pub fn apply(
        &self,
        version: i64,
        change: &Change,
        stock_rows: &[StockInput],
    ) -> Result<Snapshot, NeedsRebuild> {
        let mut next = self.clone();
        next.version = version;
        next.data_version = version;
        // The earliest changed day of every touched unit (for completion).
        let mut earliest: HashMap<u32, Day> = HashMap::new();
        let mut touch = |u: u32, d: Day| {
            earliest
                .entry(u)
                .and_modify(|e| *e = (*e).min(d))
                .or_insert(d);
        };

        // Flows: the deltas of each unit's subtree, by day, then one merge
        // per touched series.
        let mut subtree: HashMap<u32, Daily<FLOWS>> = HashMap::new();
        let mut campaign: HashMap<(i64, u32), Daily<FLOWS>> = HashMap::new();
        let mut team: HashMap<i64, Daily<FLOWS>> = HashMap::new();
        // The change of each crossing leaf's day, for the other map.
        let mut crossing: BTreeMap<(u32, Day), [i64; FLOWS]> = BTreeMap::new();
        for delta in &change.flows {
            let Some(leaf) = self.index_of(delta.unit_id) else {
                return Err(NeedsRebuild(
                    "a report of a unit the snapshot does not hold",
                ));
            };
            if !self.is_reporting_unit(leaf) {
                return Err(NeedsRebuild("a report of a unit that has children"));
            }
            let values = delta.values.to_array();
            if self.crossings.crosses(leaf) {
                add(crossing.entry((leaf, delta.day)).or_default(), &values);
            }
            let mut at = Some(leaf);
            while let Some(u) = at {
                add(
                    subtree.entry(u).or_default().entry(delta.day).or_default(),
                    &values,
                );
                if let Some(c) = delta.campaign_id {
                    add(
                        campaign
                            .entry((c, u))
                            .or_default()
                            .entry(delta.day)
                            .or_default(),
                        &values,
                    );
                }
                touch(u, delta.day);
                at = self.parent(u);
            }
            if let Some(t) = delta.team_id {
                add(
                    team.entry(t).or_default().entry(delta.day).or_default(),
                    &values,
                );
            }
        }
        // In the other map: each day's parts before and after the change.
        let mut echoes = Vec::new();
        let mut unallocated: HashMap<u32, Daily<FLOWS>> = HashMap::new();
        for ((leaf, day), change) in &crossing {
            let before = self.flows[*leaf as usize].sum(Period {
                from: *day,
                to: *day,
            });
            let mut after = before;
            add(&mut after, change);
            echoes.clear();
            self.echoes(*leaf, *day, &before, &after, &mut echoes);
            for (target, values) in &echoes {
                if self.is_reporting_unit(*target)
                    && self.stocks[*target as usize]
                        .days()
                        .last()
                        .is_some_and(|last| last > day)
                {
                    // Its stocks' adjustments after the day may move.
                    return Err(NeedsRebuild(
                        "flows crossing into a unit with later stock rows",
                    ));
                }
                if self.crossings.unallocated_into.get(leaf) == Some(target) {
                    add(
                        unallocated
                            .entry(*target)
                            .or_default()
                            .entry(*day)
                            .or_default(),
                        values,
                    );
                }
                let mut at = Some(*target);
                while let Some(u) = at {
                    add(
                        subtree.entry(u).or_default().entry(*day).or_default(),
                        values,
                    );
                    touch(u, *day);
                    at = self.parent(u);
                }
            }
        }
        for (target, daily) in &unallocated {
            let merged = match next.unallocated.get(target) {
                Some(series) => series.merged(daily),
                None => FlowSeries::default().merged(daily),
            };
            next.unallocated.insert(*target, Arc::new(merged));
        }
        for (u, daily) in &subtree {
            next.flows[*u as usize] = Arc::new(self.flows[*u as usize].merged(daily));
        }
        for ((c, u), daily) in &campaign {
            let per_unit = next.campaign_flows.entry(*c).or_default();
            let merged = match per_unit.get(u) {
                Some(series) => series.merged(daily),
                None => FlowSeries::default().merged(daily),
            };
            per_unit.insert(*u, Arc::new(merged));
        }
        for (t, daily) in &team {
            let merged = match next.team_flows.get(t) {
                Some(series) => series.merged(daily),
                None => FlowSeries::default().merged(daily),
            };
            next.team_flows.insert(*t, Arc::new(merged));
        }

        // Stocks: the new own step function of each unit whose rows were
        // given, against the old one; the difference, as change events,
        // goes up to every ancestor.
        let mut rows_by_unit: HashMap<u32, Vec<&StockInput>> = HashMap::new();
        for row in stock_rows {
            if let Some(u) = self.index_of(row.unit_id) {
                rows_by_unit.entry(u).or_default().push(row);
            }
        }
        let mut recompute: HashSet<u32> = rows_by_unit.keys().copied().collect();
        for id in &change.stock_units {
            match self.index_of(*id) {
                Some(u) => {
                    recompute.insert(u);
                }
                None => return Err(NeedsRebuild("stocks of a unit the snapshot does not hold")),
            }
        }
        let mut events: HashMap<u32, Daily<STOCKS>> = HashMap::new();
        for u in recompute {
            if !self.is_reporting_unit(u) {
                return Err(NeedsRebuild("stocks of a unit that has children"));
            }
            if self.crossings.crosses(u) {
                // Its stocks count in the other map too.
                return Err(NeedsRebuild("stocks of a unit that crosses maps"));
            }
            let rows = rows_by_unit.get(&u).map(Vec::as_slice).unwrap_or(&[]);
            let own_flows = next.flows[u as usize].clone();
            let steps = stock_steps(rows, &[], |d| own_flows.through(d));
            let new = StockSeries {
                days: steps.iter().map(|(d, _)| *d).collect(),
                values: steps.iter().map(|(_, v)| *v).collect(),
            };
            let old = &self.stocks[u as usize];
            let mut days: Vec<Day> = old.days().iter().chain(new.days()).copied().collect();
            days.sort_unstable();
            days.dedup();
            let mut before = [0i64; STOCKS];
            let mut diff: Daily<STOCKS> = BTreeMap::new();
            for d in days {
                let (o, n) = (old.at(d), new.at(d));
                let mut now = [0i64; STOCKS];
                let mut step = [0i64; STOCKS];
                for k in 0..STOCKS {
                    now[k] = n[k] - o[k];
                    step[k] = now[k] - before[k];
                }
                before = now;
                if step != [0; STOCKS] {
                    diff.insert(d, step);
                }
            }
            if diff.is_empty() {
                continue;
            }
            let mut at = self.parent(u);
            while let Some(a) = at {
                let into = events.entry(a).or_default();
                for (d, step) in &diff {
                    add(into.entry(*d).or_default(), step);
                }
                at = self.parent(a);
            }
            if let Some(first) = diff.keys().next() {
                let mut at = Some(u);
                while let Some(a) = at {
                    touch(a, *first);
                    at = self.parent(a);
                }
            }
            next.stocks[u as usize] = Arc::new(new);
        }
        for (u, steps) in &events {
            next.stocks[*u as usize] = Arc::new(self.stocks[*u as usize].shifted(steps));
        }

        // Completion days: a day before the unit's earliest change keeps its
        // answer; from there on, look again.
        let mut completed_on = std::mem::take(&mut next.completed_on);
        for (indicator, days) in completed_on.iter_mut() {
            for (u, from) in &earliest {
                if days[*u as usize].is_some_and(|d| d < *from) {
                    continue;
                }
                days[*u as usize] = first_complete_from(&next, *u, *indicator, *from);
            }
        }
        next.completed_on = completed_on;
        Ok(next)
    }
}

impl FlowSeries {
    /// This series with `daily` added day by day (a day absent here is
    /// added: it now has a report).
    pub(crate) fn merged(&self, daily: &Daily<FLOWS>) -> FlowSeries {
        let mut running = self
            .last_day()
            .map_or([0; FLOWS], |_| self.through(Day::MAX));
        // New days after the last one (a day's reports as they come in):
        // share the series and append.
        if daily
            .keys()
            .next()
            .is_some_and(|first| self.last_day().is_none_or(|last| last < *first))
        {
            let mut out = self.clone();
            for (d, values) in daily {
                add(&mut running, values);
                out.push(*d, running);
            }
            return out;
        }
        let mut out = FlowSeries::default();
        running = [0i64; FLOWS];
        let mut previous = [0i64; FLOWS];
        let mut extra = daily.iter().peekable();
        let mut held = self.iter().peekable();
        loop {
            let here = held.peek().map(|(d, _)| *d);
            let there = extra.peek().map(|(d, _)| **d);
            let (d, values) = match (here, there) {
                (None, None) => break,
                (Some(a), Some(b)) if b < a => match extra.next() {
                    Some((d, v)) => (*d, *v),
                    None => break,
                },
                (Some(a), _) => {
                    let Some((_, prefix)) = held.next() else {
                        break;
                    };
                    let mut own = [0i64; FLOWS];
                    for k in 0..FLOWS {
                        own[k] = prefix[k] - previous[k];
                    }
                    previous = prefix;
                    if there == Some(a) {
                        if let Some((_, v)) = extra.next() {
                            add(&mut own, v);
                        }
                    }
                    (a, own)
                }
                (None, Some(_)) => match extra.next() {
                    Some((d, v)) => (*d, *v),
                    None => break,
                },
            };
            add(&mut running, &values);
            out.push(d, running);
        }
        out
    }
}

impl StockSeries {
    /// This step function plus the step changes `steps` (each adds its
    /// values from its day on).
    pub(crate) fn shifted(&self, steps: &Daily<STOCKS>) -> StockSeries {
        let mut days: Vec<Day> = self.days.iter().chain(steps.keys()).copied().collect();
        days.sort_unstable();
        days.dedup();
        let mut values = Vec::with_capacity(days.len());
        let mut added = [0i64; STOCKS];
        let mut pending = steps.iter().peekable();
        for d in &days {
            while let Some((sd, step)) = pending.peek() {
                if **sd > *d {
                    break;
                }
                add(&mut added, step);
                pending.next();
            }
            let mut v = self.at(*d);
            add(&mut v, &added);
            values.push(v);
        }
        StockSeries { days, values }
    }
}
