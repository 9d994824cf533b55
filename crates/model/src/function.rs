//! A function version as stored (`FunctionVersion`) and as sent (`FunctionConfiguration`).
//!
//! `$LATEST` and every published version share one record type; the settings part is what
//! PublishVersion snapshots and what "nothing changed" compares.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::names::Scope;

/// The version label of a function version record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Version {
    /// The mutable `$LATEST`.
    Latest,
    /// A published, immutable version.
    Published(u64),
}

impl Version {
    /// The sort key stored beside the record: 0 for `$LATEST`, else the number.
    pub fn ordinal(self) -> i64 {
        match self {
            Version::Latest => 0,
            Version::Published(n) => n as i64,
        }
    }
    /// The inverse of [`Version::ordinal`].
    pub fn from_ordinal(n: i64) -> Self {
        if n <= 0 {
            Version::Latest
        } else {
            Version::Published(n as u64)
        }
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        match v {
            Version::Latest => "$LATEST".to_owned(),
            Version::Published(n) => n.to_string(),
        }
    }
}

impl TryFrom<String> for Version {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "$LATEST" {
            return Ok(Version::Latest);
        }
        s.parse::<u64>()
            .map(Version::Published)
            .map_err(|_| format!("bad version label {s}"))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Version::Latest => f.write_str("$LATEST"),
            Version::Published(n) => write!(f, "{n}"),
        }
    }
}

/// A stored code package: the content-addressed blob and its measured sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeRef {
    /// Blob key: lowercase hex sha256 of the zip.
    pub sha256_hex: String,
    /// Lambda's CodeSha256: base64 of the same digest.
    pub sha256_b64: String,
    /// Zipped size in bytes.
    pub size: u64,
    /// Unzipped size in bytes, counted while validating.
    pub unzipped_size: u64,
}

/// A layer version attached to a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedLayer {
    /// The layer version ARN.
    pub arn: String,
    /// Its zipped size.
    pub code_size: u64,
    /// Its unzipped size (not sent; counts toward the 250 MB limit).
    pub unzipped_size: u64,
    /// Its blob key (not sent; needed to assemble `/opt`).
    pub sha256_hex: String,
}

/// VPC settings are accepted and echoed; this server has no VPCs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcConfig {
    /// Subnets.
    #[serde(default)]
    pub subnet_ids: Vec<String>,
    /// Security groups.
    #[serde(default)]
    pub security_group_ids: Vec<String>,
    /// Dual-stack flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_allowed_for_dual_stack: Option<bool>,
}

/// Log destination and format (`LoggingConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    /// `Text` or `JSON`.
    pub log_format: String,
    /// Application log level (JSON format only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_log_level: Option<String>,
    /// System log level (JSON format only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_log_level: Option<String>,
    /// The log group, `/aws/lambda/NAME` unless set.
    pub log_group: String,
}

/// The version-scoped settings of a function: what PublishVersion snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionSettings {
    /// Runtime identifier; absent for images.
    pub runtime: Option<String>,
    /// Execution role ARN (recorded, not enforced).
    pub role: String,
    /// Handler string.
    pub handler: Option<String>,
    /// Description.
    pub description: String,
    /// Seconds, 1–900.
    pub timeout: u32,
    /// MB, 128–10240.
    pub memory_size: u32,
    /// Environment variables; `None` when never set.
    pub environment: Option<BTreeMap<String, String>>,
    /// Layers in attach order.
    pub layers: Vec<AttachedLayer>,
    /// `x86_64` or `arm64`.
    pub architectures: Vec<String>,
    /// `/tmp` size in MB.
    pub ephemeral_storage: u32,
    /// `PassThrough` or `Active`.
    pub tracing_mode: String,
    /// Dead-letter target ARN.
    pub dead_letter_target: Option<String>,
    /// KMS key ARN.
    pub kms_key_arn: Option<String>,
    /// VPC settings.
    pub vpc: Option<VpcConfig>,
    /// Logging settings.
    pub logging: LoggingConfig,
}

/// One version of a function, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionVersion {
    /// The plain function name.
    pub function_name: String,
    /// `$LATEST` or the published number.
    pub version: Version,
    /// Settings snapshot.
    pub settings: FunctionSettings,
    /// The code package.
    pub code: CodeRef,
    /// Last change, in Lambda's timestamp format.
    pub last_modified: String,
    /// Changes on every write.
    pub revision_id: String,
}

