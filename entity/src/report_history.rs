//! The history of a report: one row per change (correction, verification),
//! with who made it, when, why, and the values before and after.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a change did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReportAction {
    /// The values changed (a correction, or a resubmission with new values).
    #[sea_orm(string_value = "corrected")]
    Corrected,
    /// An inspector confirmed the values (kiểm tra, phúc tra).
    #[sea_orm(string_value = "verified")]
    Verified,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "report_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub report_id: i64,
    /// The report's unit and day, kept here so that a unit's history over a
    /// period is one index range.
    pub unit_id: i64,
    pub day: Date,
    /// The report's version after this change.
    pub version: i32,
    pub action: ReportAction,
    /// Who made the change.
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTimeUtc,
    pub old_applications_collected: i64,
    pub old_cards_issued: i64,
    pub old_accounts_activated: i64,
    pub old_home_visits: i64,
    pub new_applications_collected: i64,
    pub new_cards_issued: i64,
    pub new_accounts_activated: i64,
    pub new_home_visits: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::report::Entity",
        from = "Column::ReportId",
        to = "super::report::Column::Id"
    )]
    Report,
}

impl ActiveModelBehavior for ActiveModel {}
