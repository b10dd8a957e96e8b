//! Calendar days as small integers (days since 1970-01-01), so that day
//! arithmetic and binary searches are on `i32`.

use chrono::{Datelike, NaiveDate};

/// A calendar day in Vietnam, as days since 1970-01-01.
pub type Day = i32;

const UNIX_EPOCH_CE: i32 = 719_163;

/// The day number of a date.
pub fn day(date: NaiveDate) -> Day {
    date.num_days_from_ce() - UNIX_EPOCH_CE
}

/// The date of a day number.
pub fn date(day: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day + UNIX_EPOCH_CE).unwrap_or_default()
}

/// Today in Vietnam (UTC+7).
pub fn today() -> Day {
    let now = chrono::Utc::now() + chrono::Duration::hours(7);
    day(now.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        let d = NaiveDate::from_ymd_opt(2023, 4, 15).unwrap_or_default();
        assert_eq!(date(day(d)), d);
        assert_eq!(
            day(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap_or_default()),
            1
        );
    }
}
