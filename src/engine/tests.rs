#![allow(clippy::needless_range_loop)]
//! Property tests: the engine against a brute-force computation over random
//! trees, reports, stocks and periods.

use std::collections::HashMap;

use entity::stock_value::StockMetric;
use entity::unit::{AdminMap, UnitLevel};
use proptest::prelude::*;

use super::metrics::Indicator;
use super::period::{Granularity, Period, buckets};
use super::query::Measure;
use super::ranks::RankCache;
use super::ranks::{Group, RankingKey};
use super::snapshot::build::build;
use crate::model::change::{Change, FlowDelta};
use crate::model::rows::{ReportInput, StockInput, UnitInput};
use crate::model::values::Flows;

/// A random world: a tree, reports on its units, stocks on its leaves.
#[derive(Debug, Clone)]
struct World {
    units: Vec<UnitInput>,
    stocks: Vec<StockInput>,
    reports: Vec<ReportInput>,
}

const LEVELS: [UnitLevel; 4] = [
    UnitLevel::Ministry,
    UnitLevel::Province,
    UnitLevel::District,
    UnitLevel::Commune,
];

/// At most this many units below the root.
const MAX_UNITS: usize = 24;

/// Stock metrics a leaf may have, with the largest value drawn for each.
const STOCK_METRICS: [(StockMetric, i64); 5] = [
    (StockMetric::EligiblePopulation, 60),
    (StockMetric::PresentPopulation, 60),
    (StockMetric::AccountsEligible, 60),
    (StockMetric::CardsIssuedOpening, 40),
    (StockMetric::AccountsActivatedOpening, 40),
];

/// A stock row drawn before the tree is known: its leaf is an index into
/// the leaves.
type StockDraw = (prop::sample::Index, usize, i32, i64);
/// A report drawn likewise: leaf, day, campaign 7?, team 3?, flows.
type ReportDraw = (prop::sample::Index, i32, bool, bool, [i32; 4]);

/// Random worlds, drawn so that a failure shrinks to a small one: each
/// unit below the root picks its parent among the earlier units (at most
/// three levels down) and a code; rows pick a leaf and their values.
fn world() -> impl Strategy<Value = World> {
    let units = prop::collection::vec((any::<prop::sample::Index>(), 1i64..40), 0..MAX_UNITS);
    let stocks = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            0..STOCK_METRICS.len(),
            0i32..40,
            0i64..=60,
        ),
        0..40,
    );
    let reports = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            0i32..=60,
            any::<bool>(),
            prop::bool::weighted(0.3),
            [0i32..=9, 0i32..=9, 0i32..=9, 0i32..=3],
        ),
        0..80,
    );
    (units, stocks, reports)
        .prop_map(|(units, stocks, reports)| assemble(&units, &stocks, &reports))
}

/// The world the draws describe.
fn assemble(
    tree: &[(prop::sample::Index, i64)],
    stock_draws: &[StockDraw],
    report_draws: &[ReportDraw],
) -> World {
    let mut units = vec![UnitInput {
        id: 1,
        map: AdminMap::Vn2023,
        level: UnitLevel::Ministry,
        code: "0".into(),
        parent_id: None,
        in_force: (crate::model::day::Day::MIN, crate::model::day::Day::MAX),
    }];
    let mut depth = vec![0usize];
    for (parent, code) in tree {
        let open: Vec<usize> = (0..units.len()).filter(|i| depth[*i] < 3).collect();
        let p = *parent.get(&open);
        let id = units.len() as i64 + 1;
        units.push(UnitInput {
            id,
            map: AdminMap::Vn2023,
            level: LEVELS[depth[p] + 1],
            code: (code * 10 + id).to_string(),
            parent_id: Some(units[p].id),
            in_force: (crate::model::day::Day::MIN, crate::model::day::Day::MAX),
        });
        depth.push(depth[p] + 1);
    }
    let leaves: Vec<i64> = units
        .iter()
        .filter(|u| !units.iter().any(|c| c.parent_id == Some(u.id)))
        .map(|u| u.id)
        .collect();
    let mut stocks: Vec<StockInput> = stock_draws
        .iter()
        .map(|(leaf, metric, valid_from, value)| {
            let (metric, largest) = STOCK_METRICS[*metric];
            StockInput {
                unit_id: *leaf.get(&leaves),
                metric,
                valid_from: *valid_from,
                value: (*value).min(largest),
            }
        })
        .collect();
    // Keep stock rows unique per (unit, metric, day), as the database does.
    let mut seen = std::collections::HashSet::new();
    stocks.retain(|s| seen.insert((s.unit_id, s.metric as u8, s.valid_from)));
    let reports = report_draws
        .iter()
        .map(|(leaf, day, campaign, team, flows)| ReportInput {
            unit_id: *leaf.get(&leaves),
            day: *day,
            campaign_id: campaign.then_some(7),
            team_id: team.then_some(3),
            flows: Flows::from_array(*flows),
        })
        .collect();
    World {
        units,
        stocks,
        reports,
    }
}

