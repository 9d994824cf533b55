//! Dead letters: events whose every path failed, kept whole for inspection and redrive.

use chrono::{DateTime, Utc};

/// Why an event failed, as the dispatcher reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The discard condition (for example `RetriesExhausted` or `EventAgeExceeded`).
    pub condition: String,
    /// The last error's type (for example `Unhandled`), if there was one.
    pub error_type: Option<String>,
    /// The last error's message, if there was one.
    pub error_message: Option<String>,
}

/// One dead-lettered event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its position in the dead-letter store: listings page in this order.
    pub seq: i64,
    /// The request id.
    pub id: String,
    /// Plain function name.
    pub function: String,
    /// The qualifier it was invoked with.
    pub qualifier: String,
    /// The original payload.
    pub payload: Vec<u8>,
    /// When the event was received.
    pub received_at: DateTime<Utc>,
    /// Function-error retries it used.
    pub attempts: u32,
    /// When it was dead-lettered.
    pub failed_at: DateTime<Utc>,
    /// Why.
    pub failure: Failure,
}
