//! Campaigns: peak drives (cao điểm), sprints (nước rút) and the programmes
//! they belong to.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// The unit whose subtree the campaign covers.
    pub scope_unit_id: i64,
    pub starts_on: Date,
    pub ends_on: Date,
    pub deadline: Option<Date>,
    /// The programme this campaign belongs to, if any.
    pub parent_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::unit::Entity",
        from = "Column::ScopeUnitId",
        to = "super::unit::Column::Id"
    )]
    ScopeUnit,
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
}

impl ActiveModelBehavior for ActiveModel {}
