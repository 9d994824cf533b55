//! The end of an event: the hook that hands it to its destinations or dead-letter target.

use async_trait::async_trait;
use stratus_store::queue::QueuedEvent;

/// Everything known about an event when it ends, for destination records (success or
/// failure) and dead-letter messages.
#[derive(Debug, Clone, Copy)]
pub struct EventEnd<'a> {
    /// The event as queued (its id is the request id of every attempt).
    pub event: &'a QueuedEvent,
    /// The function's ARN qualified as invoked (`…:$LATEST`, `…:3`, `…:alias`).
    pub function_arn: &'a str,
    /// `Success`, `RetriesExhausted`, `EventAgeExceeded`, `ZeroReservedConcurrency` or
    /// `FunctionNotFound`.
    pub condition: &'a str,
    /// How many times the function ran for this event (throttled tries not counted).
    pub approximate_invoke_count: u32,
    /// The version that ran last, if one did.
    pub executed_version: Option<&'a str>,
    /// `Unhandled` when the last run failed.
    pub function_error: Option<&'a str>,
    /// The last run's result or error body.
    pub response_payload: Option<&'a [u8]>,
    /// The last error's type (the function's `errorType`, or Lambda's error code).
    pub error_type: Option<&'a str>,
    /// The last error's message.
    pub error_message: Option<&'a str>,
    /// The qualifier's `OnSuccess` destination.
    pub on_success: Option<&'a str>,
    /// The qualifier's `OnFailure` destination.
    pub on_failure: Option<&'a str>,
    /// The version's `DeadLetterConfig.TargetArn`.
    pub dead_letter_target: Option<&'a str>,
}

impl EventEnd<'_> {
    /// Whether this is the success path.
    pub fn is_success(&self) -> bool {
        self.condition == crate::Condition::Success.as_str()
    }
}

/// What happens to an event at its end, besides leaving the queue.
#[async_trait]
pub trait Finish: Send + Sync {
    /// An event's end; Ok = taken (nothing more to do), Err(reason) = no target took it.
    async fn finish(&self, end: &EventEnd<'_>) -> Result<(), String>;
}

/// No delivery at all: a success needs nothing more; a failure is taken by no one (the
/// dispatcher keeps it in the store's dead letters).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTargets;

#[async_trait]
impl Finish for NoTargets {
    async fn finish(&self, end: &EventEnd<'_>) -> Result<(), String> {
        if end.is_success() {
            Ok(())
        } else {
            Err("no destination configured".to_owned())
        }
    }
}
