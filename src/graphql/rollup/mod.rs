//! `Rollup`: every number of a unit's subtree over a period, and the
//! period and granularity inputs.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Object, Result};

use super::ContextExt;
use super::loaders::Pinned;
use super::scalars::Date;
use crate::engine::period::{self, Period, PeriodError};
use crate::engine::query;
use crate::error::AppError;
use crate::model::day::{date, day};

/// A period of days, inclusive on both ends, at most ten years long.
#[derive(InputObject, Clone, Copy, Debug)]
#[graphql(name = "PeriodInput")]
pub struct PeriodInput {
    /// First day of the period.
    pub from: Date,
    /// Last day of the period (inclusive); not before `from`.
    pub to: Date,
}

impl PeriodInput {
    /// The validated period; `argument` names the argument in errors.
    pub fn validate(&self, argument: &str) -> Result<Period, AppError> {
        Period::new(day(self.from.0), day(self.to.0)).map_err(|err| match err {
            PeriodError::Reversed => AppError::bad_input(argument, "`to` is before `from`"),
            PeriodError::TooLong => {
                AppError::bad_input(argument, "a period may be at most 10 years long")
            }
        })
    }
}

/// Bucket size of a time series.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::engine::period::Granularity")]
pub enum Granularity {
    /// One bucket per day.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

/// How the numbers of a rollup came to be, across the 1 July 2025 reform.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::engine::query::Quality")]
pub enum ValueQuality {
    /// Every number is that of whole units: the unit's own reports, or
    /// (across the reform) whole predecessors or successors.
    Exact,
    /// Part of the numbers is a share of a 2023 commune that was split
    /// between several 2025 communes, apportioned by `UnitShare.share` into
    /// whole numbers (the parts of a split commune add up to its number).
    Apportioned,
    /// The unit is of the 2023 map, the period ends after 2025-06-30, and
    /// the unit's territory is not a union of whole 2025 units: its numbers
    /// after the reform are not known (provinces are always known). The
    /// numbers of such a rollup are `null`.
    Unavailable,
}

/// The GraphQL type `Rollup`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone)]
pub struct Rollup {
    pub(crate) snapshot: Arc<Pinned>,
    pub(crate) unit: u32,
    pub(crate) period: Period,
    pub(crate) campaign: Option<i64>,
    pub(crate) values: query::Rollup,
    pub(crate) quality: query::Quality,
}

impl Rollup {
    /// A number of the rollup: `null` when its quality is unavailable.
    fn known(&self, value: i64) -> Option<i64> {
        (self.quality != query::Quality::Unavailable).then_some(value)
    }

    /// A ratio of two numbers of the rollup: `null` when its quality is
    /// unavailable or the denominator is 0.
    fn known_ratio(&self, numerator: i64, denominator: i64) -> Option<f64> {
        self.known(numerator)
            .and_then(|n| query::Rollup::ratio(n, denominator))
    }
}

/// Flows counted in a unit that belong to no known unit below it.
#[derive(async_graphql::SimpleObject, Clone, Copy, Debug)]
pub struct UnallocatedFlows {
    /// CCCD applications collected.
    pub applications_collected: i64,
    /// CCCD cards issued.
    pub cards_issued: i64,
    /// VNeID accounts activated.
    pub accounts_activated: i64,
    /// Citizens served at home.
    pub home_visits: i64,
}

/// Every number of a unit's subtree over a period. Flows (applications,
/// cards, accounts, home visits) are summed over the period and the whole
/// subtree; stocks (populations, cumulative totals) are the values as of the
/// period's last day, summed over the subtree. Rates are fractions (0.939,
/// not 93.9) and `null` when their denominator is 0. Every number is
/// `null` when `quality` is `UNAVAILABLE` (a 2023 unit after the reform
/// whose territory is not a union of whole 2025 units).
#[Object]
impl Rollup {
    /// How these numbers came to be across the 1 July 2025 reform: exact,
    /// apportioned from split communes, or unavailable.
    async fn quality(&self) -> ValueQuality {
        self.quality.into()
    }

    /// The part of this rollup's flows that belongs to no known unit below
    /// it: reports of 2023 communes that had merged away before the 2025
    /// merge table was written (568 of them), counted whole in the 2025
    /// province that took their old province, never guessed into a
    /// commune. Already included in the flows above (a province's numbers
    /// are exact sums); `null` when there is none below this unit.
    async fn unallocated(&self) -> Option<UnallocatedFlows> {
        if self.quality == query::Quality::Unavailable {
            return None;
        }
        self.snapshot
            .unallocated(self.unit, self.period)
            .map(|f| UnallocatedFlows {
                applications_collected: f.applications_collected,
                cards_issued: f.cards_issued,
                accounts_activated: f.accounts_activated,
                home_visits: f.home_visits,
            })
    }

