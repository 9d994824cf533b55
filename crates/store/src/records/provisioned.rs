//! The stored form of one qualifier's provisioned concurrency request.

use serde::{Deserialize, Serialize};
use stratus_model::provisioned::ProvisionedRecord;

use super::{Record, RECORD_VERSION};

/// `PutProvisionedConcurrencyConfig` of one qualifier, with its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredProvisionedConfig {
    /// Record format version.
    pub v: u32,
    /// Requested environments.
    pub requested: i64,
    /// When the request was made, as Lambda prints it.
    pub last_modified: String,
}

impl Record for StoredProvisionedConfig {
    const WHAT: &'static str = "provisioned concurrency config";
    fn version(&self) -> u32 {
        self.v
    }
}

impl From<&ProvisionedRecord> for StoredProvisionedConfig {
    fn from(r: &ProvisionedRecord) -> Self {
        let ProvisionedRecord {
            requested,
            last_modified,
        } = r;
        Self {
            v: RECORD_VERSION,
            requested: *requested,
            last_modified: last_modified.clone(),
        }
    }
}

impl From<StoredProvisionedConfig> for ProvisionedRecord {
    fn from(r: StoredProvisionedConfig) -> Self {
        let StoredProvisionedConfig {
            v: _,
            requested,
            last_modified,
        } = r;
        Self {
            requested,
            last_modified,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::records::{decode, encode};

    const GOLDEN: &str = r#"{"v":1,"requested":2,"last_modified":"2026-01-01T00:00:00.000+0000"}"#;

    #[test]
    fn the_golden_record_round_trips_through_the_domain_type() {
        let domain = ProvisionedRecord::from(decode::<StoredProvisionedConfig>(GOLDEN).unwrap());
        assert_eq!(domain.requested, 2);
        assert_eq!(encode(&StoredProvisionedConfig::from(&domain)), GOLDEN);
    }
}
