//! Errors returned to the engine.

use bytes::Bytes;

/// The runtime reported `POST /init/error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("runtime init failed ({})", error_type.as_deref().unwrap_or("no error type"))]
pub struct InitFailure {
    /// `Lambda-Runtime-Function-Error-Type`, when sent (e.g. `Runtime.ImportModuleError`).
    pub error_type: Option<String>,
    /// The error document sent by the runtime.
    pub body: Bytes,
}

/// Why [`crate::RuntimeApi::invoke`] produced no [`crate::Outcome`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// Another invocation is queued or in flight in this environment.
    #[error("an invocation is already in flight in this environment")]
    Busy,
    /// The runtime's response exceeded [`crate::Limits::max_response`]
    /// (Lambda's `Function.ResponseSizeTooLarge`).
    #[error("response payload size exceeded the maximum allowed payload size")]
    ResponseTooLarge,
    /// The connection broke while the runtime was sending its response
    /// (Lambda's `Runtime.TruncatedResponse`).
    #[error("the runtime's response was truncated")]
    TruncatedResponse,
    /// The runtime reported an init failure before (or instead of) taking the invocation.
    #[error(transparent)]
    Init(#[from] InitFailure),
    /// A field of the invocation cannot be sent as an HTTP header value.
    #[error("invocation field {0} is not a valid HTTP header value")]
    InvalidHeader(&'static str),
    /// The Runtime API was shut down.
    #[error("the runtime API was shut down")]
    Shutdown,
}
