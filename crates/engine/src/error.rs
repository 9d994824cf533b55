//! Engine failures, and how a failed invocation is reported to the caller.

use stratus_model::{ErrorKind, LambdaError};

/// Why the platform could not run an invocation (as opposed to the function failing).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// the code or a layer package could not be unpacked
    #[error("package unavailable: {0}")]
    Package(String),
    /// the sandbox could not be created
    #[error("sandbox failed: {0}")]
    Sandbox(String),
    /// the runtime API could not be served
    #[error("runtime api failed: {0}")]
    RuntimeApi(String),
    /// the function's runtime is not one this server runs
    #[error("runtime {0} is not available on this server")]
    Runtime(String),
    /// a custom runtime has no executable `bootstrap` in /var/task or /opt
    #[error("no bootstrap")]
    NoBootstrap,
    /// too many concurrent invocations
    #[error("rate exceeded: {0}")]
    Throttled(&'static str),
}

impl EngineError {
    /// The Lambda error answered to the client.
    pub fn to_lambda(&self) -> LambdaError {
        match self {
            EngineError::Throttled(reason) => LambdaError::new(
                ErrorKind::TooManyRequests,
                format!("Rate Exceeded. Reason: {reason}"),
            ),
            EngineError::Runtime(r) => LambdaError::new(
                ErrorKind::InvalidRuntime,
                format!("The runtime parameter of {r} is not supported by this server"),
            ),
            other => {
                tracing::error!(error = %other, "invocation failed inside the platform");
                LambdaError::new(ErrorKind::Service, other.to_string())
            }
        }
    }
}

/// A function error body in Lambda's shape.
pub fn function_error(error_type: &str, message: &str) -> bytes::Bytes {
    serde_json::json!({ "errorType": error_type, "errorMessage": message })
        .to_string()
        .into()
}
