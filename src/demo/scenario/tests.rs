//! Checks the generated rows against DOMAIN.md by brute force, without
//! the API: the integration tests check the same figures through it.
use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use entity::unit::UnitLevel;

use super::*;
use crate::demo::units::{MapUnit, map_2023};

/// Rows of one commune.
#[derive(Default)]
struct Book<'a> {
    stocks: Vec<&'a StockRow>,
    reports: Vec<&'a ReportRow>,
}

impl Book<'_> {
    fn stock(&self, metric: &str, d: NaiveDate) -> i64 {
        self.stocks
            .iter()
            .filter(|s| {
                s.metric == metric && s.valid_from <= d && s.valid_to.is_none_or(|t| d <= t)
            })
            .map(|s| s.value)
            .next()
            .unwrap_or(0)
    }

    fn cumulative(&self, cards: bool, d: NaiveDate) -> i64 {
        let metric = if cards {
            "cards_issued_opening"
        } else {
            "accounts_activated_opening"
        };
        let opening = self
            .stocks
            .iter()
            .filter(|s| s.metric == metric && s.valid_from <= d)
            .max_by_key(|s| s.valid_from);
        let since = opening.map(|s| s.valid_from);
        let flows: i64 = self
            .reports
            .iter()
            .filter(|r| r.day <= d && since.is_none_or(|from| r.day >= from))
            .map(|r| {
                if cards {
                    r.cards as i64
                } else {
                    r.accounts as i64
                }
            })
            .sum();
        opening.map_or(0, |s| s.value) + flows
    }

    fn complete_on(&self, d: NaiveDate) -> bool {
        self.cumulative(true, d) >= self.stock("eligible_population", d)
    }
}

#[test]
fn the_generated_rows_reproduce_every_published_figure() {
    let units = map_2023().expect("map");
    let s = Scenario::build(&units, true).expect("scenario");
    let map = MapIndex::new(&units);
    let mut books: HashMap<i64, Book> = HashMap::new();
    for st in &s.stocks {
        books.entry(st.unit_id).or_default().stocks.push(st);
    }
    for r in &s.reports {
        books.entry(r.unit_id as i64).or_default().reports.push(r);
    }
    let empty = Book::default();
    let book = |id: i64| books.get(&id).unwrap_or(&empty);
    let province = |code: &str| map.get(UnitLevel::Province, code).expect("province");
    let sum = |p: &MapUnit, f: &dyn Fn(&Book) -> i64| -> i64 {
        map.communes_under(p.id).iter().map(|c| f(book(c.id))).sum()
    };
    let d415 = day(2023, 4, 15);
    let d516 = day(2023, 5, 16);

    let ht = province("42");
    assert_eq!(
        sum(ht, &|b| b.stock("eligible_population", d415)),
        1_192_722
    );
    assert_eq!(sum(ht, &|b| b.stock("present_population", d415)), 1_124_842);
    assert_eq!(sum(ht, &|b| b.stock("accounts_eligible", d415)), 859_268);
    assert_eq!(sum(ht, &|b| b.cumulative(true, d415)), 1_120_269);
    assert_eq!(sum(ht, &|b| b.cumulative(false, d415)), 334_146);
    let complete = map
        .communes_under(ht.id)
        .iter()
        .filter(|c| book(c.id).complete_on(d415))
        .count();
    assert_eq!(complete, 7);

    // Ranks among the 63 provinces.
    let provinces: Vec<&MapUnit> = units
        .iter()
        .filter(|u| u.level == UnitLevel::Province)
        .collect();
    let rate = |p: &MapUnit, d: NaiveDate, cards: bool| {
        let num = sum(p, &|b| b.cumulative(cards, d)) as f64;
        let den = sum(p, &|b| {
            b.stock(
                if cards {
                    "eligible_population"
                } else {
                    "accounts_eligible"
                },
                d,
            )
        }) as f64;
        num / den
    };
    let rank = |target: &MapUnit, d: NaiveDate, cards: bool| {
        let mine = rate(target, d, cards);
        1 + provinces
            .iter()
            .filter(|p| rate(p, d, cards) > mine)
            .count()
    };
    assert_eq!(rank(ht, d415, true), 1);
    assert_eq!(rank(ht, d415, false), 2);
    let qn = province("49");
    assert_eq!((rate(qn, d516, false) * 1000.0).round() as i64, 112);
    assert_eq!(rank(qn, d516, false), 47);
    let remaining = sum(qn, &|b| {
        b.stock("eligible_population", d516) - b.cumulative(true, d516)
    });
    assert!(
        (55_000..60_000).contains(&remaining),
        "Quảng Nam remaining {remaining}"
    );

    let na = province("40");
    let na_communes = map.communes_under(na.id);
    assert_eq!(na_communes.len(), 460);
    assert!(
        na_communes
            .iter()
            .all(|c| book(c.id).complete_on(day(2023, 6, 30)))
    );

    // First completions nationwide: Thạch Kênh among the first six.
    let mut firsts: Vec<(NaiveDate, i64)> = Vec::new();
    for c in units.iter().filter(|u| u.level == UnitLevel::Commune) {
        let b = book(c.id);
        let mut d = day(2023, 1, 1);
        while d <= d415 {
            if b.complete_on(d) {
                firsts.push((d, c.id));
                break;
            }
            d += Duration::days(1);
        }
    }
    firsts.sort();
    let thach_kenh = map.get(UnitLevel::Commune, "18586").expect("Thạch Kênh").id;
    assert!(
        firsts.iter().take(6).any(|(_, id)| *id == thach_kenh),
        "{firsts:?}"
    );

    let th = province("38");
    let th_apps: i64 = sum(th, &|b| {
        b.reports
            .iter()
            .filter(|r| r.day >= day(2020, 12, 21) && r.day <= day(2021, 3, 6))
            .map(|r| r.applications as i64)
            .sum()
    });
    assert_eq!(th_apps, 92_629);
    let start = day(2020, 12, 21);
    assert_eq!(
        sum(th, &|b| b.stock("eligible_population", start)
            - b.cumulative(true, start)),
        2_947_938
    );
    let end = day(2021, 3, 6);
    assert!(
        sum(th, &|b| b.stock("eligible_population", end)
            - b.cumulative(true, end))
            > 2_800_000
    );

    let city = map.get(UnitLevel::District, "369").expect("Ninh Bình city");
    let window = |b: &Book, f: &dyn Fn(&ReportRow) -> i32| -> i64 {
        b.reports
            .iter()
            .filter(|r| r.day >= day(2022, 9, 10) && r.day <= day(2022, 9, 20))
            .map(|r| f(r) as i64)
            .sum()
    };
    assert_eq!(sum(city, &|b| window(b, &|r| r.cards)), 2_275);
    assert!(sum(city, &|b| window(b, &|r| r.visits)) > 200);

    // Every flow is non-negative, and stocks never fall below flows.
    assert!(
        s.reports
            .iter()
            .all(|r| r.cards >= 0 && r.accounts >= 0 && r.applications >= 0 && r.visits >= 0)
    );
}
