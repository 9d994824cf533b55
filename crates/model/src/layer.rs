//! Layer versions: immutable, numbered packages mounted under `/opt`.

use serde::{Deserialize, Serialize};

use crate::error::{LambdaError, Violations};
use crate::function::CodeRef;
use crate::requests::CodeInput;
use crate::runtime;

/// A layer version as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionRecord {
    pub layer_name: String,
    pub version: u64,
    pub description: String,
    pub created_date: String,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<String>,
    pub license_info: Option<String>,
    pub code: CodeRef,
}

/// `PublishLayerVersion` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishLayerRequest {
    pub content: Option<CodeInput>,
    pub description: Option<String>,
    pub compatible_runtimes: Option<Vec<String>>,
    pub license_info: Option<String>,
    pub compatible_architectures: Option<Vec<String>>,
}

impl PublishLayerRequest {
    /// Checks the optional fields' shapes.
    pub fn validate(&self) -> Result<(), LambdaError> {
        let mut v = Violations::default();
        if let Some(d) = &self.description {
            v.max_len(d, "description", 256);
        }
        if let Some(l) = &self.license_info {
            v.max_len(l, "licenseInfo", 512);
        }
        if let Some(rts) = &self.compatible_runtimes {
            if rts.len() > 15 {
                v.push(
                    &rts.len(),
                    "compatibleRuntimes",
                    "Member must have length less than or equal to 15",
                );
            }
            for r in rts.iter().filter(|r| !runtime::is_known(r)) {
                v.push(
                    r,
                    "compatibleRuntimes",
                    "Member must satisfy enum value set",
                );
            }
        }
        if let Some(archs) = &self.compatible_architectures {
            if archs.len() > 2 {
                v.push(
                    &archs.len(),
                    "compatibleArchitectures",
                    "Member must have length less than or equal to 2",
                );
            }
            for a in archs.iter().filter(|a| *a != "x86_64" && *a != "arm64") {
                v.push(
                    a,
                    "compatibleArchitectures",
                    "Member must satisfy enum value set: [x86_64, arm64]",
                );
            }
        }
        v.finish()
    }
}

/// `LayerVersionContentOutput`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerContent {
    pub location: String,
    pub code_sha256: String,
    pub code_size: u64,
}

/// `GetLayerVersion` / `PublishLayerVersion` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionResponse {
    pub content: LayerContent,
    pub layer_arn: String,
    pub layer_version_arn: String,
    pub description: String,
    pub created_date: String,
    pub version: u64,
    pub compatible_runtimes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_info: Option<String>,
    pub compatible_architectures: Vec<String>,
}

/// `LayerVersionsListItem`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionItem {
    pub layer_version_arn: String,
    pub version: u64,
    pub description: String,
    pub created_date: String,
    pub compatible_runtimes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_info: Option<String>,
    pub compatible_architectures: Vec<String>,
}

/// `LayersListItem`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerItem {
    pub layer_name: String,
    pub layer_arn: String,
    pub latest_matching_version: LayerVersionItem,
}

/// `ListLayers` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerPage {
    pub layers: Vec<LayerItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// `ListLayerVersions` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerVersionPage {
    pub layer_versions: Vec<LayerVersionItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

impl LayerVersionRecord {
    /// True when the version matches the optional runtime and architecture filters.
    pub fn matches(&self, runtime: Option<&str>, arch: Option<&str>) -> bool {
        runtime.is_none_or(|r| self.compatible_runtimes.iter().any(|c| c == r))
            && arch.is_none_or(|a| self.compatible_architectures.iter().any(|c| c == a))
    }

    /// The list item shape, given the version ARN.
    pub fn item(&self, layer_version_arn: String) -> LayerVersionItem {
        LayerVersionItem {
            layer_version_arn,
            version: self.version,
            description: self.description.clone(),
            created_date: self.created_date.clone(),
            compatible_runtimes: self.compatible_runtimes.clone(),
            license_info: self.license_info.clone(),
            compatible_architectures: self.compatible_architectures.clone(),
        }
    }
}
