//! Building a [`Snapshot`] from rows: the first of its two constructors
//! (the other is [`super::apply`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::model::rows::{LineageRow, ReportInput, StockInput, UnitInput};
use entity::stock_value::StockMetric;

use super::*;
use crate::engine::metrics::Indicator;
use crate::model::day::Day;

fn add(into: &mut [i64; FLOWS], values: &[i64; FLOWS]) {
    for m in 0..FLOWS {
        into[m] += values[m];
    }
}

/// Builds the snapshot at version 0 with no unit rows (for the tree alone,
/// and for tests). Rows of units that are not in `units` are ignored.
pub fn build(
    units: Vec<UnitInput>,
    lineage: &[LineageRow],
    stocks: &[StockInput],
    reports: &[ReportInput],
) -> Snapshot {
    let mut builder = Builder::new(units, lineage);
    for r in reports {
        builder.report(r);
    }
    builder.finish(stocks, 0, UnitDirectory::default())
}

/// A snapshot being built from rows streamed in: the units first, then the
/// reports one at a time, then the stocks.
///
/// Reports go straight into their unit's series, so the millions of rows
/// are never held at once: in day order (as rows are written) each is
/// appended; one older than its unit's last day waits in `late` and is
/// merged at the end.
pub struct Builder {
    s: Snapshot,
    /// Each unit's own flows (a leaf's are its subtree's).
    own: Vec<FlowSeries>,
    /// Reports that came after a later day of their unit, by unit and day.
    late: HashMap<u32, BTreeMap<Day, [i64; FLOWS]>>,
    campaign_daily: HashMap<i64, HashMap<u32, BTreeMap<Day, [i64; FLOWS]>>>,
    team_daily: HashMap<i64, BTreeMap<Day, [i64; FLOWS]>>,
    /// Report rows read, for [`Snapshot::source_rows`].
    reports: usize,
}

impl Builder {
    /// Starts a snapshot of these units, of one map or two with the
    /// lineage between them.
    pub fn new(units: Vec<UnitInput>, lineage: &[LineageRow]) -> Builder {
        let mut s = Snapshot::default();
        let mut units = units;
        units.sort_by_key(|u| u.id);
        s.index = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id, i as u32))
            .collect();
        s.units = units
            .iter()
            .map(|u| UnitNode {
                id: u.id,
                map: u.map,
                level: u.level,
                code: u.code.clone(),
                code_number: u.code.parse().unwrap_or(u64::MAX),
                parent: u.parent_id.and_then(|p| s.index.get(&p).copied()),
                children: Vec::new(),
                in_force: u.in_force,
            })
            .collect();
        for i in 0..s.units.len() {
            if let Some(p) = s.units[i].parent {
                s.units[p as usize].children.push(i as u32);
            }
        }
        for (i, u) in s.units.iter().enumerate() {
            s.by_level
                .entry((u.map, u.level))
                .or_default()
                .push(i as u32);
            s.by_code.insert((u.map, u.level, u.code.clone()), i as u32);
        }
        for list in s.by_level.values_mut() {
            list.sort_by_key(|i| (s.units[*i as usize].code_number, *i));
        }
        build_dfs(&mut s);
        s.crossings = Arc::new(Crossings::new(&s.units, &s.index, lineage));
        let n = s.units.len();
        Builder {
            s,
            own: vec![FlowSeries::default(); n],
            late: HashMap::new(),
            campaign_daily: HashMap::new(),
            team_daily: HashMap::new(),
            reports: 0,
        }
    }

    /// Takes one report in.
    pub fn report(&mut self, r: &ReportInput) {
        self.reports += 1;
        let Some(idx) = self.s.index_of(r.unit_id) else {
            return;
        };
        let flows = r.flows.map(i64::from).to_array();
        let own = &mut self.own[idx as usize];
        match own.last_day() {
            Some(last) if last == r.day => own.add_to_last(&flows),
            Some(last) if last > r.day => add(
                self.late
                    .entry(idx)
                    .or_default()
                    .entry(r.day)
                    .or_insert([0; FLOWS]),
                &flows,
            ),
            _ => {
                let mut prefix = own.through(Day::MAX);
                add(&mut prefix, &flows);
                own.push(r.day, prefix);
            }
        }
        if let Some(c) = r.campaign_id {
            let per_unit = self.campaign_daily.entry(c).or_default();
            let mut at = Some(idx);
            while let Some(u) = at {
                add(
                    per_unit
                        .entry(u)
                        .or_default()
                        .entry(r.day)
                        .or_insert([0; FLOWS]),
                    &flows,
                );
                at = self.s.units[u as usize].parent;
            }
        }
        if let Some(t) = r.team_id {
            add(
                self.team_daily
                    .entry(t)
                    .or_default()
                    .entry(r.day)
                    .or_insert([0; FLOWS]),
                &flows,
            );
        }
    }

    /// The snapshot of data version `version`, with these stock values and
    /// unit rows.
    pub fn finish(self, stocks: &[StockInput], version: i64, directory: UnitDirectory) -> Snapshot {
        let Builder {
            mut s,
            own: mut own_series,
            late,
            campaign_daily,
            team_daily,
            reports,
        } = self;
        for (u, daily) in late {
            own_series[u as usize] = own_series[u as usize].merged(&daily);
        }
        cross_flows(&mut s, &mut own_series);
        s.flows = subtree_flows(&s, &mut own_series)
            .into_iter()
            .map(Arc::new)
            .collect();
        s.campaign_flows = campaign_daily
            .into_iter()
            .map(|(c, per_unit)| {
                let series = per_unit
                    .into_iter()
                    .map(|(u, daily)| {
                        let daily = daily.into_iter().collect();
                        (u, Arc::new(FlowSeries::from_daily(daily)))
                    })
                    .collect();
                (c, series)
            })
            .collect();
        s.team_flows = team_daily
            .into_iter()
            .map(|(t, daily)| {
                let daily = daily.into_iter().collect();
                (t, Arc::new(FlowSeries::from_daily(daily)))
            })
            .collect();
        s.source_rows = reports;
        s.version = version;
        s.data_version = version;
        s.directory = Arc::new(directory);
        finish_stocks(s, &own_series, stocks)
    }
}

