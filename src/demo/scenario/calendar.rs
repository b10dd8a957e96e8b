//! Days and their rhythm: the weekly weight of a day, day ranges, the
//! spreading of a total over days, and the knots of 2023.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::day;
use super::fill::spread;
use crate::demo::rng::Rng;

/// Weight of a day in the weekly rhythm (Sundays are quiet).
pub(super) fn day_weight(d: NaiveDate, rng: &mut Rng) -> f64 {
    let base = match d.weekday() {
        Weekday::Sun => 0.35,
        Weekday::Sat => 0.7,
        _ => 1.0,
    };
    base * rng.range(0.6, 1.4)
}

/// Days from `from` to `to` inclusive.
pub(super) fn days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.push(d);
        d += Duration::days(1);
    }
    out
}

/// Spreads `total` over the days `from..=to` with the weekly rhythm.
pub(super) fn spread_days(total: i64, from: NaiveDate, to: NaiveDate, rng: &mut Rng) -> Vec<i64> {
    let ds = days(from, to);
    let w: Vec<f64> = ds.iter().map(|d| day_weight(*d, rng)).collect();
    spread(total, &w)
}

/// The knots of 2023: (opening on 01-01 is separate) ends of these days.
pub(super) fn knots_2023() -> [NaiveDate; 4] {
    [
        day(2023, 4, 15),
        day(2023, 5, 16),
        day(2023, 6, 30),
        day(2023, 7, 31),
    ]
}
