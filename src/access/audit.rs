//! The audit log: every mutation request is recorded with the key, the
//! role, the operation name, the fields, a digest of its variables (not
//! the variables: they may hold thousands of rows) and whether it ran
//! without errors. Recorded after it ran, so a refused or failed mutation
//! is recorded too.

use sha2::{Digest, Sha256};

use super::Caller;
use crate::store::access::AuditRecord;

/// SHA-256 of the variables as JSON, lower-case hex.
pub fn variables_digest(variables: &async_graphql::Variables) -> String {
    let json = serde_json::to_vec(variables).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

/// The audit record of a mutation request.
pub fn record(
    caller: &Caller,
    operation_name: Option<&str>,
    fields: &[String],
    variables_digest: String,
    succeeded: bool,
) -> AuditRecord {
    AuditRecord {
        key_id: caller.key_id,
        actor: caller.name.clone(),
        role: caller.role.as_str().into(),
        operation_name: operation_name.map(str::to_owned),
        fields: fields.join(","),
        variables_digest,
        succeeded,
    }
}