/// Counts each crossing leaf's flows, day by day, in the units of the
/// other map they belong to (see [`super::lineage`]); the days of old
/// leaves merged away are also kept as the unallocated flows of their
/// target.
fn cross_flows(s: &mut Snapshot, own: &mut [FlowSeries]) {
    let mut extra: HashMap<u32, BTreeMap<Day, [i64; FLOWS]>> = HashMap::new();
    let mut echoes = Vec::new();
    for (u, series) in own.iter().enumerate() {
        let u = u as u32;
        if !s.crossings.crosses(u) {
            continue;
        }
        let mut previous = [0i64; FLOWS];
        for (d, prefix) in series.iter() {
            let mut daily = [0i64; FLOWS];
            for m in 0..FLOWS {
                daily[m] = prefix[m] - previous[m];
            }
            previous = prefix;
            echoes.clear();
            s.echoes(u, d, &[0; FLOWS], &daily, &mut echoes);
            for (target, values) in &echoes {
                add(
                    extra.entry(*target).or_default().entry(d).or_default(),
                    values,
                );
            }
        }
    }
    let targets: HashSet<u32> = s.crossings.unallocated_targets().collect();
    for (target, daily) in extra {
        if targets.contains(&target) {
            let days = daily.iter().map(|(d, v)| (*d, *v)).collect();
            s.unallocated
                .insert(target, Arc::new(FlowSeries::from_daily(days)));
        }
        own[target as usize] = own[target as usize].merged(&daily);
    }
}

/// Stocks and completion days, once the flows are in (`source_rows` counts
/// the reports so far; the units and stock rows are added here).
fn finish_stocks(mut s: Snapshot, own_series: &[FlowSeries], stocks: &[StockInput]) -> Snapshot {
    let n = s.units.len();
    // A leaf's own series moved into `s.flows`; its own flows are those.
    let own_through = |u: usize, d: Day| {
        if s.units[u].children.is_empty() {
            s.flows[u].through(d)
        } else {
            own_series[u].through(d)
        }
    };

    // Stocks: each unit's own step function (a new leaf's starts from its
    // predecessors' shares), then its steps counted up its map and, by the
    // lineage, in the other map.
    let mut by_unit: Vec<Vec<&StockInput>> = vec![Vec::new(); n];
    for st in stocks {
        if let Some(idx) = s.index_of(st.unit_id) {
            by_unit[idx as usize].push(st);
        }
    }
    let crossings = s.crossings.clone();
    let mut steps: Vec<Vec<(Day, [i64; STOCKS])>> = vec![Vec::new(); n];
    for (idx, rows) in by_unit.iter().enumerate() {
        if !rows.is_empty() && !crossings.predecessors.contains_key(&(idx as u32)) {
            steps[idx] = stock_steps(rows, &[], |d| own_through(idx, d));
        }
    }
    for (c, preds) in &crossings.predecessors {
        let inherited = s.inherited_steps(*c, preds, &steps);
        let rows = &by_unit[*c as usize];
        if !inherited.is_empty() || !rows.is_empty() {
            steps[*c as usize] = stock_steps(rows, &inherited, |d| own_through(*c as usize, d));
        }
    }
    let mut deltas: Vec<Vec<(Day, [i64; STOCKS])>> = vec![Vec::new(); n];
    for (idx, function) in steps.iter().enumerate() {
        let mut current = [0i64; STOCKS];
        for (d, next) in function {
            let mut delta = [0i64; STOCKS];
            for k in 0..STOCKS {
                delta[k] = next[k] - current[k];
            }
            current = *next;
            s.stock_targets(idx as u32, *d, |u| deltas[u as usize].push((*d, delta)));
        }
    }
    s.own_stocks_from = own_stocks_from(&s, &by_unit);
    s.stocks = deltas
        .into_iter()
        .map(|mut events| {
            events.sort_by_key(|(d, _)| *d);
            let mut series = StockSeries::default();
            let mut running = [0i64; STOCKS];
            for (d, delta) in events {
                for k in 0..STOCKS {
                    running[k] += delta[k];
                }
                if series.days.last() == Some(&d) {
                    if let Some(last) = series.values.last_mut() {
                        *last = running;
                    }
                } else {
                    series.days.push(d);
                    series.values.push(running);
                }
            }
            Arc::new(series)
        })
        .collect();

    for indicator in [
        Indicator::CccdCoverage,
        Indicator::PresentCoverage,
        Indicator::ActivationRate,
    ] {
        let days: Vec<Option<Day>> = (0..n as u32)
            .map(|u| first_complete(&s, u, indicator))
            .collect();
        s.completed_on.insert(indicator, days);
    }
    s.source_rows += s.units.len() + stocks.len();
    s
}

