//! Property test through the whole stack: random reports and stocks on the
//! real communes of one district, written to the database, read back
//! through GraphQL for random periods and compared with a brute-force
//! computation over the same rows.

mod common;

use chrono::{Duration, NaiveDate};
use entity::stock_value::StockMetric;
use entity::{report, stock_value, unit};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use tiendo::demo::rng::Rng;

/// Thạch Hà district (Hà Tĩnh), 31 communes.
const DISTRICT: &str = "445";
const SEEDS: [u64; 3] = [1, 2, 3];

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default()
}

#[derive(Clone, Debug)]
struct Row {
    commune: String,
    day: NaiveDate,
    flows: [i64; 4],
}

#[derive(Clone, Debug)]
struct Stock {
    commune: String,
    metric: StockMetric,
    from: NaiveDate,
    value: i64,
}

/// Random rows over the district's communes.
fn world(seed: u64, communes: &[(i64, String)]) -> (Vec<Row>, Vec<Stock>) {
    let mut r = Rng::new(seed);
    let mut rows = Vec::new();
    let mut stocks = Vec::new();
    for (_, code) in communes {
        for (metric, value) in [
            (StockMetric::EligiblePopulation, r.int(0, 300)),
            (StockMetric::PresentPopulation, r.int(0, 300)),
            (StockMetric::AccountsEligible, r.int(0, 300)),
        ] {
            stocks.push(Stock {
                commune: code.clone(),
                metric,
                from: base(),
                value,
            });
        }
        if r.int(0, 1) == 1 {
            stocks.push(Stock {
                commune: code.clone(),
                metric: StockMetric::CardsIssuedOpening,
                from: base() + Duration::days(r.int(0, 40)),
                value: r.int(0, 200),
            });
        }
        let mut days: Vec<i64> = (0..r.int(0, 25)).map(|_| r.int(0, 90)).collect();
        days.sort();
        days.dedup();
        for d in days {
            rows.push(Row {
                commune: code.clone(),
                day: base() + Duration::days(d),
                flows: [r.int(0, 20), r.int(0, 20), r.int(0, 20), r.int(0, 5)],
            });
        }
    }
    (rows, stocks)
}

async fn communes(db: &DatabaseConnection) -> Vec<(i64, String)> {
    let district = unit::Entity::find()
        .filter(unit::Column::Level.eq(unit::UnitLevel::District))
        .filter(unit::Column::Code.eq(DISTRICT))
        .one(db)
        .await
        .expect("query")
        .expect("the district");
    unit::Entity::find()
        .filter(unit::Column::ParentId.eq(district.id))
        .order_by_asc(unit::Column::Id)
        .all(db)
        .await
        .expect("communes")
        .into_iter()
        .map(|u| (u.id, u.code))
        .collect()
}

