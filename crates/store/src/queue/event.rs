//! Queued events: what an enqueue carries, and what a claim hands out.

use chrono::{DateTime, Utc};

/// An event to enqueue: one asynchronous invocation as accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// The request id (a uuid string), kept for every attempt and record.
    pub id: String,
    /// Plain function name.
    pub function: String,
    /// `$LATEST`, a version number or an alias name.
    pub qualifier: String,
    /// The invocation payload (its size limit is the caller's rule).
    pub payload: Vec<u8>,
    /// When it was accepted; also when it first becomes runnable.
    pub received_at: DateTime<Utc>,
}

/// A dispatcher's hold on an event while it runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Who holds it (unique per dispatcher process).
    pub owner: String,
    /// When it ends; after that the event is runnable again.
    pub expires_at: DateTime<Utc>,
}

/// An event in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent {
    /// The request id.
    pub id: String,
    /// Plain function name.
    pub function: String,
    /// The qualifier it was invoked with.
    pub qualifier: String,
    /// The invocation payload.
    pub payload: Vec<u8>,
    /// When it was accepted (or redriven).
    pub received_at: DateTime<Utc>,
    /// Function-error retries used so far.
    pub attempts: u32,
    /// Not claimable before this (back-off).
    pub not_before: DateTime<Utc>,
    /// The lease, if one was granted and not ended (it may have expired).
    pub lease: Option<Lease>,
}

/// How a claim leases events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest<'a> {
    /// Who takes the leases.
    pub owner: &'a str,
    /// At most this many events.
    pub limit: usize,
    /// The current time: events due by then are runnable, leases expired by then are free.
    pub now: DateTime<Utc>,
    /// The leases end at `now + lease`.
    pub lease: std::time::Duration,
}

/// How an event goes back to the queue after an attempt that did not finish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// Not claimable before this (back-off).
    pub not_before: DateTime<Utc>,
    /// True when the attempt used up a retry (a function error or timeout); false for a
    /// throttle or a platform failure.
    pub count_attempt: bool,
}

/// Queue depth and age of one function, for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionQueueStats {
    /// Plain function name.
    pub function: String,
    /// Events in the queue (leased or not).
    pub depth: u64,
    /// When the oldest of them was received.
    pub oldest_received_at: DateTime<Utc>,
}
