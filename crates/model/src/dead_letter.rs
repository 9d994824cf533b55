//! The dead-letter API's wire shapes (a Stratus extension): events no destination took.

use serde::Serialize;

/// One dead letter in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterSummary {
    /// The event's request id (kept from its `Invoke`).
    pub request_id: String,
    /// Plain function name.
    pub function_name: String,
    /// The qualifier it was invoked with.
    pub qualifier: String,
    /// When the event was received (Lambda's `Timestamp` form).
    pub received_at: String,
    /// When it was dead-lettered.
    pub failed_at: String,
    /// Function-error retries it used.
    pub attempts: u32,
    /// Why it failed (`RetriesExhausted`, `EventAgeExceeded`, `ZeroReservedConcurrency`…).
    pub condition: String,
    /// The last error's type, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The last error's message, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Size of the event in bytes.
    pub payload_size: u64,
}

/// One dead letter with its event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterDetail {
    /// What a listing shows.
    #[serde(flatten)]
    pub summary: DeadLetterSummary,
    /// The event as text (invalid UTF-8 replaced).
    pub payload: String,
}

/// `GET …/dead-letters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterPage {
    /// Oldest failure first.
    pub dead_letters: Vec<DeadLetterSummary>,
    /// Pass as `Marker` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// `POST …/redrive`: how many events went back to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Redriven {
    /// Events put back.
    pub redriven: u64,
}
