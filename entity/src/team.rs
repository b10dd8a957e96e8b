//! Teams: desks at one-stop centres, mobile teams (tổ lưu động), task forces
//! and reinforcements.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What kind of team it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TeamKind {
    #[sea_orm(string_value = "desk")]
    Desk,
    #[sea_orm(string_value = "mobile")]
    Mobile,
    #[sea_orm(string_value = "task_force")]
    TaskForce,
    #[sea_orm(string_value = "reinforcement")]
    Reinforcement,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "teams")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: TeamKind,
    /// Number of officers.
    pub size: i32,
    /// The unit the team belongs to.
    pub unit_id: i64,
    pub campaign_id: Option<i64>,
    /// Opening time in minutes after midnight; `None` with `closes_minute`
    /// `None` means around the clock (24/7).
    pub opens_minute: Option<i32>,
    /// Closing time in minutes after midnight.
    pub closes_minute: Option<i32>,
    /// First day the team works, if known.
    pub active_from: Option<Date>,
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
}

impl ActiveModelBehavior for ActiveModel {}
