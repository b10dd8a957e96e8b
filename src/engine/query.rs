//! Questions asked of a [`Snapshot`]: rollups, indicators, rankings,
//! completion.

use std::cmp::Ordering;

use entity::unit::{AdminMap, UnitLevel};

use super::metrics::{Indicator, Metric, MetricKind};
use super::period::Period;
use super::snapshot::*;
use crate::model::day::Day;
use crate::model::values::Flows;

/// Every number of a unit's subtree over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rollup {
    /// Flows summed over the period and the subtree.
    pub flows: Flows,
    /// Stocks as of the period's last day.
    pub eligible: i64,
    pub present: i64,
    pub accounts_eligible: i64,
    pub cards_total: i64,
    pub accounts_total: i64,
}

impl Rollup {
    /// `num / den`, `None` when `den` is 0.
    pub fn ratio(num: i64, den: i64) -> Option<f64> {
        (den != 0).then(|| num as f64 / den as f64)
    }

    /// The parts of an indicator.
    pub fn indicator_parts(&self, indicator: Indicator) -> (i64, i64) {
        match indicator {
            Indicator::CccdCoverage => (self.cards_total, self.eligible),
            Indicator::PresentCoverage => (self.cards_total, self.present),
            Indicator::ActivationRate => (self.accounts_total, self.accounts_eligible),
        }
    }

    /// Eligible citizens still without a card (never below 0).
    pub fn remaining(&self) -> i64 {
        (self.eligible - self.cards_total).max(0)
    }

    /// The value of a metric.
    pub fn metric(&self, metric: Metric) -> i64 {
        match metric {
            Metric::ApplicationsCollected => self.flows.applications_collected,
            Metric::CardsIssued => self.flows.cards_issued,
            Metric::AccountsActivated => self.flows.accounts_activated,
            Metric::HomeVisits => self.flows.home_visits,
            Metric::CardsIssuedTotal => self.cards_total,
            Metric::AccountsActivatedTotal => self.accounts_total,
            Metric::EligiblePopulation => self.eligible,
            Metric::PresentPopulation => self.present,
            Metric::AccountsEligible => self.accounts_eligible,
            Metric::Remaining => self.remaining(),
        }
    }
}

/// How the numbers of a unit over a period came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quality {
    /// Every number is that of whole units (its own, or its predecessors'
    /// or successors' whole).
    Exact,
    /// Part of the numbers is a share of a split old unit, apportioned.
    Apportioned,
    /// The unit's territory is not a union of whole units of the map in
    /// force for part of the period: it has no numbers there.
    Unavailable,
}

/// What a ranking orders units by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    Indicator(Indicator),
    Metric(Metric),
}

/// A measured unit: `value` is `numerator / denominator` for an indicator
/// (`None` on a zero denominator), the metric's value otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub unit: u32,
    pub numerator: i64,
    pub denominator: Option<i64>,
}

impl Measured {
    /// The value as a float (`None` when it cannot be ranked).
    pub fn value(&self) -> Option<f64> {
        match self.denominator {
            Some(0) => None,
            Some(den) => Some(self.numerator as f64 / den as f64),
            None => Some(self.numerator as f64),
        }
    }

    /// Exact comparison of two values (ratios compared by cross-multiplying).
    fn compare(&self, other: &Measured) -> Ordering {
        match (self.denominator, other.denominator) {
            (Some(a), Some(b)) => {
                (self.numerator as i128 * b as i128).cmp(&(other.numerator as i128 * a as i128))
            }
            _ => self.numerator.cmp(&other.numerator),
        }
    }
}

/// One line of a ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub measured: Measured,
    /// Competition rank (1, 2, 2, 4).
    pub rank: u32,
}

impl Snapshot {
    /// The subtree flows of a unit over a period, all reports or only those
    /// attributed to `campaign`.
    pub fn flows(&self, u: u32, period: Period, campaign: Option<i64>) -> Flows {
        Flows::from_array(match campaign {
            None => self.flow_series(u).sum(period),
            Some(c) => self
                .campaign_series(c, u)
                .map_or([0; FLOWS], |series| series.sum(period)),
        })
    }

