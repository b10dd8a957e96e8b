//! The change log: one row per data version, saying what changed so that
//! every replica can bring its in-memory rollups up to that version.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "data_changes")]
pub struct Model {
    /// The data version this change produced (set in the writing
    /// transaction; versions are consecutive).
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i64,
    /// `delta` (the payload lists what changed) or `rebuild` (too much
    /// changed: rebuild from the tables).
    pub kind: String,
    /// The encoded change (see the server's `store::changes`).
    pub payload: Vec<u8>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
