//! Accepting a code package: decode, size limits, streaming zip inspection, blob lifecycle.

use std::sync::Arc;

use base64::Engine;
use stratus_artifacts::{inspect_zip, PackageError, PackageInfo};
use stratus_model::function::{AttachedLayer, CodeRef};
use stratus_model::requests::CodeInput;
use stratus_model::{ErrorKind, LambdaError};

use crate::internal::{self, OrInternal};
use crate::{Control, Result};

/// A validated package, not yet written.
pub(crate) struct Package {
    pub bytes: Arc<Vec<u8>>,
    pub info: PackageInfo,
}

impl Package {
    pub(crate) fn code_ref(&self) -> CodeRef {
        CodeRef {
            sha256_hex: self.info.sha256_hex.clone(),
            sha256_b64: self.info.sha256_b64.clone(),
            size: self.info.size,
            unzipped_size: self.info.unzipped_size,
        }
    }
}

const UNZIP_FAILED: &str =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

fn package_error(e: PackageError, unzipped_limit: u64) -> LambdaError {
    match e {
        PackageError::TooLargeZipped { limit, .. } => LambdaError::new(
            ErrorKind::RequestEntityTooLarge,
            format!("Zipped size must be smaller than {limit} bytes"),
        ),
        PackageError::TooLargeUnzipped { .. } => LambdaError::invalid(format!(
            "Unzipped size must be smaller than {unzipped_limit} bytes"
        )),
        PackageError::NotAZip(_) => LambdaError::invalid(UNZIP_FAILED),
        other => LambdaError::invalid(format!("{UNZIP_FAILED} The package was rejected: {other}")),
    }
}

impl Control {
    /// Decodes and fully inspects a package given as `Code` / `Content`.
    pub(crate) async fn accept_package(&self, code: Option<&CodeInput>) -> Result<Package> {
        let code =
            code.ok_or_else(|| LambdaError::invalid("Please provide a source for function code."))?;
        if code.image_uri.is_some() {
            return Err(LambdaError::invalid(
                "Container image packages are not supported by this server; upload a zip in Code.ZipFile.",
            ));
        }
        if code.s3_bucket.is_some() || code.s3_key.is_some() {
            return Err(LambdaError::invalid(
                "S3 code locations are not supported by this server; upload the zip in Code.ZipFile.",
            ));
        }
        let Some(b64) = code.zip_file.as_deref() else {
            return Err(LambdaError::invalid(
                "Please provide a source for function code.",
            ));
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| LambdaError::invalid(UNZIP_FAILED))?;
        let limits = self.limits();
        let zip_limits = stratus_artifacts::Limits {
            max_zipped: limits.code_size_zipped,
            max_unzipped: limits.code_size_unzipped,
            ..Default::default()
        };
        let unzipped_limit = limits.code_size_unzipped;
        let checked = tokio::task::spawn_blocking(move || {
            inspect_zip(&bytes, &zip_limits).map(|info| Package {
                bytes: Arc::new(bytes),
                info,
            })
        })
        .await
        .internal()?;
        checked.map_err(|e| package_error(e, unzipped_limit))
    }

    /// Checks that a function's code plus its layers stay under the unzipped limit.
    pub(crate) fn check_unzipped_total(
        &self,
        code: &CodeRef,
        layers: &[AttachedLayer],
    ) -> Result<()> {
        let total = code.unzipped_size + layers.iter().map(|l| l.unzipped_size).sum::<u64>();
        let limit = self.limits().code_size_unzipped;
        if total > limit {
            return Err(LambdaError::invalid(format!(
                "Unzipped size must be smaller than {limit} bytes (function code and layers together: {total} bytes)"
            )));
        }
        Ok(())
    }

    /// Checks the account's code storage before storing `size` more bytes.
    pub(crate) async fn check_code_storage(&self, size: u64) -> Result<()> {
        let (used, _) = self.store().usage().await.internal()?;
        let limit = self.limits().total_code_size;
        if used + size > limit {
            return Err(LambdaError::new(
                ErrorKind::CodeStorageExceeded,
                format!("Code storage limit exceeded: {used} of {limit} bytes used"),
            ));
        }
        Ok(())
    }

    /// Writes a package's blob; call while holding the store's write transaction.
    pub(crate) async fn write_blob(&self, pkg: &Package) -> Result<()> {
        let blobs = self.inner.blobs.clone();
        let key = pkg.info.sha256_hex.clone();
        let bytes = Arc::clone(&pkg.bytes);
        internal::blocking(move || blobs.put(&key, &bytes)).await
    }

    /// Removes blobs that no committed record refers to any more.
    pub(crate) async fn discard_blobs(&self, keys: Vec<String>) {
        if keys.is_empty() {
            return;
        }
        let result: Result<()> = async {
            let mut tx = self.store().begin().await.internal()?;
            for key in keys {
                if !tx.blob_referenced(&key).await.internal()? {
                    let blobs = self.inner.blobs.clone();
                    internal::blocking(move || blobs.remove(&key)).await?;
                }
            }
            Ok(())
        }
        .await;
        if result.is_err() {
            tracing::warn!("unreferenced blobs left for the start-up sweep");
        }
    }
}