    /// The stocks and cumulative totals of a unit's subtree as of `d`.
    fn stocks_at(&self, u: u32, d: Day) -> (i64, i64, i64, i64, i64) {
        let stocks = self.stock_series(u).at(d);
        let flows = self.flow_series(u).through(d);
        (
            stocks[ELIGIBLE],
            stocks[PRESENT],
            stocks[ACCOUNTS_ELIGIBLE],
            stocks[CARDS_ADJUSTMENT] + flows[CARDS],
            stocks[ACCOUNTS_ADJUSTMENT] + flows[ACCOUNTS],
        )
    }

    /// A unit's rollup over a period.
    pub fn rollup(&self, u: u32, period: Period, campaign: Option<i64>) -> Rollup {
        let (eligible, present, accounts_eligible, cards_total, accounts_total) =
            self.stocks_at(u, period.to);
        Rollup {
            flows: self.flows(u, period, campaign),
            eligible,
            present,
            accounts_eligible,
            cards_total,
            accounts_total,
        }
    }

    /// How a unit's numbers over `period` came to be (see
    /// [`super::snapshot::Crossings`]): unavailable for an old unit whose
    /// territory is not a union of whole new units, when the period ends
    /// after the unit's last day; apportioned for a new unit holding part
    /// of a split old leaf, when the period starts before its first day or
    /// ends before that part's stocks are all its own.
    pub fn quality(&self, u: u32, period: Period) -> Quality {
        let (first, last) = self.unit(u).in_force;
        if period.to > last && !self.whole_after(u) {
            return Quality::Unavailable;
        }
        if self.apportioned(u)
            && (period.from < first || self.own_stocks_from(u).is_none_or(|d| period.to < d))
        {
            return Quality::Apportioned;
        }
        Quality::Exact
    }

    /// The flows of a unit's subtree over `period` that belong to no known
    /// unit of its map (old leaves merged away before the lineage was
    /// written): `None` where no such flows are held below it.
    pub fn unallocated(&self, u: u32, period: Period) -> Option<Flows> {
        let mut found = false;
        let mut sum = [0i64; FLOWS];
        for (target, series) in self.unallocated_series() {
            if self.is_within(target, u) {
                found = true;
                let part = series.sum(period);
                for m in 0..FLOWS {
                    sum[m] += part[m];
                }
            }
        }
        found.then(|| Flows::from_array(sum))
    }

    /// Numerator and denominator of an indicator for a unit on a day.
    pub fn indicator_parts(&self, u: u32, indicator: Indicator, d: Day) -> (i64, i64) {
        let (eligible, present, accounts_eligible, cards_total, accounts_total) =
            self.stocks_at(u, d);
        match indicator {
            Indicator::CccdCoverage => (cards_total, eligible),
            Indicator::PresentCoverage => (cards_total, present),
            Indicator::ActivationRate => (accounts_total, accounts_eligible),
        }
    }

    /// Reporting units (communes) of the subtree, and how many of them
    /// reported at least once in the period.
    pub fn reporting(&self, u: u32, period: Period, campaign: Option<i64>) -> (u32, u32) {
        let mut total = 0;
        let mut reported = 0;
        for member in self.subtree(u) {
            if self.unit(*member).level != UnitLevel::Commune {
                continue;
            }
            total += 1;
            let did = match campaign {
                None => self.flow_series(*member).reported_in(period),
                Some(c) => self
                    .campaign_series(c, *member)
                    .is_some_and(|series| series.reported_in(period)),
            };
            if did {
                reported += 1;
            }
        }
        (reported, total)
    }

    /// The last day on or before the period's end with a report in the subtree.
    pub fn last_reported(&self, u: u32, period: Period, campaign: Option<i64>) -> Option<Day> {
        match campaign {
            None => self.flow_series(u).last_on_or_before(period.to),
            Some(c) => self
                .campaign_series(c, u)
                .and_then(|series| series.last_on_or_before(period.to)),
        }
    }

