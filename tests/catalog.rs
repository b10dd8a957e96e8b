//! The catalog: what every metric and indicator means.

mod common;

use std::collections::{HashMap, HashSet};

use common::db_test;
use serde_json::{Value, json};

/// The flow metrics of docs/API.md; every other metric is a stock.
const FLOWS: [&str; 4] = [
    "APPLICATIONS_COLLECTED",
    "CARDS_ISSUED",
    "ACCOUNTS_ACTIVATED",
    "HOME_VISITS",
];

db_test!(units, async fn metrics_are_listed_with_kind_and_names(app) {
    // Given the metric catalog
    // When it is listed
    let data = app
        .data("{ metrics { code kind nameVi nameEn description } }", json!({}))
        .await;

    // Then it has 10 distinct metrics, each named in both languages
    let metrics = data["metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), 10, "{metrics:?}");
    let kinds: HashMap<&str, &str> = metrics
        .iter()
        .map(|m| (m["code"].as_str().expect("code"), m["kind"].as_str().expect("kind")))
        .collect();
    assert_eq!(kinds.len(), 10, "metric codes repeat: {metrics:?}");
    for metric in metrics {
        for field in ["nameVi", "nameEn", "description"] {
            assert!(
                metric[field].as_str().is_some_and(|s| !s.trim().is_empty()),
                "{field} is empty in {metric}"
            );
        }
    }

    // And the flows of the contract are flows, everything else a stock
    assert_eq!(kinds["CARDS_ISSUED"], "FLOW");
    assert_eq!(kinds["ELIGIBLE_POPULATION"], "STOCK");
    for (code, kind) in &kinds {
        let expected = if FLOWS.contains(code) { "FLOW" } else { "STOCK" };
        assert_eq!(kind, &expected, "kind of {code}");
    }
    let card_names = metrics
        .iter()
        .find(|m| m["code"] == "CARDS_ISSUED")
        .expect("CARDS_ISSUED");
    assert!(
        card_names["nameVi"].as_str().is_some_and(|n| n.contains("CCCD")),
        "{card_names}"
    );
});

db_test!(units, async fn indicators_give_their_formula(app) {
    // Given the indicator catalog
    // When it is listed
    let data = app
        .data(
            "{ indicators { code numerator denominator formula nameVi nameEn } }",
            json!({}),
        )
        .await;

    // Then it has the three indicators of the contract, each the ratio of
    // its numerator to its denominator
    let indicators = data["indicators"].as_array().expect("indicators");
    let by_code: HashMap<&str, &Value> = indicators
        .iter()
        .map(|i| (i["code"].as_str().expect("code"), i))
        .collect();
    assert_eq!(
        by_code.keys().copied().collect::<HashSet<_>>(),
        HashSet::from(["CCCD_COVERAGE", "PRESENT_COVERAGE", "ACTIVATION_RATE"])
    );
    let expected = [
        ("CCCD_COVERAGE", "CARDS_ISSUED_TOTAL", "ELIGIBLE_POPULATION"),
        ("PRESENT_COVERAGE", "CARDS_ISSUED_TOTAL", "PRESENT_POPULATION"),
        ("ACTIVATION_RATE", "ACCOUNTS_ACTIVATED_TOTAL", "ACCOUNTS_ELIGIBLE"),
    ];
    for (code, numerator, denominator) in expected {
        let indicator = by_code[code];
        assert_eq!(indicator["numerator"], numerator, "{indicator}");
        assert_eq!(indicator["denominator"], denominator, "{indicator}");
        assert_eq!(
            indicator["formula"],
            format!("{numerator} / {denominator}"),
            "{indicator}"
        );
        assert!(indicator["nameVi"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(indicator["nameEn"].as_str().is_some_and(|n| !n.is_empty()));
    }
});
