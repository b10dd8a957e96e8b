//! Daily reports: the flow metrics of one reporting unit on one day,
//! optionally attributed to a campaign and a team.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a report stands in the re-check cycle (kiểm tra, phúc tra).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReportStatus {
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "corrected")]
    Corrected,
    #[sea_orm(string_value = "verified")]
    Verified,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub day: Date,
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    /// `campaign_id` or 0: part of the idempotency key, because SQL unique
    /// indexes treat NULLs as distinct on both SQLite and PostgreSQL.
    pub campaign_slot: i64,
    /// `team_id` or 0, for the same reason.
    pub team_slot: i64,
    pub applications_collected: i64,
    pub cards_issued: i64,
    pub accounts_activated: i64,
    pub home_visits: i64,
    pub status: ReportStatus,
    /// Starts at 1, incremented by every change (optimistic concurrency).
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Who first submitted the report (API key name, or `import`).
    pub submitted_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::unit::Entity",
        from = "Column::UnitId",
        to = "super::unit::Column::Id"
    )]
    Unit,
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id"
    )]
    Campaign,
    #[sea_orm(
        belongs_to = "super::team::Entity",
        from = "Column::TeamId",
        to = "super::team::Column::Id"
    )]
    Team,
}

impl ActiveModelBehavior for ActiveModel {}
