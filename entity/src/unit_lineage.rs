//! The lineage between the two maps: which new unit took which part of an
//! old one. One row per (old unit, new unit), with the share of the old
//! unit's territory — and of its numbers — that went to the new one; the
//! shares of one old unit sum to 1. Shares are data: the shipped default
//! divides a split commune equally (`is_default`), and an administrator
//! loads real ones (`tiendo crosswalk import`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "unit_lineage")]
pub struct Model {
    /// The unit of the older map.
    #[sea_orm(primary_key, auto_increment = false)]
    pub old_unit_id: i64,
    /// The unit of the newer map that took part of it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub new_unit_id: i64,
    /// The part of the old unit that went to the new one, in (0, 1].
    pub share: f64,
    /// Whether the share is the shipped default (equal parts) rather than
    /// loaded data.
    pub is_default: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