    /// Measures one unit.
    pub fn measure(&self, u: u32, measure: Measure, period: Period) -> Measured {
        match measure {
            Measure::Indicator(indicator) => {
                let (numerator, denominator) = self.indicator_parts(u, indicator, period.to);
                Measured {
                    unit: u,
                    numerator,
                    denominator: Some(denominator),
                }
            }
            Measure::Metric(metric) => {
                let value = if metric.info().kind == MetricKind::Flow {
                    self.rollup(u, period, None).metric(metric)
                } else {
                    // Stocks need no flow sums over the period.
                    self.rollup(
                        u,
                        Period {
                            from: period.to,
                            to: period.to,
                        },
                        None,
                    )
                    .metric(metric)
                };
                Measured {
                    unit: u,
                    numerator: value,
                    denominator: None,
                }
            }
        }
    }

    /// Ranks `units` (competition ranking: 1, 2, 2, 4), highest first when
    /// `descending`; ties are ordered by code. Units whose value cannot be
    /// computed (a zero denominator) are left out.
    pub fn rank(
        &self,
        units: &[u32],
        measure: Measure,
        period: Period,
        descending: bool,
    ) -> Vec<Ranked> {
        let mut measured: Vec<Measured> = units
            .iter()
            .filter(|u| self.quality(**u, period) != Quality::Unavailable)
            .map(|u| self.measure(*u, measure, period))
            .filter(|m| m.value().is_some())
            .collect();
        let by_value = |a: &Measured, b: &Measured| {
            let order = a.compare(b);
            if descending { order.reverse() } else { order }
        };
        measured.sort_by(|a, b| {
            by_value(a, b).then_with(|| {
                let (ua, ub) = (self.unit(a.unit), self.unit(b.unit));
                ua.code_number
                    .cmp(&ub.code_number)
                    .then(ua.code.cmp(&ub.code))
            })
        });
        let mut out: Vec<Ranked> = Vec::with_capacity(measured.len());
        for (i, m) in measured.iter().enumerate() {
            let rank = match out.last() {
                Some(prev) if by_value(&prev.measured, m) == Ordering::Equal => prev.rank,
                _ => i as u32 + 1,
            };
            out.push(Ranked { measured: *m, rank });
        }
        out
    }

    /// The units of `level` of `map` in the subtree of `within` (all of
    /// them when `None`), in code order.
    pub fn units_of_level(&self, map: AdminMap, level: UnitLevel, within: Option<u32>) -> Vec<u32> {
        let all = self.level(map, level);
        match within {
            None => all.to_vec(),
            Some(a) => all
                .iter()
                .copied()
                .filter(|u| self.is_within(*u, a))
                .collect(),
        }
    }

    /// How many units of `level` below `u` are complete on `d`, of how many.
    pub fn completion(&self, u: u32, level: UnitLevel, indicator: Indicator, d: Day) -> (u32, u32) {
        let mut complete = 0;
        let mut total = 0;
        for member in self.subtree(u) {
            if self.unit(*member).level != level {
                continue;
            }
            total += 1;
            let (num, den) = self.indicator_parts(*member, indicator, d);
            if den > 0 && num >= den {
                complete += 1;
            }
        }
        (complete, total)
    }

    /// Units of `level` (below `within`, if given) in the order they first
    /// reached 100%, ties by code, with that day.
    pub fn first_to_complete(
        &self,
        map: AdminMap,
        level: UnitLevel,
        indicator: Indicator,
        within: Option<u32>,
    ) -> Vec<(u32, Day)> {
        let days = self.completed_on(indicator);
        if days.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<(u32, Day)> = self
            .units_of_level(map, level, within)
            .into_iter()
            .filter_map(|u| days[u as usize].map(|d| (u, d)))
            .collect();
        out.sort_by_key(|(u, d)| (*d, self.unit(*u).code_number, *u));
        out
    }

    /// The flows of the reports attributed to a team over a period.
    pub fn team_flows(&self, team: i64, period: Period) -> Flows {
        Flows::from_array(
            self.team_series(team)
                .map_or([0; FLOWS], |series| series.sum(period)),
        )
    }
}
