//! Periods (inclusive on both ends) and their buckets for time series.

use chrono::{Datelike, NaiveDate};

use crate::model::day::{Day, date, day};

/// The longest period accepted: ten years.
pub const MAX_PERIOD_DAYS: i32 = 3_653;

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub from: Day,
    pub to: Day,
}

/// Why a period is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodError {
    /// `to` is before `from`.
    Reversed,
    /// Longer than [`MAX_PERIOD_DAYS`].
    TooLong,
}

impl Period {
    /// A validated period.
    pub fn new(from: Day, to: Day) -> Result<Self, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed);
        }
        if to - from + 1 > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { from, to })
    }

    /// Number of days in the period.
    pub fn len(&self) -> i32 {
        self.to - self.from + 1
    }

    /// Never empty (a period has at least one day); for clippy's sake.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The previous period of equal length, ending the day before this one.
    pub fn previous(&self) -> Period {
        Period {
            from: self.from - self.len(),
            to: self.from - 1,
        }
    }
}

/// Bucket size of a time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    /// ISO weeks, Monday first.
    Week,
    Month,
    Quarter,
    Year,
}

/// The first day of the bucket that holds `d`.
fn bucket_start(d: NaiveDate, granularity: Granularity) -> NaiveDate {
    let ymd = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or(d);
    match granularity {
        Granularity::Day => d,
        Granularity::Week => d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64),
        Granularity::Month => ymd(d.year(), d.month(), 1),
        Granularity::Quarter => ymd(d.year(), (d.month0() / 3) * 3 + 1, 1),
        Granularity::Year => ymd(d.year(), 1, 1),
    }
}

/// The first day of the next bucket after the one starting at `start`.
fn next_bucket(start: NaiveDate, granularity: Granularity) -> NaiveDate {
    let months = |n: u32| {
        start
            .checked_add_months(chrono::Months::new(n))
            .unwrap_or(start)
    };
    match granularity {
        Granularity::Day => start + chrono::Duration::days(1),
        Granularity::Week => start + chrono::Duration::days(7),
        Granularity::Month => months(1),
        Granularity::Quarter => months(3),
        Granularity::Year => months(12),
    }
}

/// The buckets covering `period`, clipped to it.
pub fn buckets(period: Period, granularity: Granularity) -> Vec<Period> {
    let mut out = Vec::new();
    let mut start = bucket_start(date(period.from), granularity);
    while day(start) <= period.to {
        let next = next_bucket(start, granularity);
        let from = day(start).max(period.from);
        let to = (day(next) - 1).min(period.to);
        out.push(Period { from, to });
        if next <= start {
            break;
        }
        start = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Day {
        day(NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default())
    }

    #[test]
    fn validates_and_finds_the_previous_period() {
        assert_eq!(
            Period::new(d(2023, 1, 2), d(2023, 1, 1)),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::new(d(2010, 1, 1), d(2023, 1, 1)),
            Err(PeriodError::TooLong)
        );
        let p = Period::new(d(2023, 1, 1), d(2023, 4, 15)).unwrap_or(Period { from: 0, to: 0 });
        assert_eq!(p.len(), 105);
        assert_eq!(
            p.previous(),
            Period {
                from: d(2022, 9, 18),
                to: d(2022, 12, 31)
            }
        );
    }

    #[test]
    fn weekly_buckets_are_iso_weeks_clipped_to_the_period() {
        // 2023-01-01 is a Sunday: the first bucket is that one day.
        let p = Period {
            from: d(2023, 1, 1),
            to: d(2023, 1, 18),
        };
        let b = buckets(p, Granularity::Week);
        assert_eq!(
            b[0],
            Period {
                from: d(2023, 1, 1),
                to: d(2023, 1, 1)
            }
        );
        assert_eq!(
            b[1],
            Period {
                from: d(2023, 1, 2),
                to: d(2023, 1, 8)
            }
        );
        assert_eq!(
            b.last().copied(),
            Some(Period {
                from: d(2023, 1, 16),
                to: d(2023, 1, 18)
            })
        );
        let q = buckets(
            Period {
                from: d(2023, 2, 15),
                to: d(2023, 7, 1),
            },
            Granularity::Quarter,
        );
        assert_eq!(
            q,
            vec![
                Period {
                    from: d(2023, 2, 15),
                    to: d(2023, 3, 31)
                },
                Period {
                    from: d(2023, 4, 1),
                    to: d(2023, 6, 30)
                },
                Period {
                    from: d(2023, 7, 1),
                    to: d(2023, 7, 1)
                },
            ]
        );
        assert_eq!(buckets(p, Granularity::Day).len(), 18);
        assert_eq!(buckets(p, Granularity::Year).len(), 1);
    }
}
