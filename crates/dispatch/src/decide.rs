//! Lambda's rules for an asynchronous event, as pure functions of the event, its target,
//! the time and the attempt's result.

use std::time::Duration;

use chrono::{DateTime, Utc};
use stratus_invocation::SyncResult;
use stratus_model::{ErrorKind, LambdaError};
use stratus_store::queue::QueuedEvent;

pub use stratus_destinations::Condition;

use crate::Target;

/// Function-error retries when the qualifier has no `MaximumRetryAttempts`.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// An event's maximum age when the qualifier has no `MaximumEventAgeInSeconds` (6 h, also
/// the largest allowed).
pub const DEFAULT_MAX_EVENT_AGE: Duration = Duration::from_secs(21_600);
/// The first throttle or platform-failure back-off; it doubles on each one after.
const BACKOFF_START: Duration = Duration::from_secs(1);
/// The longest throttle or platform-failure back-off.
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// How an event's end is described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub condition: Condition,
    pub error_type: Option<String>,
    pub error_message: Option<String>,
}

impl Ending {
    fn new(condition: Condition, error_type: Option<String>, error_message: String) -> Self {
        Self {
            condition,
            error_type,
            error_message: Some(error_message),
        }
    }

    fn from_error(condition: Condition, e: &LambdaError) -> Self {
        Self::new(condition, Some(e.kind.code().to_owned()), e.message.clone())
    }
}

/// What to do after an attempt (or a failed resolution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The event ends, on the success or the failure path.
    End(Ending),
    /// Back to the queue after a function error, using a retry.
    Retry { after: Duration },
    /// Back to the queue after a throttle or platform failure, without using a retry; the
    /// delay grows with the event's count of such tries ([`backoff`]).
    Backoff,
}

/// The maximum age of an event whose qualifier has `configured` (clamped to 60 s – 6 h,
/// then to the test cap if any).
pub fn max_event_age(configured: Option<i64>, cap: Option<Duration>) -> Duration {
    let age = configured.map_or(DEFAULT_MAX_EVENT_AGE, |s| {
        Duration::from_secs(s.clamp(60, 21_600).unsigned_abs())
    });
    cap.map_or(age, |cap| age.min(cap))
}

/// The retries allowed (0–2, default 2).
pub fn max_retries(configured: Option<i64>) -> u32 {
    configured.map_or(DEFAULT_MAX_RETRIES, |r| r.clamp(0, 2) as u32)
}

/// Whether the event must end before it runs: too old, or its function cannot run.
pub fn before_run(
    event: &QueuedEvent,
    target: &Target,
    now: DateTime<Utc>,
    cap: Option<Duration>,
) -> Option<Ending> {
    let age = (now - event.received_at).to_std().unwrap_or_default();
    let limit = max_event_age(target.maximum_event_age_in_seconds, cap);
    if age > limit {
        let message = format!(
            "event age {} s exceeded the maximum event age of {} s",
            age.as_secs(),
            limit.as_secs()
        );
        return Some(Ending::new(Condition::EventAgeExceeded, None, message));
    }
    if target.reserved_concurrency == Some(0) {
        let message = "the function's reserved concurrency is 0".to_owned();
        return Some(Ending::new(
            Condition::ZeroReservedConcurrency,
            None,
            message,
        ));
    }
    None
}

/// What follows a failed resolution: a function or qualifier that is gone ends the event;
/// anything else is the platform's failure, retried with back-off.
pub fn unresolved(e: &LambdaError) -> Step {
    match e.kind {
        ErrorKind::ResourceNotFound => {
            Step::End(Ending::from_error(Condition::FunctionNotFound, e))
        }
        _ => Step::Backoff,
    }
}

/// What follows a run. `attempts` is the retries the event had used before it.
pub fn after_run(
    attempts: u32,
    target: &Target,
    result: &Result<SyncResult, LambdaError>,
    retry_base: Duration,
) -> Step {
    match result {
        Ok(r) if r.function_error.is_none() => Step::End(Ending {
            condition: Condition::Success,
            error_type: None,
            error_message: None,
        }),
        Ok(r) => {
            if attempts < max_retries(target.maximum_retry_attempts) {
                Step::Retry {
                    after: retry_base.saturating_mul(attempts + 1),
                }
            } else {
                let (error_type, error_message) = function_error(&r.payload);
                Step::End(Ending {
                    condition: Condition::RetriesExhausted,
                    error_type: Some(error_type),
                    error_message,
                })
            }
        }
        Err(e) if e.kind == ErrorKind::TooManyRequests || e.kind.status() >= 500 => Step::Backoff,
        Err(e) if e.kind == ErrorKind::ResourceNotFound => {
            Step::End(Ending::from_error(Condition::FunctionNotFound, e))
        }
        // The event itself cannot run (nothing else reaches here after the accept checks).
        Err(e) => Step::End(Ending::from_error(Condition::RetriesExhausted, e)),
    }
}

/// The back-off after the `n`th throttle or platform failure of an event (from 1): 1 s,
/// 2 s, 4 s … at most 5 min.
pub fn backoff(n: u32) -> Duration {
    let doublings = n.saturating_sub(1).min(20);
    BACKOFF_START
        .saturating_mul(1 << doublings)
        .min(BACKOFF_CAP)
}

/// The error type and message of a function error body (`errorType`, `errorMessage`), or
/// `Unhandled` when it has none.
fn function_error(payload: &[u8]) -> (String, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(rename = "errorType")]
        error_type: Option<String>,
        #[serde(rename = "errorMessage")]
        error_message: Option<String>,
    }
    match serde_json::from_slice::<Body>(payload) {
        Ok(b) => (
            b.error_type.unwrap_or_else(|| "Unhandled".to_owned()),
            b.error_message,
        ),
        Err(_) => ("Unhandled".to_owned(), None),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
