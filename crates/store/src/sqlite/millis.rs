//! Times as the queue tables store them: epoch milliseconds, UTC.

use chrono::{DateTime, Utc};

use crate::StoreError;

/// The stored form of a time.
pub(super) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time; `what` names it in the error.
pub(super) fn from_ms(what: &'static str, millis: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(millis).ok_or(StoreError::TimeOutOfRange { what, millis })
}
