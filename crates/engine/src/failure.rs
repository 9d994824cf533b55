//! What can fail inside the platform while an invocation runs: each variant keeps the error
//! that caused it. [`crate::EngineError::Platform`] wraps one with the function's name.

use std::path::PathBuf;

use nix::errno::Errno;

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

/// What a system call answers when the host (or this process) is out of something:
/// descriptors, processes or threads, memory, disk.
const EXHAUSTED: [Errno; 5] = [
    Errno::EMFILE,
    Errno::ENFILE,
    Errno::EAGAIN,
    Errno::ENOMEM,
    Errno::ENOSPC,
];

impl PlatformError {
    /// Whether the failure is the host running out of a resource (somewhere in its chain of
    /// causes), rather than a fault: such an invocation is throttled, as Lambda throttles
    /// when it has no capacity, instead of failing with a 500.
    pub(crate) fn host_exhausted(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = cause {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io
                    .raw_os_error()
                    .is_some_and(|c| EXHAUSTED.contains(&Errno::from_raw(c)))
                {
                    return true;
                }
            }
            if let Some(SandboxError::Setup { errno, .. }) = e.downcast_ref::<SandboxError>() {
                if EXHAUSTED.contains(errno) {
                    return true;
                }
            }
            cause = e.source();
        }
        false
    }

    /// A failed sandbox operation.
    pub(crate) fn sandbox(op: &'static str) -> impl FnOnce(SandboxError) -> Self {
        move |source| PlatformError::Sandbox { op, source }
    }

    /// A blocking task that did not finish.
    pub(crate) fn join(task: &'static str) -> impl FnOnce(tokio::task::JoinError) -> Self {
        move |source| PlatformError::Join { task, source }
    }
}
