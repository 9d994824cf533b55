//! What a producer gets back: the result of a synchronous run, a dry run's answer, or the
//! acknowledgement of a queued event.

use bytes::Bytes;

/// How an invocation ended, when the platform accepted it.
#[derive(Debug, Clone)]
pub enum InvocationOutcome {
    /// RequestResponse: the function ran (successfully or not).
    Sync(SyncResult),
    /// DryRun: the function could run; nothing ran.
    DryRun {
        /// The version that would run.
        executed_version: String,
    },
    /// Event: the event is committed to the queue and will run later.
    Accepted,
}

/// The result of a synchronous invocation.
#[derive(Debug, Clone)]
pub struct SyncResult {
    /// The function's result, or its error body.
    pub payload: Bytes,
    /// Set when the function failed.
    pub function_error: Option<FunctionError>,
    /// Base64 of the log tail, when asked for.
    pub log_result: Option<String>,
    /// The version that ran.
    pub executed_version: String,
    /// The invocation's request id.
    pub request_id: String,
}

/// Lambda's `FunctionError`: why the payload is an error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionError {
    /// The function (or its runtime) failed, timed out or ran out of memory.
    Unhandled,
}

impl FunctionError {
    /// The wire value (`X-Amz-Function-Error`, `FunctionError`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unhandled => "Unhandled",
        }
    }
}
