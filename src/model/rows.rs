//! Rows as every layer passes them: submitted rows as the caller named
//! things, rows that passed the checks (resolved to ids), the row errors
//! with their stable codes, and rows as the engine is built from them.

use chrono::NaiveDate;
use entity::stock_value::StockMetric;
use entity::unit::{AdminMap, UnitLevel};

use super::day::Day;
use super::values::{Flows, Stocks};

/// The stable codes of row errors (`extensions.rows[].code`).
pub mod codes {
    /// No unit has this level and code.
    pub const UNKNOWN_UNIT: &str = "UNKNOWN_UNIT";
    /// The unit has units below it: reports and stocks are entered at the
    /// reporting level (communes, and districts without communes).
    pub const NOT_REPORTING_UNIT: &str = "NOT_REPORTING_UNIT";
    /// The unit is not in force on the row's day: a unit of the 2023 map
    /// after 2025-06-30, or of the 2025 map before 2025-07-01.
    pub const UNIT_NOT_IN_FORCE: &str = "UNIT_NOT_IN_FORCE";
    /// A value below zero.
    pub const NEGATIVE_VALUE: &str = "NEGATIVE_VALUE";
    /// A value above the sanity ceiling (`--max-report-value`).
    pub const VALUE_TOO_LARGE: &str = "VALUE_TOO_LARGE";
    /// A day after today (Vietnam time).
    pub const FUTURE_DAY: &str = "FUTURE_DAY";
    /// No campaign has this ID.
    pub const UNKNOWN_CAMPAIGN: &str = "UNKNOWN_CAMPAIGN";
    /// The day is outside the named campaign's start and end.
    pub const OUTSIDE_CAMPAIGN: &str = "OUTSIDE_CAMPAIGN";
    /// The unit is outside the named campaign's scope.
    pub const UNIT_OUTSIDE_CAMPAIGN: &str = "UNIT_OUTSIDE_CAMPAIGN";
    /// No team has this ID.
    pub const UNKNOWN_TEAM: &str = "UNKNOWN_TEAM";
    /// The team neither belongs to nor serves a unit above (or equal to) the
    /// reporting unit.
    pub const TEAM_OUTSIDE_UNIT: &str = "TEAM_OUTSIDE_UNIT";
    /// The same (unit, day, campaign, team) appears twice in one batch.
    pub const DUPLICATE_ROW: &str = "DUPLICATE_ROW";
    /// An ID that is not of the expected kind or not an ID at all.
    pub const MALFORMED_ID: &str = "MALFORMED_ID";
    /// Changing a verified report needs a reason.
    pub const REASON_REQUIRED: &str = "REASON_REQUIRED";
    /// A value that is not a number, a date that is not a date, a missing
    /// column (files only).
    pub const MALFORMED_VALUE: &str = "MALFORMED_VALUE";
}

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Position of the row: 0-based index in a GraphQL batch, 1-based line
    /// in a file.
    pub row: usize,
    /// The field at fault, as the caller named it (`cardsIssued`, `day`).
    pub field: String,
    /// One of [`codes`].
    pub code: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

/// A submitted report, as the caller named things.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// The map of the unit's code; `None`: the map in force on `day`.
    pub map: Option<AdminMap>,
    pub level: UnitLevel,
    pub code: String,
    pub day: NaiveDate,
    pub values: Flows,
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    /// Why the values change, when they change a verified report.
    pub reason: Option<String>,
}

/// A report that passed every check, resolved to ids.
#[derive(Debug, Clone)]
pub struct ValidReport {
    pub unit_id: i64,
    pub day: NaiveDate,
    pub values: Flows,
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    pub reason: Option<String>,
}

/// Submitted stock values of one unit from one day on.
#[derive(Debug, Clone)]
pub struct StockRow {
    /// The map of the unit's code; `None`: the map in force on `from`.
    pub map: Option<AdminMap>,
    pub level: UnitLevel,
    pub code: String,
    pub from: NaiveDate,
    /// `None` leaves a stock value as it is.
    pub values: Stocks<Option<i64>>,
}

/// Stock values that passed every check.
#[derive(Debug, Clone)]
pub struct ValidStock {
    pub unit_id: i64,
    pub from: NaiveDate,
    pub values: Stocks<Option<i64>>,
}

/// A unit as the engine needs it.
#[derive(Debug, Clone)]
pub struct UnitInput {
    pub id: i64,
    /// The map the unit belongs to.
    pub map: AdminMap,
    pub level: UnitLevel,
    pub code: String,
    pub parent_id: Option<i64>,
    /// The first and last day the unit is in force (`Day::MAX` while it
    /// has not ended).
    pub in_force: (Day, Day),
}

/// A stock value as the engine needs it.
#[derive(Debug, Clone, Copy)]
pub struct StockInput {
    pub unit_id: i64,
    pub metric: StockMetric,
    pub valid_from: Day,
    pub value: i64,
}

/// A report as the engine needs it.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput {
    pub unit_id: i64,
    pub day: Day,
    /// Ids keep their 64 bits from the database to the engine.
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    /// One report value is at most [`crate::model::values::MAX_VALUE`], so
    /// one day's values of one unit fit 32 bits.
    pub flows: Flows<i32>,
}

/// One row of the lineage between two maps: the share of an old unit (its
/// territory, and so its numbers) that went to a new one. The shares of
/// one old unit sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct LineageRow {
    pub old_unit_id: i64,
    pub new_unit_id: i64,
    /// In (0, 1].
    pub share: f64,
    /// Whether the share is the shipped default (equal parts of a split
    /// commune) rather than loaded data.
    pub is_default: bool,
}
