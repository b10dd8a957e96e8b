//! Calendar days as small integers (days since 1970-01-01), so that day
//! arithmetic and binary searches are on `i32`, and the one reader of a
//! written day (`YYYY-MM-DD`) that the Date scalar, the CSV reader and the
//! cost walk share.

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

/// `YYYY-MM-DD`, exactly: four digits, two, two, and a real day. Read by
/// hand, because a dashboard document carries a period on every rollup and
/// rank field (a whole-country drill parses 1,500 of them) and chrono's
/// format-string parser was a visible part of its time; and strictly, so
/// that `2023-4-5` is refused alike by GraphQL, CSV files and the cost walk.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_exactly() {
        assert_eq!(
            parse_date("2023-04-15"),
            NaiveDate::from_ymd_opt(2023, 4, 15)
        );
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2023-02-29",
            "2023-4-15",
            "2023-4-5",
            "2023-04-15 ",
            " 2023-04-15",
            "20230415",
            "2023-13-01",
            "2023-04-00",
            "+023-04-15",
            "abcd-ef-gh",
            "２０２３-04-15",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

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