/// Brute force: everything computed from the rows directly.
struct Brute<'a> {
    world: &'a World,
    parent: HashMap<i64, Option<i64>>,
}

impl<'a> Brute<'a> {
    fn new(world: &'a World) -> Self {
        Brute {
            world,
            parent: world.units.iter().map(|u| (u.id, u.parent_id)).collect(),
        }
    }

    fn within(&self, unit: i64, ancestor: i64) -> bool {
        let mut at = Some(unit);
        while let Some(u) = at {
            if u == ancestor {
                return true;
            }
            at = self.parent.get(&u).copied().flatten();
        }
        false
    }

    fn flows(&self, unit: i64, p: Period, campaign: Option<i64>) -> [i64; 4] {
        let mut out = [0; 4];
        for r in &self.world.reports {
            if self.within(r.unit_id, unit)
                && r.day >= p.from
                && r.day <= p.to
                && (campaign.is_none() || r.campaign_id == campaign)
            {
                for m in 0..4 {
                    out[m] += i64::from(r.flows.to_array()[m]);
                }
            }
        }
        out
    }

    fn stock_of(&self, leaf: i64, metric: StockMetric, d: i32) -> Option<&StockInput> {
        self.world
            .stocks
            .iter()
            .filter(|s| s.unit_id == leaf && s.metric == metric && s.valid_from <= d)
            .max_by_key(|s| s.valid_from)
    }

