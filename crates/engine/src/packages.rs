//! Unpacked code and layer trees on the host, shared by every environment that mounts them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use stratus_artifacts::BlobStore;

use crate::error::EngineError;

/// Where unpacked packages live: `root/<sha256 hex>/`.
#[derive(Debug)]
pub struct Packages {
    root: PathBuf,
    blobs: Arc<BlobStore>,
}

impl Packages {
    /// Packages unpacked under `root` from `blobs`.
    pub fn new(root: PathBuf, blobs: Arc<BlobStore>) -> Self {
        Self { root, blobs }
    }

    /// The unpacked tree of a package, unpacking it on first use (content-addressed, so a
    /// tree once complete never changes).
    pub async fn tree(&self, sha256_hex: &str) -> Result<PathBuf, EngineError> {
        let dest = self.root.join(sha256_hex);
        if dest.is_dir() {
            return Ok(dest);
        }
        let blobs = Arc::clone(&self.blobs);
        let key = sha256_hex.to_owned();
        let target = dest.clone();
        tokio::task::spawn_blocking(move || -> Result<(), EngineError> {
            let bytes = blobs
                .read(&key)
                .map_err(|e| EngineError::Package(e.to_string()))?;
            stratus_artifacts::unpack(&bytes, &target)
                .map_err(|e| EngineError::Package(e.to_string()))
        })
        .await
        .map_err(|e| EngineError::Package(e.to_string()))??;
        Ok(dest)
    }
}

/// Where a custom runtime's `bootstrap` is, seen from inside the sandbox.
pub fn custom_bootstrap(task_root: &Path, layers: &[PathBuf]) -> Option<&'static str> {
    if task_root.join("bootstrap").is_file() {
        Some("/var/task/bootstrap")
    } else if layers.iter().any(|l| l.join("bootstrap").is_file()) {
        Some("/opt/bootstrap")
    } else {
        None
    }
}
