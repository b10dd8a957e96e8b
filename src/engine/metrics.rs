//! The catalog of metrics and indicators (as DHIS2 has aggregation types).
//!
//! Flows are counts of events per unit per day: summed over time and up the
//! hierarchy. Stocks are values true at a date: taken as of the end of a
//! period (last known value) and summed up the hierarchy. Indicators are
//! ratios of the two.

use crate::model::values::Flows;

/// How a metric aggregates over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// Summed over the period and the subtree.
    Flow,
    /// The value as of the period's last day, summed over the subtree.
    Stock,
}

/// Every metric the API reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    ApplicationsCollected,
    CardsIssued,
    AccountsActivated,
    HomeVisits,
    CardsIssuedTotal,
    AccountsActivatedTotal,
    EligiblePopulation,
    PresentPopulation,
    AccountsEligible,
    Remaining,
}

/// Every ratio indicator the API reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Indicator {
    CccdCoverage,
    PresentCoverage,
    ActivationRate,
}

/// Description of one metric.
#[derive(Debug, Clone, Copy)]
pub struct MetricInfo {
    pub metric: Metric,
    pub code: &'static str,
    pub kind: MetricKind,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub description: &'static str,
}

/// Description of one indicator.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorInfo {
    pub indicator: Indicator,
    pub code: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    pub numerator: Metric,
    pub denominator: Metric,
    pub formula: &'static str,
    pub description: &'static str,
}

/// All metrics, in the order the API lists them.
pub const METRICS: &[MetricInfo] = &[
    MetricInfo {
        metric: Metric::ApplicationsCollected,
        code: "APPLICATIONS_COLLECTED",
        kind: MetricKind::Flow,
        name_vi: "Số hồ sơ CCCD thu nhận",
        name_en: "CCCD applications collected",
        description: "Chip ID card applications (hồ sơ) collected, counted on the day they were taken.",
    },
    MetricInfo {
        metric: Metric::CardsIssued,
        code: "CARDS_ISSUED",
        kind: MetricKind::Flow,
        name_vi: "Số thẻ CCCD đã cấp",
        name_en: "CCCD cards issued",
        description: "Chip ID cards (căn cước công dân gắn chip) issued, counted on the day of issue.",
    },
    MetricInfo {
        metric: Metric::AccountsActivated,
        code: "ACCOUNTS_ACTIVATED",
        kind: MetricKind::Flow,
        name_vi: "Số tài khoản định danh điện tử đã kích hoạt",
        name_en: "VNeID accounts activated",
        description: "Level-1 and level-2 VNeID electronic identity accounts activated, together.",
    },
    MetricInfo {
        metric: Metric::HomeVisits,
        code: "HOME_VISITS",
        kind: MetricKind::Flow,
        name_vi: "Số trường hợp phục vụ tại nhà",
        name_en: "Home visits",
        description: "Citizens served at home (elderly, sick, disabled) by mobile teams.",
    },
    MetricInfo {
        metric: Metric::CardsIssuedTotal,
        code: "CARDS_ISSUED_TOTAL",
        kind: MetricKind::Stock,
        name_vi: "Lũy kế thẻ CCCD đã cấp",
        name_en: "Cumulative CCCD cards issued",
        description: "Cards issued to date: the latest opening balance plus the cards issued since.",
    },
    MetricInfo {
        metric: Metric::AccountsActivatedTotal,
        code: "ACCOUNTS_ACTIVATED_TOTAL",
        kind: MetricKind::Stock,
        name_vi: "Lũy kế tài khoản định danh điện tử đã kích hoạt",
        name_en: "Cumulative VNeID accounts activated",
        description: "Accounts activated to date: the latest opening balance plus the activations since.",
    },
    MetricInfo {
        metric: Metric::EligiblePopulation,
        code: "ELIGIBLE_POPULATION",
        kind: MetricKind::Stock,
        name_vi: "Số công dân từ đủ 14 tuổi",
        name_en: "Eligible population (aged 14+)",
        description: "Citizens aged 14 and over registered in the unit, who must hold a chip card.",
    },
    MetricInfo {
        metric: Metric::PresentPopulation,
        code: "PRESENT_POPULATION",
        kind: MetricKind::Stock,
        name_vi: "Số công dân từ đủ 14 tuổi có mặt tại địa phương",
        name_en: "Present population (aged 14+)",
        description: "Eligible citizens actually present on the territory (not working away).",
    },
    MetricInfo {
        metric: Metric::AccountsEligible,
        code: "ACCOUNTS_ELIGIBLE",
        kind: MetricKind::Stock,
        name_vi: "Số công dân đủ điều kiện kích hoạt tài khoản",
        name_en: "Citizens eligible for a VNeID account",
        description: "Citizens who may hold a level-1 or level-2 VNeID account.",
    },
    MetricInfo {
        metric: Metric::Remaining,
        code: "REMAINING",
        kind: MetricKind::Stock,
        name_vi: "Số công dân chưa được cấp CCCD",
        name_en: "Eligible citizens still without a card",
        description: "ELIGIBLE_POPULATION − CARDS_ISSUED_TOTAL, as of the same day.",
    },
];

