//! Access: who a request is (its API key, or none), what it may see and
//! do, and what it may cost.
//!
//! - [`keys`]: making, hashing and checking API keys.
//! - [`scope`]: the subtree and levels a caller sees (checked wherever a
//!   unit reaches a client).
//! - [`cost`]: the published cost model: every document's node count and
//!   points computed before it runs, with the other document limits.
//! - [`budget`]: per-key points that refill over time (leaky bucket).
//! - [`documents`]: trusted documents (persisted queries and the
//!   allow-list).
//! - [`audit`]: the record of every mutation.
//!
//! May import: [`crate::model`], [`crate::store`], [`crate::engine`] and
//! [`crate::error`], and async-graphql's parser and registry (never its
//! execution).

pub mod audit;
pub mod budget;
pub mod cost;
pub mod documents;
pub mod guard;
pub mod keys;
pub mod scope;

use entity::api_key::Role as StoredRole;
use entity::unit::UnitLevel;

pub use scope::Scope;

use crate::error::AppError;

/// The role a request runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum Role {
    /// Everything, everywhere.
    Admin,
    /// Reads and writes reports, campaigns and teams in one unit's subtree.
    Officer,
    /// Reads in one unit's subtree.
    Viewer,
    /// Another ministry: read-only in its scope, with its own budget.
    Partner,
    /// No key: read-only aggregates at province level and above.
    Anonymous,
}

impl Role {
    /// The role's name in the audit log and the CLI (lower case).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Viewer => "viewer",
            Role::Partner => "partner",
            Role::Anonymous => "anonymous",
        }
    }

    /// Parses a role name (any case), as the CLI takes it.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "officer" => Some(Role::Officer),
            "viewer" => Some(Role::Viewer),
            "partner" => Some(Role::Partner),
            _ => None,
        }
    }

    /// The stored form (keys only; a key is never anonymous).
    pub fn stored(self) -> Option<StoredRole> {
        match self {
            Role::Admin => Some(StoredRole::Admin),
            Role::Officer => Some(StoredRole::Officer),
            Role::Viewer => Some(StoredRole::Viewer),
            Role::Partner => Some(StoredRole::Partner),
            Role::Anonymous => None,
        }
    }
}

impl From<StoredRole> for Role {
    fn from(role: StoredRole) -> Self {
        match role {
            StoredRole::Admin => Role::Admin,
            StoredRole::Officer => Role::Officer,
            StoredRole::Viewer => Role::Viewer,
            StoredRole::Partner => Role::Partner,
        }
    }
}

/// The caller of one request: attached to the request's data by the HTTP
/// layer, read by every resolver through `ctx.caller()`.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The API key's id; `None` without a key.
    pub key_id: Option<i64>,
    /// Who it is, for history and audit (the key's name, or `anonymous`).
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    /// Only registered documents run.
    pub allow_list_only: bool,
    /// The budget's size and refill (points, points per second).
    pub budget: budget::Allowance,
}

impl Caller {
    /// A caller without a key, as configured.
    pub fn anonymous(settings: &AccessSettings) -> Self {
        Caller {
            key_id: None,
            name: "anonymous".into(),
            role: Role::Anonymous,
            scope: Scope::public(settings.anonymous_finest),
            allow_list_only: settings.anonymous_allow_list_only,
            budget: settings.anonymous_budget,
        }
    }

    /// Everything (the CLI and tests that bypass HTTP).
    pub fn admin(name: &str) -> Self {
        Caller {
            key_id: None,
            name: name.into(),
            role: Role::Admin,
            scope: Scope::everything(),
            allow_list_only: false,
            budget: budget::Allowance::UNLIMITED,
        }
    }

    /// `FORBIDDEN` unless the caller may write.
    pub fn check_writer(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin | Role::Officer => Ok(()),
            Role::Anonymous => Err(AppError::Unauthenticated(
                "writing needs an API key with the OFFICER or ADMIN role".into(),
            )),
            _ => Err(AppError::Forbidden(format!(
                "the {} role is read-only",
                self.role.as_str().to_ascii_uppercase()
            ))),
        }
    }

    /// `FORBIDDEN` unless the caller is an administrator.
    pub fn check_admin(&self) -> Result<(), AppError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Anonymous => Err(AppError::Unauthenticated(
                "this needs an API key with the ADMIN role".into(),
            )),
            _ => Err(AppError::Forbidden("this needs the ADMIN role".into())),
        }
    }

    /// Whether introspection and field suggestions are on for this caller.
    pub fn may_introspect(&self, settings: &AccessSettings) -> bool {
        match self.role {
            Role::Admin | Role::Officer | Role::Viewer => true,
            Role::Partner => !settings.production,
            Role::Anonymous => settings.anonymous_introspection,
        }
    }
}

/// How the server treats callers (from the configuration).
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// Production mode: no introspection for partners.
    pub production: bool,
    /// Whether requests without a key are served at all.
    pub anonymous: bool,
    /// The finest level visible without a key.
    pub anonymous_finest: UnitLevel,
    /// Introspection without a key.
    pub anonymous_introspection: bool,
    /// Only registered documents without a key.
    pub anonymous_allow_list_only: bool,
    /// The budget of a caller without a key (per client address).
    pub anonymous_budget: budget::Allowance,
    /// The budget of a key that sets none.
    pub key_budget: budget::Allowance,
    /// Replicas sharing every budget (a key's own budget is divided too).
    pub budget_replicas: u64,
}

