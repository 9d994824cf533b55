//! How the dispatcher runs: its concurrency, Lambda's retry spacing, and test settings.

use std::time::Duration;

/// Dispatcher settings.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// At most this many events run at once (claims never take more than are free).
    pub concurrency: usize,
    /// The wait before the first function-error retry; the second waits twice this. 60 s,
    /// as on Lambda; tests shorten it.
    pub retry_base: Duration,
    /// A test setting: when set, every event's maximum age is at most this, whatever its
    /// `MaximumEventAgeInSeconds` (which cannot be under 60 s), so expiry is testable
    /// without waiting a minute.
    pub max_event_age_cap: Option<Duration>,
    /// How often the queue is polled for events whose back-off has ended (enqueues and
    /// finished runs wake the dispatcher at once).
    pub poll_interval: Duration,
    /// How long a claim leases an event: longer than any run can take (the longest
    /// function timeout, 900 s, the 10 s init limit and the end hook, with margin), so a
    /// live run is never taken by another claim. On start every lease left in the store is
    /// ended (single node: its owner is gone).
    pub lease: Duration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            concurrency: 1000,
            retry_base: Duration::from_secs(60),
            max_event_age_cap: None,
            poll_interval: Duration::from_millis(250),
            lease: Duration::from_secs(20 * 60),
        }
    }
}
