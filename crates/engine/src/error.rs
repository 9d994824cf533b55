//! Engine failures, and how a failed invocation is reported to the caller.

use stratus_model::{ErrorKind, LambdaError};

use crate::failure::PlatformError;

/// Why an invocation could not run (as opposed to the function failing).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// too many concurrent invocations
    #[error("rate exceeded: {0}")]
    Throttled(&'static str),
    /// the function's runtime is not one this server runs
    #[error("runtime {0} is not available on this server")]
    Runtime(String),
    /// the platform failed while running an invocation of the function
    #[error("the platform failed to run function {function}")]
    Platform {
        /// The function invoked.
        function: String,
        /// What failed.
        #[source]
        source: PlatformError,
    },
}

impl EngineError {
    /// A platform failure while running `function`.
    pub(crate) fn platform(function: &str, source: PlatformError) -> Self {
        EngineError::Platform {
            function: function.to_owned(),
            source,
        }
    }

    /// A cold start that failed because the host is out of a resource (descriptors,
    /// processes, memory, disk) becomes a throttle, logged here with its causes: a burst
    /// gets environments or 429s, never a 500. Anything else is unchanged.
    pub(crate) fn exhaustion_throttles(self) -> Self {
        match self {
            EngineError::Platform { function, source } if source.host_exhausted() => {
                tracing::warn!(function = %function, error = %chain(&source),
                    "the host is out of a resource; invocation throttled");
                EngineError::Throttled("ConcurrentInvocationLimitExceeded")
            }
            other => other,
        }
    }

    /// The Lambda error answered to the client. A platform failure is logged here with its
    /// whole chain of causes; the client only learns which function it concerned (the causes
    /// name host paths and internals).
    pub fn to_lambda(&self) -> LambdaError {
        match self {
            EngineError::Throttled(reason) => LambdaError::throttled(reason),
            EngineError::Runtime(r) => LambdaError::new(
                ErrorKind::InvalidRuntime,
                format!("The runtime parameter of {r} is not supported by this server"),
            ),
            EngineError::Platform { function, source } => {
                tracing::error!(function = %function, error = %chain(source), "invocation failed inside the platform");
                LambdaError::new(
                    ErrorKind::Service,
                    format!("An internal error occurred while running function {function}"),
                )
            }
        }
    }
}

/// `error: cause: cause…`, for the server's log.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// A function error body in Lambda's shape.
pub fn function_error(error_type: &str, message: &str) -> bytes::Bytes {
    serde_json::json!({ "errorType": error_type, "errorMessage": message })
        .to_string()
        .into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use stratus_sandbox::SandboxError;

    #[test]
    fn platform_failures_name_the_function_but_not_the_cause() {
        let e = EngineError::platform(
            "my-fn",
            PlatformError::Capture(std::io::Error::other("/var/lib/secret/path")),
        );
        let l = e.to_lambda();
        assert_eq!(l.kind, ErrorKind::Service);
        assert!(l.message.contains("my-fn"), "{}", l.message);
        assert!(!l.message.contains("/var/lib"), "{}", l.message);
        assert_eq!(
            chain(&e),
            "the platform failed to run function my-fn: cannot capture the sandbox output: /var/lib/secret/path"
        );
        let s = EngineError::platform(
            "f",
            PlatformError::Sandbox {
                op: "thaw",
                source: SandboxError::NotRunning,
            },
        );
        assert!(std::error::Error::source(&s).unwrap().source().is_some());
    }

    #[test]
    fn a_host_out_of_a_resource_throttles_and_other_failures_stay_500s() {
        let sandbox =
            |op, source| EngineError::platform("f", PlatformError::Sandbox { op, source });
        let exhausted = [
            sandbox(
                "spawn",
                SandboxError::Io {
                    op: "clone",
                    source: std::io::Error::from_raw_os_error(nix::libc::EAGAIN),
                },
            ),
            sandbox(
                "assign",
                SandboxError::Setup {
                    step: "mount /tmp".into(),
                    errno: nix::errno::Errno::ENOSPC,
                },
            ),
            EngineError::platform(
                "f",
                PlatformError::Capture(std::io::Error::from_raw_os_error(nix::libc::EMFILE)),
            ),
        ];
        for e in exhausted {
            assert!(
                matches!(
                    e.exhaustion_throttles(),
                    EngineError::Throttled("ConcurrentInvocationLimitExceeded")
                ),
                "throttled"
            );
        }
        let fault = sandbox(
            "spawn",
            SandboxError::Io {
                op: "clone",
                source: std::io::Error::from_raw_os_error(nix::libc::EPERM),
            },
        );
        assert!(matches!(
            fault.exhaustion_throttles(),
            EngineError::Platform { .. }
        ));
    }

    #[test]
    fn throttles_and_runtimes_keep_lambda_errors() {
        let t = EngineError::Throttled("ConcurrentInvocationLimitExceeded").to_lambda();
        assert_eq!(t.kind, ErrorKind::TooManyRequests);
        assert_eq!(t.message, "Rate Exceeded.");
        assert_eq!(t.reason, Some("ConcurrentInvocationLimitExceeded"));
        let r = EngineError::Runtime("cobol1".into()).to_lambda();
        assert_eq!(r.kind, ErrorKind::InvalidRuntime);
    }
}
