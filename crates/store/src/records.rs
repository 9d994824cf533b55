//! Stored records: the on-disk shape of every record, owned here and independent of the API.
//!
//! The model's domain types carry the wire's field names (`FunctionName`, `RoutingConfig`,
//! …). Storing them as they serialise would make any change of the API shape a change of
//! the database format. Each stored record is therefore its own struct with stable
//! snake_case field names and a format version in field `v`; the conversions to and from
//! the domain types live beside each record and are the only place that knows both.
//!
//! Record format history (the database schema itself is versioned by the sqlx migrations in
//! `migrations/`, recorded in `_sqlx_migrations`):
//! - 0 (no `v` field): the model's wire-shaped JSON, written before migration 0002.
//! - 1: these structs. Migration `0002_stored_records.sql` converts format 0 rows.
//!
//! A new format means: new structs here, a migration rewriting every row, and
//! [`RECORD_VERSION`] bumped. Records are always at [`RECORD_VERSION`] once the store is
//! open, so readers handle one format only; a record of another format (for example
//! written by a newer build) is refused rather than misread.

mod alias;
mod code;
mod failure;
mod function;
mod invoke_config;
mod layer;
mod provisioned;
mod settings;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::StoreError;

pub use alias::StoredAlias;
pub use code::StoredCode;
pub use failure::StoredFailure;
pub use function::StoredFunctionVersion;
pub use invoke_config::{StoredDestinations, StoredEventInvokeConfig};
pub use layer::StoredLayerVersion;
pub use provisioned::StoredProvisionedConfig;
pub use settings::{StoredLayerRef, StoredLogging, StoredSettings, StoredVpc};

/// The record format this build writes and reads.
pub const RECORD_VERSION: u32 = 1;

/// A top-level stored record.
pub trait Record: Serialize + DeserializeOwned {
    /// What the record is, for error messages.
    const WHAT: &'static str;
    /// Its format version (`v`).
    fn version(&self) -> u32;
}

/// Just the format version of a stored record, to explain a record that does not decode.
#[derive(Deserialize)]
struct Header {
    v: Option<u32>,
}

/// Decodes a stored record, refusing formats other than [`RECORD_VERSION`].
pub fn decode<R: Record>(text: &str) -> Result<R, StoreError> {
    let refused = |found| StoreError::RecordVersion {
        what: R::WHAT,
        found,
        expected: RECORD_VERSION,
    };
    match serde_json::from_str::<R>(text) {
        Ok(r) if r.version() == RECORD_VERSION => Ok(r),
        Ok(r) => Err(refused(r.version())),
        Err(source) => match serde_json::from_str::<Header>(text) {
            Ok(Header { v }) if v != Some(RECORD_VERSION) => Err(refused(v.unwrap_or(0))),
            _ => Err(StoreError::Corrupt {
                what: R::WHAT,
                source,
            }),
        },
    }
}

/// Encodes a stored record.
pub fn encode<R: Record>(record: &R) -> String {
    // Plain structs of strings, numbers and string-keyed maps always serialise.
    serde_json::to_string(record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_formats_are_refused_not_misread() {
        let wire_shaped = r#"{"Name":"live","FunctionVersion":"1","Description":"","RoutingConfig":null,"RevisionId":"r"}"#;
        assert!(matches!(
            decode::<StoredAlias>(wire_shaped),
            Err(StoreError::RecordVersion { found: 0, .. })
        ));
        let newer = r#"{"v":2,"name":"live","function_version":"1","description":"","routing_weights":null,"revision_id":"r","extra":1}"#;
        assert!(matches!(
            decode::<StoredAlias>(newer),
            Err(StoreError::RecordVersion { found: 2, .. })
        ));
        let broken = r#"{"v":1,"name":"live"}"#;
        assert!(matches!(
            decode::<StoredAlias>(broken),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
