//! The stored form of a function version (`$LATEST` or published).

use serde::{Deserialize, Serialize};
use stratus_model::{FunctionVersion, Version};

use super::{Record, StoredCode, StoredSettings, RECORD_VERSION};

/// One version of a function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredFunctionVersion {
    /// Record format version.
    pub v: u32,
    /// Plain function name.
    pub function_name: String,
    /// 0 for `$LATEST`, else the published number (as the row's `version` column).
    pub version: u64,
    /// Settings snapshot.
    pub settings: StoredSettings,
    /// Code package.
    pub code: StoredCode,
    /// Last change, in Lambda's timestamp format.
    pub last_modified: String,
    /// Changes on every write.
    pub revision_id: String,
}

impl Record for StoredFunctionVersion {
    const WHAT: &'static str = "function version";
    fn version(&self) -> u32 {
        self.v
    }
}

impl From<&FunctionVersion> for StoredFunctionVersion {
    fn from(f: &FunctionVersion) -> Self {
        let FunctionVersion {
            function_name,
            version,
            settings,
            code,
            last_modified,
            revision_id,
        } = f;
        Self {
            v: RECORD_VERSION,
            function_name: function_name.clone(),
            version: match version {
                Version::Latest => 0,
                Version::Published(n) => *n,
            },
            settings: settings.into(),
            code: code.into(),
            last_modified: last_modified.clone(),
            revision_id: revision_id.clone(),
        }
    }
}

impl From<StoredFunctionVersion> for FunctionVersion {
    fn from(f: StoredFunctionVersion) -> Self {
        let StoredFunctionVersion {
            v: _,
            function_name,
            version,
            settings,
            code,
            last_modified,
            revision_id,
        } = f;
        Self {
            function_name,
            version: match version {
                0 => Version::Latest,
                n => Version::Published(n),
            },
            settings: settings.into(),
            code: code.into(),
            last_modified,
            revision_id,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::records::{decode, encode};

    /// Every field set, layers in non-sorted attach order.
    const FULL: &str = r#"{"v":1,"function_name":"full","version":3,"settings":{"runtime":"python3.12","role":"arn:aws:iam::123456789012:role/r","handler":"app.handler","description":"d \"q\" é","timeout_seconds":42,"memory_mb":256,"environment":{"EXTRA":"x","STAGE":"two"},"layers":[{"arn":"arn:aws:lambda:us-east-1:123456789012:layer:b:2","code_size":11,"unzipped_size":22,"sha256_hex":"bb"},{"arn":"arn:aws:lambda:us-east-1:123456789012:layer:a:1","code_size":33,"unzipped_size":44,"sha256_hex":"aa"}],"architectures":["arm64"],"ephemeral_storage_mb":1024,"tracing_mode":"Active","dead_letter_target":"arn:aws:sqs:us-east-1:123456789012:dlq","kms_key_arn":"arn:aws:kms:us-east-1:123456789012:key/k","vpc":{"subnet_ids":["subnet-1"],"security_group_ids":["sg-1","sg-2"],"ipv6_allowed_for_dual_stack":true},"logging":{"log_format":"JSON","application_log_level":"DEBUG","system_log_level":"WARN","log_group":"/custom/group"}},"code":{"sha256_hex":"cc","sha256_b64":"zA==","size":1234,"unzipped_size":5678},"last_modified":"2026-01-02T03:04:05.678+0000","revision_id":"0b8f1c2e-1111-2222-3333-444455556666"}"#;

    /// `$LATEST` with the defaults CreateFunction starts from.
    const MINIMAL: &str = r#"{"v":1,"function_name":"min","version":0,"settings":{"runtime":null,"role":"","handler":null,"description":"","timeout_seconds":3,"memory_mb":128,"environment":null,"layers":[],"architectures":["x86_64"],"ephemeral_storage_mb":512,"tracing_mode":"PassThrough","dead_letter_target":null,"kms_key_arn":null,"vpc":null,"logging":{"log_format":"Text","application_log_level":null,"system_log_level":null,"log_group":"/aws/lambda/min"}},"code":{"sha256_hex":"dd","sha256_b64":"3Q==","size":1,"unzipped_size":2},"last_modified":"2026-01-02T03:04:05.000+0000","revision_id":"r-min"}"#;

    fn through_domain(fixture: &str) -> (FunctionVersion, String) {
        let stored: StoredFunctionVersion = decode(fixture).unwrap();
        let domain = FunctionVersion::from(stored);
        let again = encode(&StoredFunctionVersion::from(&domain));
        (domain, again)
    }

    #[test]
    fn golden_records_round_trip_through_the_domain_type() {
        let (full, again) = through_domain(FULL);
        assert_eq!(again, FULL);
        assert_eq!(full.version, Version::Published(3));
        assert_eq!(full.settings.timeout, 42);
        assert_eq!(full.settings.layers[0].sha256_hex, "bb");
        assert_eq!(
            full.settings.vpc.unwrap().ipv6_allowed_for_dual_stack,
            Some(true)
        );

        let (min, again) = through_domain(MINIMAL);
        assert_eq!(again, MINIMAL);
        assert_eq!(min.version, Version::Latest);
        assert_eq!(
            min.settings,
            stratus_model::settings::default_settings("min")
        );
    }
}