/// The step function of one unit's stocks: from each day on which one of
/// its stock rows, or a step of `inherited`, takes effect, the values in
/// force. A stock the unit has a row for is its own from that row's day;
/// before, or without one, it is `inherited` (a new leaf's shares of its
/// predecessors' stocks; empty for others). `own_through(d)` is the sum of
/// the unit's flows up to day `d`, which turns an opening balance into an
/// adjustment (see [`StockSeries`]).
pub(crate) fn stock_steps(
    rows: &[&StockInput],
    inherited: &[(Day, [i64; STOCKS])],
    own_through: impl Fn(Day) -> [i64; FLOWS],
) -> Vec<(Day, [i64; STOCKS])> {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| r.valid_from);
    let mut change_days: Vec<Day> = rows
        .iter()
        .map(|r| r.valid_from)
        .chain(inherited.iter().map(|(d, _)| *d))
        .collect();
    change_days.sort_unstable();
    change_days.dedup();
    let mut own: [Option<i64>; STOCKS] = [None; STOCKS];
    let mut from_inherited = [0i64; STOCKS];
    let mut next_inherited = inherited.iter().peekable();
    let mut next_row = rows.iter().peekable();
    let mut out = Vec::with_capacity(change_days.len());
    for d in change_days {
        while let Some((_, values)) = next_inherited.next_if(|(day, _)| *day <= d) {
            from_inherited = *values;
        }
        let mut before: Option<[i64; FLOWS]> = None;
        while let Some(r) = next_row.next_if(|r| r.valid_from == d) {
            let mut prior = || *before.get_or_insert_with(|| own_through(d - 1));
            // An opening balance is kept as its adjustment over the flows
            // before its day.
            own[component(r.metric)] = Some(match r.metric {
                StockMetric::CardsIssuedOpening => r.value - prior()[CARDS],
                StockMetric::AccountsActivatedOpening => r.value - prior()[ACCOUNTS],
                _ => r.value,
            });
        }
        let mut current = [0i64; STOCKS];
        for k in 0..STOCKS {
            current[k] = own[k].unwrap_or(from_inherited[k]);
        }
        out.push((d, current));
    }
    out
}

/// The component of a stock step function a stock row sets.
fn component(metric: StockMetric) -> usize {
    match metric {
        StockMetric::EligiblePopulation => ELIGIBLE,
        StockMetric::PresentPopulation => PRESENT,
        StockMetric::AccountsEligible => ACCOUNTS_ELIGIBLE,
        StockMetric::CardsIssuedOpening => CARDS_ADJUSTMENT,
        StockMetric::AccountsActivatedOpening => ACCOUNTS_ADJUSTMENT,
    }
}

