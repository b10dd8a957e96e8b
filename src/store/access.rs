//! API keys, trusted documents and the audit log.

use chrono::Utc;
use entity::api_key::{self, Role};
use entity::audit_entry;
use entity::trusted_document;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::Page;

/// A key to store (the key itself is never stored).
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: String,
    pub prefix: String,
    pub hash: String,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub allow_list_only: bool,
    pub budget_points: Option<i64>,
    pub refill_per_second: Option<i64>,
}

/// Stores a new key.
pub async fn create_key(db: &impl ConnectionTrait, key: NewKey) -> Result<api_key::Model, DbErr> {
    let active = api_key::ActiveModel {
        name: Set(key.name),
        prefix: Set(key.prefix),
        hash: Set(key.hash),
        role: Set(key.role),
        unit_id: Set(key.unit_id),
        allow_list_only: Set(key.allow_list_only),
        budget_points: Set(key.budget_points),
        refill_per_second: Set(key.refill_per_second),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        ..Default::default()
    };
    api_key::Entity::insert(active)
        .exec_with_returning(db)
        .await
}

/// The key with this hash, if it exists and is not revoked.
pub async fn active_key_by_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::Hash.eq(hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await
}

/// Every key, newest first.
pub async fn keys(db: &impl ConnectionTrait) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await
}

/// Revokes a key; false when there is no such active key.
///
/// The revocation takes a data version like any write (logged as an
/// access change, which leaves cached responses valid): every replica's engine follows it within moments (PostgreSQL
/// `NOTIFY`, or the 1 s poll), and a replica trusts a checked key only
/// while its engine stays at the version it was checked at.
pub async fn revoke_key(db: &sea_orm::DatabaseConnection, id: i64) -> Result<bool, DbErr> {
    let (txn, version) = super::changes::begin_write(db).await?;
    let done = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    super::changes::commit_access_write(txn, version).await?;
    Ok(true)
}

/// A registered document by hash.
pub async fn document(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<trusted_document::Model>, DbErr> {
    trusted_document::Entity::find_by_id(hash.to_owned())
        .one(db)
        .await
}

/// Registers a document (again: no change), with the running mutation's
/// audit record in the same transaction.
pub async fn register_document(
    db: &sea_orm::DatabaseConnection,
    hash: &str,
    document: &str,
    name: Option<String>,
    by: &str,
) -> Result<trusted_document::Model, DbErr> {
    if let Some(found) = self::document(db, hash).await? {
        return Ok(found);
    }
    let model = trusted_document::Model {
        hash: hash.to_owned(),
        document: document.to_owned(),
        name,
        registered_by: by.to_owned(),
        created_at: Utc::now(),
    };
    let active: trusted_document::ActiveModel = model.clone().into();
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    trusted_document::Entity::insert(active)
        .exec_without_returning(&txn)
        .await?;
    super::changes::commit_audited(txn).await?;
    Ok(model)
}

/// Every registered document.
pub async fn documents(db: &impl ConnectionTrait) -> Result<Vec<trusted_document::Model>, DbErr> {
    trusted_document::Entity::find()
        .order_by_asc(trusted_document::Column::CreatedAt)
        .all(db)
        .await
}

/// One audit entry to record.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub key_id: Option<i64>,
    pub actor: String,
    pub role: String,
    pub operation_name: Option<String>,
    pub fields: String,
    pub variables_digest: String,
    pub succeeded: bool,
}

/// Records a mutation request.
pub async fn record_audit(db: &impl ConnectionTrait, record: AuditRecord) -> Result<(), DbErr> {
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        at: Set(Utc::now()),
        key_id: Set(record.key_id),
        actor: Set(record.actor),
        role: Set(record.role),
        operation_name: Set(record.operation_name),
        fields: Set(record.fields.chars().take(256).collect()),
        variables_digest: Set(record.variables_digest),
        succeeded: Set(record.succeeded),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// One page of the audit log, newest first.
pub async fn audit_page(
    db: &impl ConnectionTrait,
    page: Page,
) -> Result<(Vec<audit_entry::Model>, bool), DbErr> {
    let mut query = audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id);
    if let Some(after) = page.after_id {
        query = query.filter(audit_entry::Column::Id.lt(after));
    }
    use sea_orm::QuerySelect;
    let mut rows = query.limit(page.first as u64 + 1).all(db).await?;
    let has_next = rows.len() > page.first;
    rows.truncate(page.first);
    Ok((rows, has_next))
}

/// Entries in the audit log.
pub async fn audit_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    audit_entry::Entity::find().count(db).await
}
