//! Request bodies of the function operations, as botocore sends them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{LambdaError, Violations};
use crate::function::FunctionConfiguration;
use crate::settings::SettingsInput;

/// `FunctionCode` / `LayerVersionContentInput`: where a package comes from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeInput {
    /// Base64 zip.
    pub zip_file: Option<String>,
    /// S3 location (not served by this server).
    pub s3_bucket: Option<String>,
    /// S3 key.
    pub s3_key: Option<String>,
    /// S3 object version.
    pub s3_object_version: Option<String>,
    /// Container image (not served by this server).
    pub image_uri: Option<String>,
}

/// `CreateFunction` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunctionRequest {
    pub function_name: Option<String>,
    pub code: Option<CodeInput>,
    #[serde(default)]
    pub publish: bool,
    pub package_type: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    pub settings: SettingsInput,
}

/// `UpdateFunctionCode` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateCodeRequest {
    #[serde(flatten)]
    pub code: CodeInput,
    #[serde(default)]
    pub publish: bool,
    #[serde(default)]
    pub dry_run: bool,
    pub revision_id: Option<String>,
    pub architectures: Option<Vec<String>>,
}

/// `UpdateFunctionConfiguration` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateConfigurationRequest {
    pub revision_id: Option<String>,
    #[serde(flatten)]
    pub settings: SettingsInput,
}

/// `PublishVersion` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishVersionRequest {
    pub code_sha256: Option<String>,
    pub description: Option<String>,
    pub revision_id: Option<String>,
}

/// `FunctionCodeLocation`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeLocation {
    /// Always `S3` on AWS; kept for clients that check it.
    pub repository_type: String,
    /// Download URL.
    pub location: String,
}

/// `Concurrency` in GetFunction and Put/GetFunctionConcurrency.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Concurrency {
    /// Reserved executions, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_concurrent_executions: Option<i64>,
}

/// `GetFunction` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFunctionResponse {
    pub configuration: FunctionConfiguration,
    pub code: CodeLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
}

/// `ListFunctions` / `ListVersionsByFunction` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionPage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<FunctionConfiguration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<FunctionConfiguration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// Page size and marker of a list call, validated.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    /// Where to continue.
    pub marker: Option<String>,
    /// How many at most.
    pub max_items: usize,
}

impl Paging {
    /// Checks `MaxItems` against 1..=`max` and caps the page at `page_cap`.
    pub fn new(
        marker: Option<String>,
        max_items: Option<i64>,
        max: i64,
        page_cap: usize,
    ) -> Result<Self, LambdaError> {
        if let Some(m) = max_items {
            let mut v = Violations::default();
            v.at_least(m, "maxItems", 1);
            v.at_most(m, "maxItems", max);
            v.finish()?;
        }
        let max_items = max_items
            .map(|m| (m as usize).min(page_cap))
            .unwrap_or(page_cap);
        Ok(Self {
            marker: marker.filter(|m| !m.is_empty()),
            max_items,
        })
    }
}

/// `Tags` bodies: TagResource request and ListTags response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagsBody {
    /// The tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// Checks tag keys and values against Lambda's limits.
pub fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), LambdaError> {
    let mut v = Violations::default();
    for (k, val) in tags {
        if k.is_empty() || k.chars().count() > 128 {
            v.push(k, "tags", "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]");
        }
        if val.chars().count() > 256 {
            v.push(val, "tags", "Map value must satisfy constraint: [Member must have length less than or equal to 256]");
        }
    }
    v.finish()?;
    if let Some(k) = tags
        .keys()
        .find(|k| k.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(LambdaError::invalid(format!(
            "Tag keys prefixed with 'aws:' are reserved for AWS use: {k}"
        )));
    }
    Ok(())
}

/// Largest number of tags on one function.
pub const MAX_TAGS: usize = 50;
