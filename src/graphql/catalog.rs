//! The metric and indicator catalog, so partners can discover what every
//! number means: names in Vietnamese and English, kind, formula.

use async_graphql::{Enum, Object, SimpleObject};

use crate::engine::metrics::{self, INDICATORS, METRICS};

/// A metric: a count per unit per day (flow) or a value true at a date (stock).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::engine::metrics::Metric")]
pub enum Metric {
    /// Flow: CCCD applications (hồ sơ) collected.
    ApplicationsCollected,
    /// Flow: CCCD chip cards issued.
    CardsIssued,
    /// Flow: level-1/2 VNeID accounts activated.
    AccountsActivated,
    /// Flow: citizens served at home.
    HomeVisits,
    /// Stock: cumulative cards issued (opening balance plus flows since).
    CardsIssuedTotal,
    /// Stock: cumulative accounts activated (opening balance plus flows since).
    AccountsActivatedTotal,
    /// Stock: citizens aged 14 and over.
    EligiblePopulation,
    /// Stock: citizens aged 14 and over present on the territory.
    PresentPopulation,
    /// Stock: citizens eligible for a VNeID account.
    AccountsEligible,
    /// Stock: eligible citizens still without a card.
    Remaining,
}

impl Metric {
    /// Parses a stored metric code such as `CARDS_ISSUED`.
    pub fn from_code(code: &str) -> Option<Self> {
        metrics::Metric::from_code(code).map(Metric::from)
    }
}

/// A ratio indicator.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::engine::metrics::Indicator")]
pub enum Indicator {
    /// CARDS_ISSUED_TOTAL / ELIGIBLE_POPULATION.
    CccdCoverage,
    /// CARDS_ISSUED_TOTAL / PRESENT_POPULATION.
    PresentCoverage,
    /// ACCOUNTS_ACTIVATED_TOTAL / ACCOUNTS_ELIGIBLE.
    ActivationRate,
}

/// How a metric aggregates.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::engine::metrics::MetricKind")]
pub enum MetricKind {
    /// Counted per day: summed over the period and the subtree.
    Flow,
    /// True at a date: the value as of the period's last day, summed over the subtree.
    Stock,
}

/// What a metric means.
#[derive(SimpleObject)]
pub struct MetricDescription {
    /// The metric.
    pub code: Metric,
    /// Flow or stock.
    pub kind: MetricKind,
    /// Vietnamese name, as used in the programme's reports.
    pub name_vi: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// What is counted, and how.
    pub description: &'static str,
}

/// What an indicator means.
#[derive(SimpleObject)]
pub struct IndicatorDescription {
    /// The indicator.
    pub code: Indicator,
    /// Vietnamese name.
    pub name_vi: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// The numerator metric.
    pub numerator: Metric,
    /// The denominator metric.
    pub denominator: Metric,
    /// The formula, in metric codes. Rates are fractions (0.939, not 93.9)
    /// and `null` when the denominator is 0.
    pub formula: &'static str,
    /// What it measures.
    pub description: &'static str,
}

/// Root fields of the catalog.
#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Every metric, with its kind and names.
    async fn metrics(&self) -> Vec<MetricDescription> {
        METRICS
            .iter()
            .map(|m| MetricDescription {
                code: m.metric.into(),
                kind: m.kind.into(),
                name_vi: m.name_vi,
                name_en: m.name_en,
                description: m.description,
            })
            .collect()
    }

    /// Every indicator, with its formula and names.
    async fn indicators(&self) -> Vec<IndicatorDescription> {
        INDICATORS
            .iter()
            .map(|i| IndicatorDescription {
                code: i.indicator.into(),
                name_vi: i.name_vi,
                name_en: i.name_en,
                numerator: i.numerator.into(),
                denominator: i.denominator.into(),
                formula: i.formula,
                description: i.description,
            })
            .collect()
    }
}
