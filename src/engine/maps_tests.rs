#![allow(clippy::needless_range_loop)]
//! Property tests of two maps: random old and new trees, a random lineage
//! between their leaves (merges, splits with random shares, old leaves
//! merged away), reports and stocks in each map while it is in force;
//! the engine against a brute-force computation from the rows.

use std::collections::{BTreeSet, HashMap};

use entity::stock_value::StockMetric;
use entity::unit::{AdminMap, UnitLevel};
use proptest::prelude::*;

use super::Snapshot;
use super::period::Period;
use super::query::Quality;
use super::snapshot::build::build;
use crate::model::change::{Change, FlowDelta};
use crate::model::day::Day;
use crate::model::rows::{LineageRow, ReportInput, StockInput, UnitInput};
use crate::model::share::apportion;
use crate::model::values::Flows;

/// The first day of the new map (the old one ends the day before).
const REFORM: Day = 30;
/// Days drawn run to here.
const LAST: Day = 60;
/// The first id of the new map's units.
const NEW: i64 = 1000;

#[derive(Debug, Clone)]
struct World {
    units: Vec<UnitInput>,
    lineage: Vec<LineageRow>,
    stocks: Vec<StockInput>,
    reports: Vec<ReportInput>,
    old_leaves: Vec<i64>,
    new_leaves: Vec<i64>,
}

impl World {
    fn parent(&self, id: i64) -> Option<i64> {
        self.units
            .iter()
            .find(|u| u.id == id)
            .and_then(|u| u.parent_id)
    }

    fn level(&self, id: i64) -> UnitLevel {
        self.units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.level)
            .expect("a unit")
    }

    /// Whether `id` is `ancestor` or below it.
    fn within(&self, id: i64, ancestor: i64) -> bool {
        let mut at = Some(id);
        while let Some(a) = at {
            if a == ancestor {
                return true;
            }
            at = self.parent(a);
        }
        false
    }

    /// A leaf's own flows on one day, from the report rows.
    fn daily(&self, leaf: i64, d: Day) -> [i64; 4] {
        let mut out = [0i64; 4];
        for r in self
            .reports
            .iter()
            .filter(|r| r.unit_id == leaf && r.day == d)
        {
            for (m, v) in r.flows.to_array().iter().enumerate() {
                out[m] += i64::from(*v);
            }
        }
        out
    }

    fn successors(&self, old: i64) -> Vec<&LineageRow> {
        self.lineage
            .iter()
            .filter(|l| l.old_unit_id == old)
            .collect()
    }

    fn predecessors(&self, new: i64) -> Vec<i64> {
        self.lineage
            .iter()
            .filter(|l| l.new_unit_id == new)
            .map(|l| l.old_unit_id)
            .collect()
    }

    /// A new leaf's flows on a day: its own, and its part of each
    /// predecessor's day before the reform.
    fn new_leaf_daily(&self, leaf: i64, d: Day) -> [i64; 4] {
        let mut out = self.daily(leaf, d);
        if d < REFORM {
            for old in self.predecessors(leaf) {
                let split = self.successors(old);
                let shares: Vec<f64> = split.iter().map(|l| l.share).collect();
                let at = split
                    .iter()
                    .position(|l| l.new_unit_id == leaf)
                    .expect("listed");
                let day = self.daily(old, d);
                for m in 0..4 {
                    out[m] += apportion(day[m], &shares)[at];
                }
            }
        }
        out
    }

    /// Whether an old unit's territory is not a union of whole new leaves.
    fn unavailable(&self, x: i64) -> bool {
        let below_province = !matches!(self.level(x), UnitLevel::Ministry | UnitLevel::Province);
        self.old_leaves
            .iter()
            .filter(|o| self.within(**o, x))
            .any(|o| {
                let successors = self.successors(*o);
                (successors.is_empty() && below_province)
                    || successors.iter().any(|l| {
                        self.predecessors(l.new_unit_id)
                            .iter()
                            .any(|p| !self.within(*p, x))
                    })
            })
    }

    /// The new leaves whose predecessors all lie in `x`.
    fn held_by(&self, x: i64) -> Vec<i64> {
        self.new_leaves
            .iter()
            .copied()
            .filter(|c| {
                let preds = self.predecessors(*c);
                !preds.is_empty() && preds.iter().all(|p| self.within(*p, x))
            })
            .collect()
    }
}

