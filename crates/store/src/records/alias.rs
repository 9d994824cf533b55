//! The stored form of an alias.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use stratus_model::alias::{AliasRecord, RoutingConfig};

use super::{Record, RECORD_VERSION};

/// An alias: a name for one version, optionally sharing traffic with a second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredAlias {
    /// Record format version.
    pub v: u32,
    /// Alias name.
    pub name: String,
    /// Primary version label (`$LATEST` or a number).
    pub function_version: String,
    /// Description.
    pub description: String,
    /// Additional version → share of traffic, when routing is configured.
    pub routing_weights: Option<BTreeMap<String, f64>>,
    /// Changes on every write.
    pub revision_id: String,
}

impl Record for StoredAlias {
    const WHAT: &'static str = "alias";
    fn version(&self) -> u32 {
        self.v
    }
}

impl From<&AliasRecord> for StoredAlias {
    fn from(a: &AliasRecord) -> Self {
        let AliasRecord {
            name,
            function_version,
            description,
            routing_config,
            revision_id,
        } = a;
        Self {
            v: RECORD_VERSION,
            name: name.clone(),
            function_version: function_version.clone(),
            description: description.clone(),
            routing_weights: routing_config
                .as_ref()
                .map(|r| r.additional_version_weights.clone()),
            revision_id: revision_id.clone(),
        }
    }
}

impl From<StoredAlias> for AliasRecord {
    fn from(a: StoredAlias) -> Self {
        let StoredAlias {
            v: _,
            name,
            function_version,
            description,
            routing_weights,
            revision_id,
        } = a;
        Self {
            name,
            function_version,
            description,
            routing_config: routing_weights.map(|w| RoutingConfig {
                additional_version_weights: w,
            }),
            revision_id,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::records::{decode, encode};

    const WEIGHTED: &str = r#"{"v":1,"name":"live","function_version":"2","description":"the live one","routing_weights":{"1":0.123456789},"revision_id":"r-a"}"#;
    const PLAIN: &str = r#"{"v":1,"name":"plain","function_version":"$LATEST","description":"","routing_weights":null,"revision_id":"r-p"}"#;

    #[test]
    fn golden_records_round_trip_through_the_domain_type() {
        for fixture in [WEIGHTED, PLAIN] {
            let domain = AliasRecord::from(decode::<StoredAlias>(fixture).unwrap());
            assert_eq!(encode(&StoredAlias::from(&domain)), fixture);
        }
        let weighted = AliasRecord::from(decode::<StoredAlias>(WEIGHTED).unwrap());
        let weights = weighted.routing_config.unwrap().additional_version_weights;
        assert_eq!(weights.get("1"), Some(&0.123456789));
        let plain = AliasRecord::from(decode::<StoredAlias>(PLAIN).unwrap());
        assert!(plain.routing_config.is_none());
    }
}
