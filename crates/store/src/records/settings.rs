//! The stored form of a function version's settings snapshot.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use stratus_model::function::{AttachedLayer, FunctionSettings, LoggingConfig, VpcConfig};

/// What PublishVersion snapshots (`FunctionSettings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSettings {
    /// Runtime identifier.
    pub runtime: Option<String>,
    /// Execution role ARN.
    pub role: String,
    /// Handler string.
    pub handler: Option<String>,
    /// Description.
    pub description: String,
    /// Timeout in seconds.
    pub timeout_seconds: u32,
    /// Memory in MB.
    pub memory_mb: u32,
    /// Environment variables; `None` when never set.
    pub environment: Option<BTreeMap<String, String>>,
    /// Attached layers in attach order.
    pub layers: Vec<StoredLayerRef>,
    /// Architectures.
    pub architectures: Vec<String>,
    /// `/tmp` size in MB.
    pub ephemeral_storage_mb: u32,
    /// Tracing mode.
    pub tracing_mode: String,
    /// Dead-letter target ARN.
    pub dead_letter_target: Option<String>,
    /// KMS key ARN.
    pub kms_key_arn: Option<String>,
    /// VPC settings.
    pub vpc: Option<StoredVpc>,
    /// Logging settings.
    pub logging: StoredLogging,
}

/// A layer version attached to a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredLayerRef {
    /// Layer version ARN.
    pub arn: String,
    /// Zipped bytes.
    pub code_size: u64,
    /// Unzipped bytes.
    pub unzipped_size: u64,
    /// Blob key.
    pub sha256_hex: String,
}

/// VPC settings (accepted and echoed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredVpc {
    /// Subnets.
    pub subnet_ids: Vec<String>,
    /// Security groups.
    pub security_group_ids: Vec<String>,
    /// Dual-stack flag.
    pub ipv6_allowed_for_dual_stack: Option<bool>,
}

/// Log format and destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredLogging {
    /// `Text` or `JSON`.
    pub log_format: String,
    /// Application log level.
    pub application_log_level: Option<String>,
    /// System log level.
    pub system_log_level: Option<String>,
    /// Log group.
    pub log_group: String,
}

impl From<&FunctionSettings> for StoredSettings {
    fn from(s: &FunctionSettings) -> Self {
        let FunctionSettings {
            runtime,
            role,
            handler,
            description,
            timeout,
            memory_size,
            environment,
            layers,
            architectures,
            ephemeral_storage,
            tracing_mode,
            dead_letter_target,
            kms_key_arn,
            vpc,
            logging,
        } = s;
        Self {
            runtime: runtime.clone(),
            role: role.clone(),
            handler: handler.clone(),
            description: description.clone(),
            timeout_seconds: *timeout,
            memory_mb: *memory_size,
            environment: environment.clone(),
            layers: layers.iter().map(StoredLayerRef::from).collect(),
            architectures: architectures.clone(),
            ephemeral_storage_mb: *ephemeral_storage,
            tracing_mode: tracing_mode.clone(),
            dead_letter_target: dead_letter_target.clone(),
            kms_key_arn: kms_key_arn.clone(),
            vpc: vpc.as_ref().map(StoredVpc::from),
            logging: StoredLogging::from(logging),
        }
    }
}

impl From<StoredSettings> for FunctionSettings {
    fn from(s: StoredSettings) -> Self {
        let StoredSettings {
            runtime,
            role,
            handler,
            description,
            timeout_seconds,
            memory_mb,
            environment,
            layers,
            architectures,
            ephemeral_storage_mb,
            tracing_mode,
            dead_letter_target,
            kms_key_arn,
            vpc,
            logging,
        } = s;
        Self {
            runtime,
            role,
            handler,
            description,
            timeout: timeout_seconds,
            memory_size: memory_mb,
            environment,
            layers: layers.into_iter().map(AttachedLayer::from).collect(),
            architectures,
            ephemeral_storage: ephemeral_storage_mb,
            tracing_mode,
            dead_letter_target,
            kms_key_arn,
            vpc: vpc.map(VpcConfig::from),
            logging: logging.into(),
        }
    }
}

impl From<&AttachedLayer> for StoredLayerRef {
    fn from(l: &AttachedLayer) -> Self {
        let AttachedLayer {
            arn,
            code_size,
            unzipped_size,
            sha256_hex,
        } = l;
        Self {
            arn: arn.clone(),
            code_size: *code_size,
            unzipped_size: *unzipped_size,
            sha256_hex: sha256_hex.clone(),
        }
    }
}

impl From<StoredLayerRef> for AttachedLayer {
    fn from(l: StoredLayerRef) -> Self {
        let StoredLayerRef {
            arn,
            code_size,
            unzipped_size,
            sha256_hex,
        } = l;
        Self {
            arn,
            code_size,
            unzipped_size,
            sha256_hex,
        }
    }
}

impl From<&VpcConfig> for StoredVpc {
    fn from(v: &VpcConfig) -> Self {
        let VpcConfig {
            subnet_ids,
            security_group_ids,
            ipv6_allowed_for_dual_stack,
        } = v;
        Self {
            subnet_ids: subnet_ids.clone(),
            security_group_ids: security_group_ids.clone(),
            ipv6_allowed_for_dual_stack: *ipv6_allowed_for_dual_stack,
        }
    }
}

impl From<StoredVpc> for VpcConfig {
    fn from(v: StoredVpc) -> Self {
        let StoredVpc {
            subnet_ids,
            security_group_ids,
            ipv6_allowed_for_dual_stack,
        } = v;
        Self {
            subnet_ids,
            security_group_ids,
            ipv6_allowed_for_dual_stack,
        }
    }
}

impl From<&LoggingConfig> for StoredLogging {
    fn from(l: &LoggingConfig) -> Self {
        let LoggingConfig {
            log_format,
            application_log_level,
            system_log_level,
            log_group,
        } = l;
        Self {
            log_format: log_format.clone(),
            application_log_level: application_log_level.clone(),
            system_log_level: system_log_level.clone(),
            log_group: log_group.clone(),
        }
    }
}

impl From<StoredLogging> for LoggingConfig {
    fn from(l: StoredLogging) -> Self {
        let StoredLogging {
            log_format,
            application_log_level,
            system_log_level,
            log_group,
        } = l;
        Self {
            log_format,
            application_log_level,
            system_log_level,
            log_group,
        }
    }
}
