//! The read documents of the API contract (`../shared/docs/API.md`,
//! "Documents that must run" and "Two maps"), for the tests that run them
//! as a partner ministry would. The 2023 reference scenario's documents
//! are as written there with `map: VN2023` on their root fields, as the
//! contract says a document that means the 2023 map does (the default map
//! is the one in force today); `RankingWithin` takes its map from the
//! province it ranks within. The two-map documents are as written.

/// `Unit`: A unit, its place in the tree, its children as a Relay connection.
pub const UNIT: &str = r#"
query Unit {
  unit(level: PROVINCE, code: "42", map: VN2023) {
    id code name shortName level
    parent { code name level }
    children(first: 50) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { code name level } }
    }
  }
}
"#;

/// `Search`: Search ignores case and diacritics.
pub const SEARCH: &str = r#"
query Search {
  units(search: "ha tinh", level: PROVINCE, first: 5, map: VN2023) {
    edges { node { code name } }
  }
}
"#;

/// `Rollup`: Rollup of a subtree over a period.
pub const ROLLUP: &str = r#"
query Rollup {
  unit(level: PROVINCE, code: "42", map: VN2023) {
    rollup(period: { from: "2023-01-01", to: "2023-04-15" }) {
      applicationsCollected cardsIssued accountsActivated homeVisits
      cardsIssuedTotal accountsActivatedTotal
      eligiblePopulation presentPopulation accountsEligible
      cccdCoverage presentCoverage activationRate remaining
    }
  }
}
"#;

/// `Series`: Time series for a chart.
pub const SERIES: &str = r#"
query Series {
  unit(level: PROVINCE, code: "42", map: VN2023) {
    series(period: { from: "2023-01-01", to: "2023-06-30" }, granularity: WEEK) {
      from to cardsIssued accountsActivated cccdCoverage
    }
  }
}
"#;

/// `Ranking`: National ranking, with movement against the previous period of equal length.
pub const RANKING: &str = r#"
query Ranking {
  ranking(level: PROVINCE, indicator: CCCD_COVERAGE,
          period: { from: "2023-01-01", to: "2023-04-15" }, first: 63, map: VN2023) {
    edges { node { rank outOf value numerator denominator previousRank
                   unit { code name } } }
  }
}
"#;

/// `Drill`: Ranking inside one province, and the rank of one unit among its siblings.
pub const DRILL: &str = r#"
query Drill {
  unit(level: PROVINCE, code: "42", map: VN2023) {
    children(first: 50) {
      edges { node {
        name
        rollup(period: { from: "2023-01-01", to: "2023-04-15" }) { cccdCoverage }
        rank(indicator: CCCD_COVERAGE, period: { from: "2023-01-01", to: "2023-04-15" }) { rank outOf }
      } }
    }
  }
}
"#;

/// `RankingWithin`: Ranking inside one ancestor: `within` takes the ancestor's global ID.
pub const RANKING_WITHIN: &str = r#"
query RankingWithin($province: ID!) {
  ranking(level: DISTRICT, within: $province, indicator: ACTIVATION_RATE,
          period: { from: "2023-01-01", to: "2023-05-16" }, first: 20) {
    edges { node { rank outOf value unit { code name } } }
  }
}
"#;

/// `Completion`: How many units below are complete, and who completed first.
pub const COMPLETION: &str = r#"
query Completion {
  unit(level: PROVINCE, code: "40", map: VN2023) {
    completion(level: COMMUNE, indicator: CCCD_COVERAGE, asOf: "2023-06-30") { complete total }
  }
  firstToComplete(level: COMMUNE, indicator: CCCD_COVERAGE, first: 6, map: VN2023) {
    edges { node { completedOn unit { code name } } }
  }
}
"#;

/// `Campaigns`: Campaigns with targets and progress; teams.
pub const CAMPAIGNS: &str = r#"
query Campaigns {
  unit(level: PROVINCE, code: "49", map: VN2023) {
    campaigns(first: 10) {
      edges { node {
        name startsOn endsOn
        targets { metric target dueOn achieved progress projectedOn onTrack }
        teams(first: 20) { edges { node { name kind size } } }
      } }
    }
  }
}
"#;

/// `Ranking2025`: the 34 provinces of the 2025 map ranked over 2025.
pub const RANKING_2025: &str = r#"
query Ranking2025 {
  ranking(level: PROVINCE, map: VN2025, indicator: ACTIVATION_RATE,
          period: { from: "2025-01-01", to: "2025-12-31" }, first: 34) {
    edges { node { rank outOf value unit { code name map } } }
  }
}
"#;

/// `Lineage`: a 2025 province, its predecessors and its 2023 numbers.
pub const LINEAGE: &str = r#"
query Lineage {
  unit(level: PROVINCE, code: "48", map: VN2025) {
    name
    predecessors { share unit { code name map } }
    rollup(period: { from: "2023-01-01", to: "2023-04-15" }) { cardsIssued quality }
  }
}
"#;

/// Every read document, by its operation name.
pub const READ_DOCUMENTS: &[(&str, &str)] = &[
    ("Unit", UNIT),
    ("Search", SEARCH),
    ("Rollup", ROLLUP),
    ("Series", SERIES),
    ("Ranking", RANKING),
    ("Drill", DRILL),
    ("RankingWithin", RANKING_WITHIN),
    ("Completion", COMPLETION),
    ("Campaigns", CAMPAIGNS),
    ("Ranking2025", RANKING_2025),
    ("Lineage", LINEAGE),
];
