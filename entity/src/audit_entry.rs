//! The audit log: one row per mutation request, who sent it and what.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    /// The API key, or `None` for a request without one.
    pub key_id: Option<i64>,
    /// The key's name (or `anonymous`).
    pub actor: String,
    /// The role the request ran with (lower case).
    pub role: String,
    pub operation_name: Option<String>,
    /// The mutation fields requested, comma-separated.
    pub fields: String,
    /// SHA-256 of the variables as sent (JSON), lower-case hex: enough to
    /// match a request, without keeping its data.
    pub variables_digest: String,
    /// Whether the request ran without errors.
    pub succeeded: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