/// Per unit, the first day from which the stocks of every apportioned
/// leaf below it are all its own (see [`Snapshot::quality`]): `Some(MIN)`
/// where no apportioned leaf lies below, `None` where one has not yet
/// given every stock.
fn own_stocks_from(s: &Snapshot, by_unit: &[Vec<&StockInput>]) -> Vec<Option<Day>> {
    let mut out = vec![Some(Day::MIN); s.units.len()];
    for (c, rows) in by_unit.iter().enumerate() {
        if !s.units[c].children.is_empty() || !s.crossings.apportioned[c] {
            continue;
        }
        let mut first = [None::<Day>; STOCKS];
        for r in rows {
            let k = component(r.metric);
            first[k] = Some(first[k].map_or(r.valid_from, |d| d.min(r.valid_from)));
        }
        let own: Option<Day> = first
            .iter()
            .try_fold(Day::MIN, |latest, d| d.map(|d| latest.max(d)));
        let mut at = Some(c as u32);
        while let Some(a) = at {
            let held = &mut out[a as usize];
            *held = match (*held, own) {
                (Some(h), Some(o)) => Some(h.max(o)),
                _ => None,
            };
            at = s.units[a as usize].parent;
        }
    }
    out
}

/// Depth-first order, so that every subtree is a contiguous range.
fn build_dfs(s: &mut Snapshot) {
    let n = s.units.len();
    s.dfs = Vec::with_capacity(n);
    s.dfs_range = vec![(0, 0); n];
    let roots: Vec<u32> = (0..n as u32)
        .filter(|i| s.units[*i as usize].parent.is_none())
        .collect();
    // (unit, whether its children were pushed)
    let mut stack: Vec<(u32, bool)> = roots.into_iter().rev().map(|r| (r, false)).collect();
    while let Some((u, expanded)) = stack.pop() {
        if expanded {
            s.dfs_range[u as usize].1 = s.dfs.len() as u32;
            continue;
        }
        s.dfs_range[u as usize].0 = s.dfs.len() as u32;
        s.dfs.push(u);
        stack.push((u, true));
        for c in s.units[u as usize].children.iter().rev() {
            stack.push((*c, false));
        }
    }
}

/// Subtree flow series: a leaf's own series moves over as it is; every
/// other unit adds its subtree's daily values on a dense day axis, then
/// keeps the days that have reports.
fn subtree_flows(s: &Snapshot, own: &mut [FlowSeries]) -> Vec<FlowSeries> {
    let n = s.units.len();
    let (mut first, mut last) = (Day::MAX, Day::MIN);
    for series in own.iter() {
        if let (Some(a), Some(b)) = (series.first_day(), series.last_day()) {
            first = first.min(a);
            last = last.max(b);
        }
    }
    let mut out: Vec<FlowSeries> = vec![FlowSeries::default(); n];
    if first <= last {
        let width = (last - first + 1) as usize;
        for u in 0..n as u32 {
            if s.units[u as usize].children.is_empty() {
                continue;
            }
            // values, and how many report-days fell on each day
            let mut dense: Vec<([i64; FLOWS], u32)> = vec![([0; FLOWS], 0); width];
            for member in s.subtree(u) {
                let series = &own[*member as usize];
                let mut previous = [0i64; FLOWS];
                for (d, prefix) in series.iter() {
                    let slot = &mut dense[(d - first) as usize];
                    for (m, value) in slot.0.iter_mut().enumerate() {
                        *value += prefix[m] - previous[m];
                    }
                    slot.1 += 1;
                    previous = prefix;
                }
            }
            let daily: Vec<(Day, [i64; FLOWS])> = dense
                .into_iter()
                .enumerate()
                .filter(|(_, (_, count))| *count > 0)
                .map(|(i, (v, _))| (first + i as Day, v))
                .collect();
            out[u as usize] = FlowSeries::from_daily(daily);
        }
    }
    for u in 0..n {
        if s.units[u].children.is_empty() {
            out[u] = std::mem::take(&mut own[u]);
        }
    }
    out
}

/// The first day a unit's indicator reached 100% (numerator ≥ denominator > 0).
fn first_complete(s: &Snapshot, u: u32, indicator: Indicator) -> Option<Day> {
    first_complete_from(s, u, indicator, Day::MIN)
}

/// The first day on or after `from` on which a unit's indicator is at 100%.
pub(crate) fn first_complete_from(
    s: &Snapshot,
    u: u32,
    indicator: Indicator,
    from: Day,
) -> Option<Day> {
    let flows = &s.flows[u as usize];
    let stocks = &s.stocks[u as usize];
    let mut candidates: Vec<Day> = flows
        .days_from(from)
        .chain(stocks.days().iter().copied().filter(|d| *d >= from))
        .collect();
    if from != Day::MIN {
        candidates.push(from);
    }
    candidates.sort_unstable();
    candidates.dedup();
    // After its last day, a unit that is not a union of whole new units
    // has no numbers to complete on.
    let last = s.units[u as usize].in_force.1;
    let whole_after = s.whole_after(u);
    candidates.retain(|d| whole_after || *d <= last);
    candidates.into_iter().find(|d| {
        let (num, den) = s.indicator_parts(u, indicator, *d);
        den > 0 && num >= den
    })
}
