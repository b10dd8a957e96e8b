//! Registered GraphQL documents: the persisted queries a key in
//! allow-list mode may run, addressed by the SHA-256 of their text.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "trusted_documents")]
pub struct Model {
    /// SHA-256 of `document`, lower-case hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub document: String,
    /// The operation name, for people.
    pub name: Option<String>,
    pub registered_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
