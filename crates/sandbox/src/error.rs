//! Errors of the sandbox crate.

use std::path::PathBuf;

/// Everything that can go wrong while preparing, starting or managing a sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The configuration cannot be turned into a sandbox.
    #[error("invalid sandbox config: {0}")]
    InvalidConfig(String),
    /// A cgroup file or directory operation failed.
    #[error("cgroup {path}: {source}")]
    Cgroup {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A host-side system call failed.
    #[error("{op}: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The child failed while setting up the environment or exec'ing the runtime.
    #[error("sandbox setup failed at {step}: {errno}")]
    Setup {
        step: String,
        errno: nix::errno::Errno,
    },
    /// The child exited before it reported back.
    #[error("sandbox child exited during {0}")]
    ChildExited(&'static str),
    /// Building the seccomp filter failed.
    #[error("seccomp filter: {0}")]
    Seccomp(String),
    /// A wait (freeze, ...) did not complete in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The operation needs a live sandbox but it was killed already.
    #[error("sandbox is not running")]
    NotRunning,
    /// `start` was called twice.
    #[error("sandbox already started")]
    AlreadyStarted,
}

impl SandboxError {
    pub(crate) fn io(op: &'static str, source: std::io::Error) -> Self {
        SandboxError::Io { op, source }
    }
    pub(crate) fn cgroup(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SandboxError::Cgroup {
            path: path.into(),
            source,
        }
    }
}