/// Lineage draws: for each new leaf one predecessor (an index into the old
/// leaves) with a weight; for each old leaf up to two more successors.
type Links = (
    Vec<(prop::sample::Index, u32)>,
    Vec<Vec<(prop::sample::Index, u32)>>,
);

fn world() -> impl Strategy<Value = World> {
    let old_tree = prop::collection::vec(prop::collection::vec(1usize..=3, 1..=2), 1..=3);
    let new_tree = prop::collection::vec(1usize..=4, 1..=2);
    let links = (
        prop::collection::vec((any::<prop::sample::Index>(), 1u32..=4), 8),
        prop::collection::vec(
            prop::collection::vec((any::<prop::sample::Index>(), 1u32..=4), 0..=2),
            18,
        ),
    );
    let reports = prop::collection::vec(
        (
            any::<bool>(),
            any::<prop::sample::Index>(),
            0i32..REFORM,
            [0i32..=9, 0i32..=9, 0i32..=9, 0i32..=3],
        ),
        0..60,
    );
    let stocks = prop::collection::vec(
        (
            any::<bool>(),
            any::<prop::sample::Index>(),
            0usize..5,
            0i32..REFORM,
            0i64..=80,
        ),
        0..30,
    );
    (old_tree, new_tree, links, reports, stocks).prop_map(|(old, new, links, reports, stocks)| {
        assemble(&old, &new, &links, &reports, &stocks)
    })
}

fn unit(id: i64, map: AdminMap, level: UnitLevel, parent: Option<i64>) -> UnitInput {
    let in_force = match map {
        AdminMap::Vn2023 => (Day::MIN, REFORM - 1),
        AdminMap::Vn2025 => (REFORM, Day::MAX),
    };
    UnitInput {
        id,
        map,
        level,
        code: id.to_string(),
        parent_id: parent,
        in_force,
    }
}

const METRICS: [StockMetric; 5] = [
    StockMetric::EligiblePopulation,
    StockMetric::PresentPopulation,
    StockMetric::AccountsEligible,
    StockMetric::CardsIssuedOpening,
    StockMetric::AccountsActivatedOpening,
];

fn assemble(
    old: &[Vec<usize>],
    new: &[usize],
    links: &Links,
    reports: &[(bool, prop::sample::Index, i32, [i32; 4])],
    stocks: &[(bool, prop::sample::Index, usize, i32, i64)],
) -> World {
    let mut units = vec![unit(1, AdminMap::Vn2023, UnitLevel::Ministry, None)];
    let mut old_leaves = Vec::new();
    for districts in old {
        let province = units.len() as i64 + 1;
        units.push(unit(
            province,
            AdminMap::Vn2023,
            UnitLevel::Province,
            Some(1),
        ));
        for communes in districts {
            let district = units.len() as i64 + 1;
            units.push(unit(
                district,
                AdminMap::Vn2023,
                UnitLevel::District,
                Some(province),
            ));
            for _ in 0..*communes {
                let commune = units.len() as i64 + 1;
                units.push(unit(
                    commune,
                    AdminMap::Vn2023,
                    UnitLevel::Commune,
                    Some(district),
                ));
                old_leaves.push(commune);
            }
        }
    }
    units.push(unit(NEW, AdminMap::Vn2025, UnitLevel::Ministry, None));
    let mut new_leaves = Vec::new();
    let mut next = NEW + 1;
    for communes in new {
        let province = next;
        next += 1;
        units.push(unit(
            province,
            AdminMap::Vn2025,
            UnitLevel::Province,
            Some(NEW),
        ));
        for _ in 0..*communes {
            units.push(unit(
                next,
                AdminMap::Vn2025,
                UnitLevel::Commune,
                Some(province),
            ));
            new_leaves.push(next);
            next += 1;
        }
    }
    // Weighted links, old leaf → new leaf; every new leaf has one.
    let mut weights: HashMap<(i64, i64), u32> = HashMap::new();
    for (i, c) in new_leaves.iter().enumerate() {
        let (o, w) = &links.0[i % links.0.len()];
        weights.insert((old_leaves[o.index(old_leaves.len())], *c), *w);
    }
    for (i, o) in old_leaves.iter().enumerate() {
        for (c, w) in &links.1[i % links.1.len()] {
            weights
                .entry((*o, new_leaves[c.index(new_leaves.len())]))
                .or_insert(*w);
        }
    }
    let mut lineage = Vec::new();
    for o in &old_leaves {
        let mine: Vec<(i64, u32)> = weights
            .iter()
            .filter(|((old, _), _)| old == o)
            .map(|((_, new), w)| (*new, *w))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let total: u32 = mine.iter().map(|(_, w)| w).sum();
        for (new, w) in &mine {
            lineage.push(LineageRow {
                old_unit_id: *o,
                new_unit_id: *new,
                share: f64::from(*w) / f64::from(total),
                is_default: false,
            });
        }
    }
    // A drawn row's leaf and day: a new leaf's days are after the reform.
    let on_leaf = |in_new: bool, leaf: &prop::sample::Index, day: Day| {
        if in_new {
            (new_leaves[leaf.index(new_leaves.len())], day + REFORM)
        } else {
            (old_leaves[leaf.index(old_leaves.len())], day)
        }
    };
    let reports = reports
        .iter()
        .map(|(in_new, leaf, day, flows)| {
            let (unit_id, day) = on_leaf(*in_new, leaf, *day);
            ReportInput {
                unit_id,
                day,
                campaign_id: None,
                team_id: None,
                flows: Flows::from_array(*flows),
            }
        })
        .collect();
    let stocks = stocks
        .iter()
        .map(|(in_new, leaf, metric, day, value)| {
            let (unit_id, valid_from) = on_leaf(*in_new, leaf, *day);
            StockInput {
                unit_id,
                metric: METRICS[*metric],
                valid_from,
                value: *value,
            }
        })
        .collect();
    World {
        units,
        lineage,
        stocks,
        reports,
        old_leaves,
        new_leaves,
    }
}

