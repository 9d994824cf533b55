//! A stored reference to a code package blob (function code or layer content).

use serde::{Deserialize, Serialize};
use stratus_model::function::CodeRef;

/// The blob key and the sizes measured when the package was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredCode {
    /// Lowercase hex sha256 of the zip: the blob key.
    pub sha256_hex: String,
    /// The same digest in base64 (Lambda's `CodeSha256`).
    pub sha256_b64: String,
    /// Zipped bytes.
    pub size: u64,
    /// Unzipped bytes.
    pub unzipped_size: u64,
}

impl From<&CodeRef> for StoredCode {
    fn from(c: &CodeRef) -> Self {
        let CodeRef {
            sha256_hex,
            sha256_b64,
            size,
            unzipped_size,
        } = c;
        Self {
            sha256_hex: sha256_hex.clone(),
            sha256_b64: sha256_b64.clone(),
            size: *size,
            unzipped_size: *unzipped_size,
        }
    }
}

impl From<StoredCode> for CodeRef {
    fn from(c: StoredCode) -> Self {
        let StoredCode {
            sha256_hex,
            sha256_b64,
            size,
            unzipped_size,
        } = c;
        Self {
            sha256_hex,
            sha256_b64,
            size,
            unzipped_size,
        }
    }
}