/// All indicators, in the order the API lists them.
pub const INDICATORS: &[IndicatorInfo] = &[
    IndicatorInfo {
        indicator: Indicator::CccdCoverage,
        code: "CCCD_COVERAGE",
        name_vi: "Tỷ lệ cấp CCCD",
        name_en: "CCCD coverage",
        numerator: Metric::CardsIssuedTotal,
        denominator: Metric::EligiblePopulation,
        formula: "CARDS_ISSUED_TOTAL / ELIGIBLE_POPULATION",
        description: "Share of citizens aged 14+ who hold a chip card; 1.0 means complete.",
    },
    IndicatorInfo {
        indicator: Indicator::PresentCoverage,
        code: "PRESENT_COVERAGE",
        name_vi: "Tỷ lệ cấp CCCD trên số có mặt",
        name_en: "Coverage of the present population",
        numerator: Metric::CardsIssuedTotal,
        denominator: Metric::PresentPopulation,
        formula: "CARDS_ISSUED_TOTAL / PRESENT_POPULATION",
        description: "Cards issued as a share of the eligible citizens present on the territory.",
    },
    IndicatorInfo {
        indicator: Indicator::ActivationRate,
        code: "ACTIVATION_RATE",
        name_vi: "Tỷ lệ kích hoạt tài khoản định danh điện tử",
        name_en: "VNeID activation rate",
        numerator: Metric::AccountsActivatedTotal,
        denominator: Metric::AccountsEligible,
        formula: "ACCOUNTS_ACTIVATED_TOTAL / ACCOUNTS_ELIGIBLE",
        description: "Share of eligible citizens with an activated level-1/2 VNeID account.",
    },
];

impl Metric {
    /// This metric's catalog entry.
    pub fn info(self) -> &'static MetricInfo {
        METRICS
            .iter()
            .find(|info| info.metric == self)
            .unwrap_or(&METRICS[0])
    }

    /// The value of a flow metric among a report's flows (`None` for a
    /// stock or a cumulative total).
    pub fn of_flows(self, flows: &Flows) -> Option<i64> {
        match self {
            Metric::ApplicationsCollected => Some(flows.applications_collected),
            Metric::CardsIssued => Some(flows.cards_issued),
            Metric::AccountsActivated => Some(flows.accounts_activated),
            Metric::HomeVisits => Some(flows.home_visits),
            _ => None,
        }
    }

    /// The flow whose run rate moves this metric: the flow itself, or the
    /// flow a cumulative total adds up.
    pub fn driving_flow(self) -> Option<Metric> {
        match self {
            Metric::CardsIssuedTotal => Some(Metric::CardsIssued),
            Metric::AccountsActivatedTotal => Some(Metric::AccountsActivated),
            flow if flow.info().kind == MetricKind::Flow => Some(flow),
            _ => None,
        }
    }

    /// Parses an API code such as `CARDS_ISSUED`.
    pub fn from_code(code: &str) -> Option<Self> {
        METRICS
            .iter()
            .find(|info| info.code == code)
            .map(|info| info.metric)
    }
}

impl Indicator {
    /// This indicator's catalog entry.
    pub fn info(self) -> &'static IndicatorInfo {
        INDICATORS
            .iter()
            .find(|info| info.indicator == self)
            .unwrap_or(&INDICATORS[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_one_catalog_entry_and_round_trips() {
        for info in METRICS {
            assert_eq!(info.metric.info().code, info.code);
            assert_eq!(Metric::from_code(info.code), Some(info.metric));
        }
        for info in INDICATORS {
            assert_eq!(info.indicator.info().code, info.code);
        }
    }
}