impl AccessSettings {
    /// The finest level every caller reads nationwide: the public's, or
    /// `None` when requests without a key are refused.
    pub fn public_level(&self) -> Option<UnitLevel> {
        self.anonymous.then_some(self.anonymous_finest)
    }
}

/// The byte bounds of the access layer's tables.
#[derive(Debug, Clone, Copy)]
pub struct AccessBounds {
    /// Checked keys.
    pub key_cache_bytes: u64,
    /// Points budgets.
    pub budget_table_bytes: u64,
    /// Persisted and registered documents.
    pub documents: documents::DocumentBounds,
}

/// Everything the access layer keeps per replica.
pub struct AccessState {
    pub settings: AccessSettings,
    pub keys: keys::KeyCache,
    pub budgets: std::sync::Arc<budget::Budgets>,
    pub documents: documents::Documents,
}

impl AccessState {
    /// The access layer with `settings`, its tables bounded by `bounds`.
    pub fn new(settings: AccessSettings, bounds: &AccessBounds) -> Self {
        AccessState {
            settings,
            keys: keys::KeyCache::new(bounds.key_cache_bytes),
            budgets: std::sync::Arc::new(budget::Budgets::new(bounds.budget_table_bytes)),
            documents: documents::Documents::new(bounds.documents),
        }
    }

    /// The caller of a request without a key: anonymous, where allowed.
    fn without_key(&self) -> Result<Caller, AppError> {
        if self.settings.anonymous {
            Ok(Caller::anonymous(&self.settings))
        } else {
            Err(AppError::Unauthenticated(
                "send an API key: `Authorization: Bearer KEY`".into(),
            ))
        }
    }

    /// The caller of a request while the database does not answer: anonymous
    /// as always, a key as this replica last checked it (within
    /// [`keys::TRUST_OFFLINE_FOR`]), else `UNAVAILABLE`.
    pub fn caller_offline(&self, authorization: Option<&str>) -> Result<Caller, AppError> {
        let Some(header) = authorization else {
            return self.without_key();
        };
        self.keys
            .last_known(&bearer_hash(header)?)
            .ok_or(AppError::Unavailable(
                "the database does not answer, so the key cannot be checked",
            ))
    }

    /// The caller of a request with this `Authorization` header value.
    /// `version` is the data version the replica serves (see
    /// [`keys::KeyCache`]); `tree` is that version's snapshot, whose
    /// lineage gives a scope its territory in the other map (without it a
    /// scope holds its own map only, which is narrower, never wider).
    pub async fn caller(
        &self,
        db: &sea_orm::DatabaseConnection,
        authorization: Option<&str>,
        version: Option<i64>,
        tree: Option<&crate::engine::Snapshot>,
    ) -> Result<Caller, AppError> {
        let Some(header) = authorization else {
            return self.without_key();
        };
        let hash = bearer_hash(header)?;
        if let Some(caller) = self.keys.get(&hash, version) {
            return Ok(caller);
        }
        let stored = crate::store::access::active_key_by_hash(db, &hash)
            .await?
            .ok_or_else(|| AppError::Unauthenticated("unknown or revoked API key".into()))?;
        let scope = match stored.unit_id {
            Some(unit_id) => {
                let unit = crate::store::units::by_ids(db, &[unit_id])
                    .await?
                    .into_iter()
                    .next()
                    .ok_or_else(|| AppError::Internal(format!("key {} has no unit", stored.id)))?;
                let scope = Scope::subtree(&unit, self.settings.public_level());
                match tree {
                    Some(tree) => scope.across_maps(tree),
                    None => scope,
                }
            }
            None => Scope::everything(),
        };
        let default = self.settings.key_budget;
        let own = match (stored.budget_points, stored.refill_per_second) {
            (None, None) => default,
            (points, refill) => budget::Allowance {
                points: points.map_or(default.points, |p| p.max(1) as u64),
                per_second: refill.map_or(default.per_second, |r| r.max(1) as u64),
            }
            .per_replica(self.settings.budget_replicas),
        };
        let caller = Caller {
            key_id: Some(stored.id),
            name: stored.name.clone(),
            role: stored.role.into(),
            scope,
            allow_list_only: stored.allow_list_only,
            budget: own,
        };
        // A scope read without the lineage is narrower than the key's own:
        // answer with it, but do not keep it.
        if tree.is_some() || caller.scope.root.is_none() {
            self.keys.put(&hash, version, caller.clone());
        }
        Ok(caller)
    }
}

/// The hash of the key in an `Authorization: Bearer …` header value.
fn bearer_hash(header: &str) -> Result<String, AppError> {
    let key = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|key| keys::well_formed(key))
        .ok_or_else(|| {
            AppError::Unauthenticated(
                "the Authorization header must be `Bearer tiendo_…` with a valid key".into(),
            )
        })?;
    Ok(keys::hash(key))
}
