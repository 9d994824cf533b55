//! Values exchanged between the engine and the Runtime API.

use bytes::Bytes;

/// Lambda's maximum synchronous payload: 6 MiB + 100 bytes (RIE `interop.MaxPayloadSize`).
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024 + 100;

/// One event to hand to the runtime on its `GET /next`.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// `Lambda-Runtime-Deadline-Ms`: absolute deadline, epoch milliseconds.
    pub deadline_ms: u64,
    /// `Lambda-Runtime-Invoked-Function-Arn`, as invoked (with alias or version).
    pub invoked_function_arn: String,
    /// `Lambda-Runtime-Trace-Id`, e.g. `Root=1-…;Parent=…;Sampled=0` (omitted when empty).
    pub trace_id: String,
    /// `Lambda-Runtime-Client-Context`: the decoded JSON text.
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Cognito-Identity`: JSON text.
    pub cognito_identity: Option<String>,
    /// The event, sent as the `/next` body.
    pub payload: Bytes,
}

/// How the runtime finished an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /response`: the function's result.
    Response(Bytes),
    /// `POST /error` (or a streamed response ending with error trailers).
    Error {
        /// `Lambda-Runtime-Function-Error-Type`, when sent.
        error_type: Option<String>,
        /// The error document, passed through untouched.
        body: Bytes,
    },
}

/// A change in the environment's lifecycle, as seen by the Runtime API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvEvent {
    /// The runtime called `/next` for the first time.
    Ready,
    /// The runtime reported `POST /init/error`.
    InitError {
        /// `Lambda-Runtime-Function-Error-Type`, when sent.
        error_type: Option<String>,
        /// The error document.
        body: Bytes,
    },
}

/// Limits applied to what the runtime sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `/response`, `/error` or `/init/error` body accepted, in bytes.
    pub max_response: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_response: MAX_PAYLOAD,
        }
    }
}