    /// First day of the period.
    async fn from(&self) -> Date {
        Date(date(self.period.from))
    }

    /// Last day of the period.
    async fn to(&self) -> Date {
        Date(date(self.period.to))
    }

    /// CCCD applications collected in the period (flow).
    async fn applications_collected(&self) -> Option<i64> {
        self.known(self.values.flows.applications_collected)
    }

    /// CCCD cards issued in the period (flow).
    async fn cards_issued(&self) -> Option<i64> {
        self.known(self.values.flows.cards_issued)
    }

    /// VNeID accounts (levels 1 and 2) activated in the period (flow).
    async fn accounts_activated(&self) -> Option<i64> {
        self.known(self.values.flows.accounts_activated)
    }

    /// Citizens served at home in the period (flow).
    async fn home_visits(&self) -> Option<i64> {
        self.known(self.values.flows.home_visits)
    }

    /// Cumulative cards issued as of the last day (stock: latest opening
    /// balance plus the cards issued since).
    async fn cards_issued_total(&self) -> Option<i64> {
        self.known(self.values.cards_total)
    }

    /// Cumulative accounts activated as of the last day (stock).
    async fn accounts_activated_total(&self) -> Option<i64> {
        self.known(self.values.accounts_total)
    }

    /// Citizens aged 14 and over, as of the last day (stock).
    async fn eligible_population(&self) -> Option<i64> {
        self.known(self.values.eligible)
    }

    /// Citizens aged 14 and over present on the territory, as of the last day.
    async fn present_population(&self) -> Option<i64> {
        self.known(self.values.present)
    }

    /// Citizens eligible for a VNeID account, as of the last day.
    async fn accounts_eligible(&self) -> Option<i64> {
        self.known(self.values.accounts_eligible)
    }

    /// cardsIssuedTotal / eligiblePopulation.
    async fn cccd_coverage(&self) -> Option<f64> {
        self.known_ratio(self.values.cards_total, self.values.eligible)
    }

    /// cardsIssuedTotal / presentPopulation.
    async fn present_coverage(&self) -> Option<f64> {
        self.known_ratio(self.values.cards_total, self.values.present)
    }

    /// accountsActivatedTotal / accountsEligible.
    async fn activation_rate(&self) -> Option<f64> {
        self.known_ratio(self.values.accounts_total, self.values.accounts_eligible)
    }

    /// eligiblePopulation − cardsIssuedTotal: eligible citizens still without
    /// a card, as of the last day (0 once everyone has one).
    async fn remaining(&self) -> Option<i64> {
        self.known(self.values.remaining())
    }

    /// Share of the subtree's reporting units (communes) that reported at
    /// least once in the period; `null` when the subtree has none.
    async fn reporting_rate(&self) -> Option<f64> {
        let (reported, total) = self
            .snapshot
            .reporting(self.unit, self.period, self.campaign);
        query::Rollup::ratio(reported as i64, total as i64)
    }

    /// Reporting units (communes) in the subtree.
    async fn reporting_units(&self) -> i64 {
        self.snapshot
            .reporting(self.unit, self.period, self.campaign)
            .1 as i64
    }

    /// The last day, on or before the period's end, with a report from the
    /// subtree: how fresh the numbers are.
    async fn last_reported_on(&self) -> Option<Date> {
        self.snapshot
            .last_reported(self.unit, self.period, self.campaign)
            .map(|d| Date(date(d)))
    }
}

/// The buckets of a series.
pub fn series_periods(period: Period, granularity: Granularity) -> Vec<Period> {
    period::buckets(period, granularity.into())
}

/// Rollups of one unit over several periods, from the request's snapshot.
/// No loader: a rollup is two binary searches per series, so batching
/// would only add a channel, a map and a tick's wait per field (the
/// whole-country drill asks for 768).
pub async fn load(
    ctx: &Context<'_>,
    unit_id: i64,
    periods: &[Period],
    campaign: Option<i64>,
) -> Result<Vec<Rollup>> {
    let snapshot = ctx.loaders().snapshot.get().await?;
    let unit = snapshot
        .index_of(unit_id)
        .ok_or_else(|| AppError::Internal(format!("unit {unit_id} is not in the rollup engine")))?;
    Ok(periods
        .iter()
        .map(|&period| Rollup {
            values: snapshot.rollup(unit, period, campaign),
            quality: snapshot.quality(unit, period),
            snapshot: snapshot.clone(),
            unit,
            period,
            campaign,
        })
        .collect())
}