impl FunctionVersion {
    /// True when `other` has the same code and settings (ignoring description, as Lambda does
    /// when deciding whether PublishVersion creates anything new).
    pub fn same_content(&self, other: &FunctionVersion) -> bool {
        let mut a = self.settings.clone();
        a.description.clear();
        let mut b = other.settings.clone();
        b.description.clear();
        self.code.sha256_hex == other.code.sha256_hex && a == b
    }

    /// The wire `FunctionConfiguration` for this version.
    pub fn configuration(&self, scope: &Scope) -> FunctionConfiguration {
        let s = &self.settings;
        let function_arn = match self.version {
            Version::Latest => scope.function_arn(&self.function_name),
            Version::Published(n) => scope.qualified_arn(&self.function_name, &n.to_string()),
        };
        FunctionConfiguration {
            function_name: self.function_name.clone(),
            function_arn,
            runtime: s.runtime.clone(),
            role: s.role.clone(),
            handler: s.handler.clone(),
            code_size: self.code.size,
            description: s.description.clone(),
            timeout: s.timeout,
            memory_size: s.memory_size,
            last_modified: self.last_modified.clone(),
            code_sha256: self.code.sha256_b64.clone(),
            version: self.version.to_string(),
            vpc_config: s.vpc.clone(),
            dead_letter_config: s.dead_letter_target.clone().map(|t| DeadLetterConfig {
                target_arn: Some(t),
            }),
            environment: s
                .environment
                .clone()
                .map(|v| EnvironmentResponse { variables: v }),
            kms_key_arn: s.kms_key_arn.clone(),
            tracing_config: TracingConfig {
                mode: s.tracing_mode.clone(),
            },
            revision_id: self.revision_id.clone(),
            layers: (!s.layers.is_empty()).then(|| {
                s.layers
                    .iter()
                    .map(|l| LayerSummary {
                        arn: l.arn.clone(),
                        code_size: l.code_size,
                    })
                    .collect()
            }),
            state: Some("Active".into()),
            last_update_status: Some("Successful".into()),
            package_type: "Zip".into(),
            architectures: s.architectures.clone(),
            ephemeral_storage: EphemeralStorage {
                size: s.ephemeral_storage,
            },
            snap_start: SnapStartResponse {
                apply_on: "None".into(),
                optimization_status: "Off".into(),
            },
            runtime_version_config: s.runtime.as_ref().map(|r| RuntimeVersionConfig {
                runtime_version_arn: format!(
                    "arn:aws:lambda:{}::runtime:stratus-{}",
                    scope.region,
                    r.replace('.', "-")
                ),
            }),
            logging_config: s.logging.clone(),
        }
    }
}

/// `DeadLetterConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    /// SQS queue or SNS topic ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
}

/// `EnvironmentResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentResponse {
    /// The variables.
    pub variables: BTreeMap<String, String>,
}

/// `TracingConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfig {
    /// `PassThrough` or `Active`.
    pub mode: String,
}

/// `EphemeralStorage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralStorage {
    /// MB.
    pub size: u32,
}

/// `Layer` in a function configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerSummary {
    /// Layer version ARN.
    pub arn: String,
    /// Zipped size.
    pub code_size: u64,
}

/// `SnapStartResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnapStartResponse {
    /// Always `None` here.
    pub apply_on: String,
    /// Always `Off` here.
    pub optimization_status: String,
}

/// `RuntimeVersionConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeVersionConfig {
    /// The runtime version ARN.
    pub runtime_version_arn: String,
}

/// The wire `FunctionConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionConfiguration {
    pub function_name: String,
    pub function_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    pub code_size: u64,
    pub description: String,
    pub timeout: u32,
    pub memory_size: u32,
    pub last_modified: String,
    pub code_sha256: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<DeadLetterConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<EnvironmentResponse>,
    #[serde(rename = "KMSKeyArn", skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    pub tracing_config: TracingConfig,
    pub revision_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<LayerSummary>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_status: Option<String>,
    pub package_type: String,
    pub architectures: Vec<String>,
    pub ephemeral_storage: EphemeralStorage,
    pub snap_start: SnapStartResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_version_config: Option<RuntimeVersionConfig>,
    pub logging_config: LoggingConfig,
}

impl FunctionConfiguration {
    /// The shape ListFunctions sends: without state fields or runtime version.
    pub fn for_listing(mut self) -> Self {
        self.state = None;
        self.last_update_status = None;
        self.runtime_version_config = None;
        self
    }
    /// The shape ListVersionsByFunction sends: `$LATEST` carries its qualifier in the ARN.
    pub fn qualify_latest(mut self) -> Self {
        if self.version == "$LATEST" {
            self.function_arn.push_str(":$LATEST");
        }
        self
    }
}
