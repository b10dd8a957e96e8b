//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

use crate::model::day::parse_date;

/// A calendar day in Vietnam (UTC+7), written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A calendar day in Vietnam (UTC+7), ISO 8601 `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_date(s).map(Date).ok_or_else(|| {
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

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Date(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly_and_print_iso() {
        assert_eq!(
            Date::parse(Value::String("2023-04-15".into())).ok(),
            NaiveDate::from_ymd_opt(2023, 4, 15).map(Date)
        );
        assert!(Date::parse(Value::String("2023-4-5".into())).is_err());
        assert!(Date::parse(Value::Number(20230415.into())).is_err());
        assert_eq!(
            Date(NaiveDate::from_ymd_opt(2023, 1, 5).unwrap()).to_value(),
            Value::String("2023-01-05".into())
        );
    }
}
