//! API keys. The key itself is shown once, when it is created; only its
//! SHA-256 is stored, with the role and the scope it grants.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a key may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// Everything, everywhere.
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Reads and writes reports, campaigns and teams in one unit's subtree.
    #[sea_orm(string_value = "officer")]
    Officer,
    /// Reads in one unit's subtree.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    /// Another ministry: read-only, a scope, its own budget, optionally
    /// only registered documents.
    #[sea_orm(string_value = "partner")]
    Partner,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// A label for people (who holds the key).
    pub name: String,
    /// The key's first characters, enough to recognise it in a listing.
    pub prefix: String,
    /// SHA-256 of the key, lower-case hex.
    #[sea_orm(unique)]
    pub hash: String,
    pub role: Role,
    /// The root of the key's scope; `None` is the whole country.
    pub unit_id: Option<i64>,
    /// Only registered (trusted) documents run with this key.
    pub allow_list_only: bool,
    /// The key's own budget (points) and refill rate; `None` takes the
    /// server's defaults.
    pub budget_points: Option<i64>,
    pub refill_per_second: Option<i64>,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
