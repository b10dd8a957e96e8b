//! The dashboard documents both benchmarks send: the API contract's
//! Ranking, Drill and Series over the national dataset's last 90 days (a
//! year for the series), and the whole-country drill.

/// `query Ranking`: 63 provinces on CCCD coverage, with movement.
pub const RANKING: &str = r#"query Ranking {
  ranking(level: PROVINCE, indicator: CCCD_COVERAGE,
          period: { from: "2023-10-03", to: "2023-12-31" }, first: 63, map: VN2023) {
    edges { node { rank outOf value numerator denominator previousRank unit { code name } } }
  }
}"#;

/// `query Drill`: one province's districts with rollup and rank.
pub const DRILL: &str = r#"query Drill {
  unit(level: PROVINCE, code: "42", map: VN2023) {
    children(first: 50) {
      edges { node {
        name
        rollup(period: { from: "2023-10-03", to: "2023-12-31" }) { cccdCoverage }
        rank(indicator: CCCD_COVERAGE, period: { from: "2023-10-03", to: "2023-12-31" }) { rank outOf }
      } }
    }
  }
}"#;

/// `query Series`: one province by week over a year.
pub const SERIES: &str = r#"query Series {
  unit(level: PROVINCE, code: "42", map: VN2023) {
    series(period: { from: "2023-01-01", to: "2023-12-31" }, granularity: WEEK) {
      from to cardsIssued accountsActivated cccdCoverage
    }
  }
}"#;

/// The whole-country drill: 63 provinces and their 705 districts, each
/// with rollup and rank.
pub const COUNTRY: &str = r#"query CountryDrill {
  units(level: PROVINCE, first: 63, map: VN2023) {
    edges { node {
      code
      rollup(period: { from: "2023-10-03", to: "2023-12-31" }) { cardsIssued cccdCoverage }
      rank(indicator: CCCD_COVERAGE, period: { from: "2023-10-03", to: "2023-12-31" }, among: LEVEL) { rank outOf }
      children(first: 50) { edges { node {
        code
        rollup(period: { from: "2023-10-03", to: "2023-12-31" }) { cardsIssued cccdCoverage }
        rank(indicator: CCCD_COVERAGE, period: { from: "2023-10-03", to: "2023-12-31" }) { rank outOf }
      } } }
    } }
  }
}"#;