fn numbers(s: &Snapshot, id: i64, period: Period) -> [i64; 9] {
    let r = s.rollup(s.index_of(id).expect("indexed"), period, None);
    let f = r.flows.to_array();
    [
        f[0],
        f[1],
        f[2],
        f[3],
        r.eligible,
        r.present,
        r.accounts_eligible,
        r.cards_total,
        r.accounts_total,
    ]
}

fn flows(s: &Snapshot, id: i64, period: Period) -> [i64; 4] {
    s.rollup(s.index_of(id).expect("indexed"), period, None)
        .flows
        .to_array()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn both_maps_agree_with_brute_force(w in world(), a in -5i32..LAST, len in 0i32..40) {
        let s = build(w.units.clone(), &w.lineage, &w.stocks, &w.reports);
        let period = Period { from: a, to: a + len };

        // The country is the same country in both maps, before, across
        // and after the reform: every flow and every stock.
        prop_assert_eq!(numbers(&s, 1, period), numbers(&s, NEW, period));

        // A new leaf holds its shares of its predecessors, day by day.
        for c in &w.new_leaves {
            for d in -1..LAST {
                let day = Period { from: d, to: d };
                prop_assert_eq!(flows(&s, *c, day), w.new_leaf_daily(*c, d), "leaf {} day {}", c, d);
            }
        }

        // Old leaves merged away are unallocated in the new country.
        let mut unallocated = [0i64; 4];
        for o in w.old_leaves.iter().filter(|o| w.successors(**o).is_empty()) {
            for d in period.from.max(0)..=period.to.min(REFORM - 1) {
                let day = w.daily(*o, d);
                for m in 0..4 { unallocated[m] += day[m]; }
            }
        }
        let root = s.index_of(NEW).expect("indexed");
        prop_assert_eq!(
            s.unallocated(root, period).map_or([0; 4], |f| f.to_array()),
            unallocated
        );

        // An old unit after the reform: numbers only where its territory
        // is a union of whole new leaves, and then those leaves' own.
        let after = Period { from: period.from, to: period.to.max(REFORM) };
        for x in w.units.iter().filter(|u| u.map == AdminMap::Vn2023) {
            let idx = s.index_of(x.id).expect("indexed");
            let unavailable = w.unavailable(x.id);
            prop_assert_eq!(s.quality(idx, after) == Quality::Unavailable, unavailable, "unit {}", x.id);
            if unavailable {
                continue;
            }
            let mut expected = [0i64; 4];
            for d in after.from..=after.to {
                if d < REFORM {
                    for o in w.old_leaves.iter().filter(|o| w.within(**o, x.id)) {
                        let day = w.daily(*o, d);
                        for m in 0..4 { expected[m] += day[m]; }
                    }
                } else {
                    for c in w.held_by(x.id) {
                        let day = w.daily(c, d);
                        for m in 0..4 { expected[m] += day[m]; }
                    }
                }
            }
            prop_assert_eq!(flows(&s, x.id, after), expected, "unit {}", x.id);
            // Its stocks after the reform are those of the new leaves it holds.
            let merged_away = w.old_leaves.iter().any(|o| w.within(*o, x.id) && w.successors(*o).is_empty());
            if !merged_away {
                let day = Period { from: LAST, to: LAST };
                let mut held = [0i64; 9];
                for c in w.held_by(x.id) {
                    let n = numbers(&s, c, day);
                    for k in 4..9 { held[k] += n[k]; }
                }
                prop_assert_eq!(&numbers(&s, x.id, day)[4..], &held[4..], "stocks of {}", x.id);
            }
        }

        // A new unit before the reform is apportioned exactly when it holds
        // some but not all the parts of a split old leaf.
        let before = Period { from: period.from.min(REFORM - 1), to: period.to };
        for y in w.units.iter().filter(|u| u.map == AdminMap::Vn2025) {
            let idx = s.index_of(y.id).expect("indexed");
            let split = w.old_leaves.iter().any(|o| {
                let parts = w.successors(*o);
                let inside = parts.iter().filter(|l| w.within(l.new_unit_id, y.id)).count();
                inside > 0 && inside < parts.len()
            });
            let expected = if split { Quality::Apportioned } else { Quality::Exact };
            prop_assert_eq!(s.quality(idx, before), expected, "unit {}", y.id);
        }
    }

    /// Reports of either map applied as one change answer exactly as a
    /// snapshot built from all the rows (stocks set before any report).
    #[test]
    fn applying_reports_across_maps_equals_rebuilding(w in world(), cut in 0.0f64..1.0, corrections in 0usize..4) {
        let stocks: Vec<StockInput> = w.stocks.iter().copied()
            .filter(|s| w.old_leaves.contains(&s.unit_id))
            .map(|s| StockInput { valid_from: -1, ..s })
            .collect();
        let split = (w.reports.len() as f64 * cut) as usize;
        let (old_reports, new_reports) = w.reports.split_at(split);
        let mut before = old_reports.to_vec();
        let mut deltas = Vec::new();
        for r in before.iter_mut().take(corrections) {
            let old = r.flows;
            let o = old.to_array();
            r.flows = Flows::from_array([o[0] + 3, o[1] + 1, 0, o[3]]);
            deltas.push(FlowDelta {
                unit_id: r.unit_id, day: r.day, campaign_id: None, team_id: None,
                values: old.map(i64::from) - r.flows.map(i64::from),
            });
        }
        deltas.extend(new_reports.iter().map(|r| FlowDelta {
            unit_id: r.unit_id, day: r.day, campaign_id: None, team_id: None,
            values: r.flows.map(i64::from),
        }));
        let old = build(w.units.clone(), &w.lineage, &stocks, &before);
        let change = Change { flows: deltas, stock_units: Vec::new() };
        let needed = old.stock_rows_needed(&change);
        let rows: Vec<StockInput> = stocks.iter().copied().filter(|s| needed.contains(&s.unit_id)).collect();
        let applied = old.apply(9, &change, &rows).expect("applies in place");
        let fresh = build(w.units.clone(), &w.lineage, &stocks, &w.reports);
        for u in 0..fresh.unit_count() as u32 {
            for d in -2..=LAST {
                prop_assert_eq!(applied.flow_series(u).through(d), fresh.flow_series(u).through(d), "unit {} day {}", u, d);
                prop_assert_eq!(applied.stock_series(u).at(d), fresh.stock_series(u).at(d));
            }
            let period = Period { from: 0, to: LAST };
            prop_assert_eq!(applied.unallocated(u, period), fresh.unallocated(u, period));
        }
    }
}