    /// (eligible, present, accounts eligible, cards total, accounts total)
    fn stocks(&self, unit: i64, d: i32) -> [i64; 5] {
        let mut out = [0; 5];
        for u in self.world.units.iter().filter(|u| self.within(u.id, unit)) {
            for (k, metric) in [
                StockMetric::EligiblePopulation,
                StockMetric::PresentPopulation,
                StockMetric::AccountsEligible,
            ]
            .into_iter()
            .enumerate()
            {
                out[k] += self.stock_of(u.id, metric, d).map_or(0, |s| s.value);
            }
            for (k, metric, flow) in [
                (3, StockMetric::CardsIssuedOpening, 1),
                (4, StockMetric::AccountsActivatedOpening, 2),
            ] {
                let opening = self.stock_of(u.id, metric, d);
                let since = opening.map_or(i32::MIN, |s| s.valid_from);
                let flows: i64 = self
                    .world
                    .reports
                    .iter()
                    .filter(|r| r.unit_id == u.id && r.day >= since && r.day <= d)
                    .map(|r| i64::from(r.flows.to_array()[flow]))
                    .sum();
                out[k] += opening.map_or(0, |s| s.value) + flows;
            }
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rollups_series_ranks_and_completion_match_brute_force(w in world(), a in 0i32..70, len in 1i32..40) {
        let s = build(w.units.clone(), &[], &w.stocks, &w.reports);
        let brute = Brute::new(&w);
        let period = Period { from: a - 5, to: a - 5 + len };
        for u in &w.units {
            let idx = s.index_of(u.id).expect("indexed");
            let r = s.rollup(idx, period, None);
            prop_assert_eq!(r.flows.to_array(), brute.flows(u.id, period, None));
            let st = brute.stocks(u.id, period.to);
            prop_assert_eq!([r.eligible, r.present, r.accounts_eligible, r.cards_total, r.accounts_total], st);
            prop_assert_eq!(s.rollup(idx, period, Some(7)).flows.to_array(), brute.flows(u.id, period, Some(7)));
            // Series buckets add up to the period.
            let weekly = buckets(period, Granularity::Week);
            let mut sum = [0i64; 4];
            for b in &weekly {
                let f = s.rollup(idx, *b, None).flows;
                for m in 0..4 { sum[m] += f.to_array()[m]; }
            }
            prop_assert_eq!(sum, r.flows.to_array());
        }
        // Ranks: competition ranking of coverage among each level.
        for level in LEVELS {
            let units = s.level(AdminMap::Vn2023, level).to_vec();
            let ranked = s.rank(&units, Measure::Indicator(Indicator::CccdCoverage), period, true);
            for r in &ranked {
                let id = s.unit_id(r.measured.unit);
                let st = brute.stocks(id, period.to);
                prop_assert!(st[0] > 0);
                let better = units.iter().filter(|o| {
                    let so = brute.stocks(s.unit_id(**o), period.to);
                    so[0] > 0 && (so[3] as i128) * (st[0] as i128) > (st[3] as i128) * (so[0] as i128)
                }).count();
                prop_assert_eq!(r.rank as usize, better + 1);
            }
            let rankable = units.iter().filter(|o| brute.stocks(s.unit_id(**o), period.to)[0] > 0).count();
            prop_assert_eq!(ranked.len(), rankable);
        }
        // Completion counts and first completion days.
        let root = s.index_of(1).expect("root");
        for level in LEVELS {
            let (complete, total) = s.completion(root, level, Indicator::CccdCoverage, period.to);
            let members: Vec<&UnitInput> = w.units.iter().filter(|u| u.level == level).collect();
            prop_assert_eq!(total as usize, members.len());
            let expected = members.iter().filter(|u| {
                let st = brute.stocks(u.id, period.to);
                st[0] > 0 && st[3] >= st[0]
            }).count();
            prop_assert_eq!(complete as usize, expected);
            for (unit, day) in s.first_to_complete(AdminMap::Vn2023, level, Indicator::CccdCoverage, None) {
                let id = s.unit_id(unit);
                let at = brute.stocks(id, day);
                prop_assert!(at[0] > 0 && at[3] >= at[0], "complete on its day");
                for earlier in -10..day {
                    let st = brute.stocks(id, earlier);
                    prop_assert!(!(st[0] > 0 && st[3] >= st[0]), "not complete before");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A snapshot of part of the rows, with the rest applied as one change,
    /// answers exactly as a snapshot built from all the rows.
    #[test]
    fn applying_a_change_equals_rebuilding(w in world(), cut in 0.0f64..1.0, stock_cut in 0.0f64..1.0, corrections in 0usize..6) {
        let split = (w.reports.len() as f64 * cut) as usize;
        let (old_reports, new_reports) = w.reports.split_at(split);
        // Stock rows of some leaves arrive with the change.
        let leaves: Vec<i64> = w.units.iter()
            .filter(|u| !w.units.iter().any(|c| c.parent_id == Some(u.id)) && u.parent_id.is_some())
            .map(|u| u.id).collect();
        let changed_leaves: Vec<i64> = leaves.iter().copied()
            .filter(|id| ((*id as f64 * 0.618).fract()) < stock_cut).collect();
        let old_stocks: Vec<StockInput> = w.stocks.iter().copied()
            .filter(|s| !changed_leaves.contains(&s.unit_id)).collect();
        // Some old reports are corrected: their values change.
        let mut before: Vec<ReportInput> = old_reports.to_vec();
        let mut deltas: Vec<FlowDelta> = Vec::new();
        for (i, r) in before.iter_mut().enumerate().take(corrections) {
            let old = r.flows;
            let o = old.to_array();
            r.flows = Flows::from_array([o[0] + 3, o[1] + 1 + i as i32, 0, o[3]]);
            deltas.push(FlowDelta {
                unit_id: r.unit_id, day: r.day,
                campaign_id: r.campaign_id, team_id: r.team_id,
                values: old.map(i64::from) - r.flows.map(i64::from),
            });
        }
        deltas.extend(new_reports.iter().map(|r| FlowDelta {
            unit_id: r.unit_id, day: r.day,
            campaign_id: r.campaign_id, team_id: r.team_id,
            values: r.flows.map(i64::from),
        }));
        let old = build(w.units.clone(), &[], &old_stocks, &before);
        let change = Change { flows: deltas, stock_units: changed_leaves.clone() };
        let needed = old.stock_rows_needed(&change);
        let rows: Vec<StockInput> = w.stocks.iter().copied().filter(|s| needed.contains(&s.unit_id)).collect();
        // Rankings kept by the old snapshot are not read at the new version.
        let ranking = |level| RankingKey {
            group: Group::Level(AdminMap::Vn2023, level, None),
            measure: Measure::Indicator(Indicator::CccdCoverage),
            period: Period { from: 0, to: 70 },
            descending: true,
        };
        let (kept_cache, fresh_cache) = (RankCache::new(1 << 20), RankCache::new(1 << 20));
        for level in LEVELS {
            kept_cache.placings(&old, ranking(level));
        }
        let applied = old.apply(9, &change, &rows).expect("applies");
        let fresh = build(w.units.clone(), &[], &w.stocks, &w.reports);
        for level in LEVELS {
            let (kept, rebuilt) = (kept_cache.placings(&applied, ranking(level)), fresh_cache.placings(&fresh, ranking(level)));
            prop_assert_eq!(kept.in_order(), rebuilt.in_order());
        }
        prop_assert_eq!(applied.version(), 9);
        for u in 0..fresh.unit_count() as u32 {
            let (kept, rebuilt) = (applied.flow_series(u), fresh.flow_series(u));
            prop_assert_eq!(kept.days().collect::<Vec<_>>(), rebuilt.days().collect::<Vec<_>>());
            for d in -10..80 {
                prop_assert_eq!(kept.through(d), rebuilt.through(d));
                prop_assert_eq!(applied.stock_series(u).at(d), fresh.stock_series(u).at(d), "stocks of {} on {}", u, d);
                let campaign = |s: &crate::engine::Snapshot| s.campaign_series(7, u).map_or([0; 4], |f| f.through(d));
                prop_assert_eq!(campaign(&applied), campaign(&fresh));
            }
        }
        for d in -10..80 {
            let team = |s: &crate::engine::Snapshot| s.team_series(3).map_or([0; 4], |f| f.through(d));
            prop_assert_eq!(team(&applied), team(&fresh));
        }
        for indicator in [Indicator::CccdCoverage, Indicator::PresentCoverage, Indicator::ActivationRate] {
            prop_assert_eq!(applied.completed_on(indicator), fresh.completed_on(indicator));
        }
    }
}
