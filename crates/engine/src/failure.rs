//! What can fail inside the platform while an invocation runs: each variant keeps the error
//! that caused it. [`crate::EngineError::Platform`] wraps one with the function's name.

use std::path::PathBuf;

use stratus_artifacts::{BlobError, UnpackError};
use stratus_sandbox::SandboxError;

/// A failure of the platform (never the function's fault).
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// a package could not be read from the blob store
    #[error("cannot read package {sha256}")]
    Blob {
        /// The package's SHA-256 in hex.
        sha256: String,
        /// What the blob store reported.
        #[source]
        source: BlobError,
    },
    /// a package could not be unpacked
    #[error("cannot unpack package {sha256}")]
    Unpack {
        /// The package's SHA-256 in hex.
        sha256: String,
        /// What unpacking reported.
        #[source]
        source: UnpackError,
    },
    /// a sandbox operation failed
    #[error("sandbox {op} failed")]
    Sandbox {
        /// The operation (`spawn`, `assign`, `start`, `thaw`, …).
        op: &'static str,
        /// What the sandbox reported.
        #[source]
        source: SandboxError,
    },
    /// the sandbox's output pipes were already taken
    #[error("the sandbox output pipes are missing")]
    OutputPipes,
    /// the sandbox's output could not be captured
    #[error("cannot capture the sandbox output")]
    Capture(#[source] std::io::Error),
    /// the runtime api could not be served on the sandbox's listener
    #[error("cannot serve the runtime api")]
    RuntimeApi(#[source] std::io::Error),
    /// a /tmp image could not be written
    #[error("cannot make the /tmp image {path}")]
    TmpImage {
        /// The image file.
        path: PathBuf,
        /// What the file system reported.
        #[source]
        source: std::io::Error,
    },
    /// mkfs.ext4 failed on a /tmp image
    #[error("mkfs.ext4 exited with {status} for {path}")]
    Mkfs {
        /// The image file.
        path: PathBuf,
        /// How mkfs.ext4 ended.
        status: std::process::ExitStatus,
    },
    /// a blocking task of the engine panicked or was cancelled
    #[error("the {task} task did not finish")]
    Join {
        /// What the task did.
        task: &'static str,
        /// The join failure.
        #[source]
        source: tokio::task::JoinError,
    },
    /// an engine lock was poisoned by a panic
    #[error("the {0} state is poisoned")]
    Poisoned(&'static str),
}

impl PlatformError {
    /// A failed sandbox operation.
    pub(crate) fn sandbox(op: &'static str) -> impl FnOnce(SandboxError) -> Self {
        move |source| PlatformError::Sandbox { op, source }
    }

    /// A blocking task that did not finish.
    pub(crate) fn join(task: &'static str) -> impl FnOnce(tokio::task::JoinError) -> Self {
        move |source| PlatformError::Join { task, source }
    }
}
