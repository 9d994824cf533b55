//! The stored form of a layer version.

use serde::{Deserialize, Serialize};
use stratus_model::layer::LayerVersionRecord;

use super::{Record, StoredCode, RECORD_VERSION};

/// One immutable, numbered layer version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredLayerVersion {
    /// Record format version.
    pub v: u32,
    /// Layer name.
    pub layer_name: String,
    /// Version number, from 1.
    pub version: u64,
    /// Description.
    pub description: String,
    /// Creation time, in Lambda's timestamp format.
    pub created_date: String,
    /// Runtime identifiers.
    pub compatible_runtimes: Vec<String>,
    /// Architectures.
    pub compatible_architectures: Vec<String>,
    /// Licence text.
    pub license_info: Option<String>,
    /// Content package.
    pub code: StoredCode,
}

impl Record for StoredLayerVersion {
    const WHAT: &'static str = "layer version";
    fn version(&self) -> u32 {
        self.v
    }
}

impl From<&LayerVersionRecord> for StoredLayerVersion {
    fn from(l: &LayerVersionRecord) -> Self {
        let LayerVersionRecord {
            layer_name,
            version,
            description,
            created_date,
            compatible_runtimes,
            compatible_architectures,
            license_info,
            code,
        } = l;
        Self {
            v: RECORD_VERSION,
            layer_name: layer_name.clone(),
            version: *version,
            description: description.clone(),
            created_date: created_date.clone(),
            compatible_runtimes: compatible_runtimes.clone(),
            compatible_architectures: compatible_architectures.clone(),
            license_info: license_info.clone(),
            code: code.into(),
        }
    }
}

impl From<StoredLayerVersion> for LayerVersionRecord {
    fn from(l: StoredLayerVersion) -> Self {
        let StoredLayerVersion {
            v: _,
            layer_name,
            version,
            description,
            created_date,
            compatible_runtimes,
            compatible_architectures,
            license_info,
            code,
        } = l;
        Self {
            layer_name,
            version,
            description,
            created_date,
            compatible_runtimes,
            compatible_architectures,
            license_info,
            code: code.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::records::{decode, encode};

    const FULL: &str = r#"{"v":1,"layer_name":"shared","version":2,"description":"libs","created_date":"2026-01-02T03:04:05.000+0000","compatible_runtimes":["python3.11","python3.12"],"compatible_architectures":["x86_64"],"license_info":"MIT","code":{"sha256_hex":"ee","sha256_b64":"7g==","size":10,"unzipped_size":20}}"#;
    const BARE: &str = r#"{"v":1,"layer_name":"bare","version":1,"description":"","created_date":"2026-01-02T03:04:05.000+0000","compatible_runtimes":[],"compatible_architectures":[],"license_info":null,"code":{"sha256_hex":"ff","sha256_b64":"/w==","size":3,"unzipped_size":4}}"#;

    #[test]
    fn golden_records_round_trip_through_the_domain_type() {
        for fixture in [FULL, BARE] {
            let domain = LayerVersionRecord::from(decode::<StoredLayerVersion>(fixture).unwrap());
            assert_eq!(encode(&StoredLayerVersion::from(&domain)), fixture);
        }
        let full = LayerVersionRecord::from(decode::<StoredLayerVersion>(FULL).unwrap());
        assert_eq!(full.code.unzipped_size, 20);
        assert_eq!(full.license_info.as_deref(), Some("MIT"));
    }
}
