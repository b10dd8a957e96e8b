//! Access: API keys (stored only as a hash), the registered documents of
//! the trusted-documents allow-list, and the audit log of mutations.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000002_create_campaigns_and_teams::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(string_len(ApiKeys::Name, 128))
                    // The first characters of the key, shown in listings.
                    .col(string_len(ApiKeys::Prefix, 16))
                    // SHA-256 of the whole key, hex.
                    .col(string_len_uniq(ApiKeys::Hash, 64))
                    .col(string_len(ApiKeys::Role, 16))
                    .col(big_integer_null(ApiKeys::UnitId))
                    .col(boolean(ApiKeys::AllowListOnly))
                    .col(big_integer_null(ApiKeys::BudgetPoints))
                    .col(big_integer_null(ApiKeys::RefillPerSecond))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TrustedDocuments::Table)
                    // SHA-256 of the document text, hex (the APQ hash).
                    .col(string_len(TrustedDocuments::Hash, 64).primary_key())
                    .col(text(TrustedDocuments::Document))
                    .col(string_len_null(TrustedDocuments::Name, 128))
                    .col(string_len(TrustedDocuments::RegisteredBy, 128))
                    .col(timestamp_with_time_zone(TrustedDocuments::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(big_integer_null(AuditLog::KeyId))
                    .col(string_len(AuditLog::Actor, 128))
                    .col(string_len(AuditLog::Role, 16))
                    .col(string_len_null(AuditLog::OperationName, 128))
                    .col(string_len(AuditLog::Fields, 256))
                    .col(string_len(AuditLog::VariablesDigest, 64))
                    .col(boolean(AuditLog::Succeeded))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_audit_log_at", AuditLog::Table, &[AuditLog::At]).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TrustedDocuments::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Prefix,
    Hash,
    Role,
    UnitId,
    AllowListOnly,
    BudgetPoints,
    RefillPerSecond,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum TrustedDocuments {
    Table,
    Hash,
    Document,
    Name,
    RegisteredBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    At,
    KeyId,
    Actor,
    Role,
    OperationName,
    Fields,
    VariablesDigest,
    Succeeded,
}