async fn write(db: &DatabaseConnection, rows: &[Row], stocks: &[Stock]) {
    let ids: std::collections::HashMap<String, i64> = communes(db)
        .await
        .into_iter()
        .map(|(id, c)| (c, id))
        .collect();
    let now = chrono::Utc::now();
    if !rows.is_empty() {
        report::Entity::insert_many(rows.iter().map(|r| report::ActiveModel {
            unit_id: Set(ids[&r.commune]),
            day: Set(r.day),
            campaign_id: Set(None),
            team_id: Set(None),
            campaign_slot: Set(0),
            team_slot: Set(0),
            applications_collected: Set(r.flows[0]),
            cards_issued: Set(r.flows[1]),
            accounts_activated: Set(r.flows[2]),
            home_visits: Set(r.flows[3]),
            status: Set(report::ReportStatus::Submitted),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec(db)
        .await
        .expect("insert reports");
    }
    stock_value::Entity::insert_many(stocks.iter().map(|s| stock_value::ActiveModel {
        unit_id: Set(ids[&s.commune]),
        metric: Set(s.metric),
        valid_from: Set(s.from),
        valid_to: Set(None),
        value: Set(s.value),
        ..Default::default()
    }))
    .exec(db)
    .await
    .expect("insert stocks");
}

/// Brute force over the rows: flows in the period, and cumulative cards
/// and the eligible population as of its last day.
fn brute(
    rows: &[Row],
    stocks: &[Stock],
    commune: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> (i64, i64, i64) {
    let inside = |c: &str| commune.is_none_or(|x| x == c);
    let cards: i64 = rows
        .iter()
        .filter(|r| inside(&r.commune) && r.day >= from && r.day <= to)
        .map(|r| r.flows[1])
        .sum();
    let mut eligible = 0;
    let mut total = 0;
    let mut names: Vec<&str> = stocks.iter().map(|s| s.commune.as_str()).collect();
    names.dedup();
    for c in names.into_iter().filter(|c| inside(c)) {
        let latest = |metric: StockMetric| {
            stocks
                .iter()
                .filter(|s| s.commune == c && s.metric == metric && s.from <= to)
                .max_by_key(|s| s.from)
        };
        eligible += latest(StockMetric::EligiblePopulation).map_or(0, |s| s.value);
        let opening = latest(StockMetric::CardsIssuedOpening);
        let since = opening.map(|s| s.from);
        total += opening.map_or(0, |s| s.value)
            + rows
                .iter()
                .filter(|r| r.commune == c && r.day <= to && since.is_none_or(|f| r.day >= f))
                .map(|r| r.flows[1])
                .sum::<i64>();
    }
    (cards, total, eligible)
}

const QUERY: &str = r#"query($code: String!, $from: Date!, $to: Date!) {
  unit(level: DISTRICT, code: $code) {
    rollup(period: { from: $from, to: $to }) { cardsIssued cardsIssuedTotal eligiblePopulation }
    series(period: { from: $from, to: $to }, granularity: WEEK) { cardsIssued }
    children(first: 100) { edges { node {
      code
      rollup(period: { from: $from, to: $to }) { cardsIssued cardsIssuedTotal eligiblePopulation cccdCoverage }
      rank(indicator: CCCD_COVERAGE, period: { from: $from, to: $to }) { rank outOf }
    } } }
  }
}"#;

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

async fn check(backend: common::Backend, name: &str, seed: u64) {
    let world_cell = std::sync::Arc::new(std::sync::Mutex::new((Vec::new(), Vec::new())));
    let cell = world_cell.clone();
    let app = common::TestApp::spawn_seeded(
        &format!("{name}_{seed}"),
        backend,
        tiendo::demo::DemoParts::Units,
        None,
        async move |db: &DatabaseConnection| {
            let communes = communes(db).await;
            let (rows, stocks) = world(seed, &communes);
            write(db, &rows, &stocks).await;
            if let Ok(mut w) = cell.lock() {
                *w = (rows, stocks);
            }
        },
    )
    .await;
    let (rows, stocks) = world_cell.lock().map(|w| w.clone()).unwrap_or_default();
    let mut r = Rng::new(seed ^ 0xFEED);
    for _ in 0..8 {
        let from = base() + Duration::days(r.int(-10, 80));
        let to = from + Duration::days(r.int(0, 40));
        let vars = json!({ "code": DISTRICT, "from": from.to_string(), "to": to.to_string() });
        let data = app.data(QUERY, vars).await;
        let u = &data["unit"];
        let (cards, total, eligible) = brute(&rows, &stocks, None, from, to);
        assert_eq!(
            int(&u["rollup"]["cardsIssued"]),
            cards,
            "seed {seed} {from}..{to}"
        );
        assert_eq!(
            int(&u["rollup"]["cardsIssuedTotal"]),
            total,
            "seed {seed} {from}..{to}"
        );
        assert_eq!(int(&u["rollup"]["eligiblePopulation"]), eligible);
        let series: i64 = u["series"]
            .as_array()
            .expect("series")
            .iter()
            .map(|b| int(&b["cardsIssued"]))
            .sum();
        assert_eq!(series, cards);
        let children = common::edge_nodes(&u["children"]);
        let coverage = |c: &Value| {
            let (_, t, e) = brute(&rows, &stocks, c["code"].as_str(), from, to);
            (e > 0).then_some((t, e))
        };
        for c in &children {
            let (cc, ct, ce) = brute(&rows, &stocks, c["code"].as_str(), from, to);
            assert_eq!(int(&c["rollup"]["cardsIssued"]), cc);
            assert_eq!(int(&c["rollup"]["cardsIssuedTotal"]), ct);
            assert_eq!(int(&c["rollup"]["eligiblePopulation"]), ce);
            match coverage(c) {
                None => assert_eq!(c["rank"], Value::Null),
                Some((t, e)) => {
                    let better = children
                        .iter()
                        .filter_map(coverage)
                        .filter(|(ot, oe)| {
                            (*ot as i128) * (e as i128) > (t as i128) * (*oe as i128)
                        })
                        .count();
                    assert_eq!(int(&c["rank"]["rank"]), better as i64 + 1, "{c}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_worlds_match_brute_force_sqlite() {
    for seed in SEEDS {
        check(common::Backend::Sqlite, "properties::sqlite", seed).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs TIENDO_TEST_POSTGRES; run with --include-ignored"]
async fn random_worlds_match_brute_force_postgres() {
    for seed in SEEDS {
        check(common::Backend::Postgres, "properties::postgres", seed).await;
    }
}
