//! What one data version changed, as the change log records it and every
//! replica's engine replays it.

use super::day::Day;
use super::values::Flows;

/// How one report's flows changed: its new values minus its old ones (the
/// new values for a new report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowDelta {
    pub unit_id: i64,
    pub day: Day,
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    pub values: Flows,
}

/// Everything one data version changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Reports created or corrected.
    pub flows: Vec<FlowDelta>,
    /// Units whose stock rows changed.
    pub stock_units: Vec<i64>,
}
