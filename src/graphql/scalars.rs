//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar day in Vietnam (UTC+7), written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A calendar day in Vietnam (UTC+7), ISO 8601 `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_day(s).map(Date).ok_or_else(|| {
                InputValueError::custom(format!("`{s}` is not a date in YYYY-MM-DD form"))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        // `Display` is ISO 8601 (`YYYY-MM-DD`) without a format string to
        // interpret: a series writes hundreds of these.
        Value::String(self.0.to_string())
    }
}

/// `YYYY-MM-DD`, exactly: four digits, two, two, and a real day. Read by
/// hand, because a dashboard document carries a period on every rollup and
/// rank field (a whole-country drill parses 1,500 of them) and chrono's
/// format-string parser was a visible part of its time.
fn parse_day(s: &str) -> Option<NaiveDate> {
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

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Date(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_exactly() {
        assert_eq!(
            parse_day("2023-04-15"),
            NaiveDate::from_ymd_opt(2023, 4, 15)
        );
        assert_eq!(
            parse_day("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for bad in [
            "2023-02-29",
            "2023-4-15",
            "2023-04-15 ",
            "20230415",
            "2023-13-01",
            "2023-04-00",
            "abcd-ef-gh",
            "",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        assert_eq!(
            Date(NaiveDate::from_ymd_opt(2023, 1, 5).unwrap()).to_value(),
            Value::String("2023-01-05".into())
        );
    }
}
