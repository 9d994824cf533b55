//! What the dispatcher needs from the rest of the server: resolving an event's target and
//! running it. A trait so the decisions are unit-tested without sandboxes.

use async_trait::async_trait;
use bytes::Bytes;
use stratus_invocation::SyncResult;
use stratus_model::LambdaError;
use stratus_store::queue::QueuedEvent;

/// What an event's function and qualifier resolve to now, with its async settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The function ARN qualified as invoked.
    pub function_arn: String,
    /// The function's reserved concurrency.
    pub reserved_concurrency: Option<i64>,
    /// The version's `DeadLetterConfig.TargetArn`.
    pub dead_letter_target: Option<String>,
    /// The qualifier's `MaximumRetryAttempts`, if configured.
    pub maximum_retry_attempts: Option<i64>,
    /// The qualifier's `MaximumEventAgeInSeconds`, if configured.
    pub maximum_event_age_in_seconds: Option<i64>,
    /// The qualifier's `OnSuccess` destination.
    pub on_success: Option<String>,
    /// The qualifier's `OnFailure` destination.
    pub on_failure: Option<String>,
}

/// Resolution and invocation, as the dispatcher uses them.
#[async_trait]
pub trait Invoker: Send + Sync {
    /// Resolves the event's function and qualifier (404 when either is gone).
    async fn target(&self, function: &str, qualifier: &str) -> Result<Target, LambdaError>;

    /// Runs the event once, synchronously, with `payload` (taken out of `event`); `attempt`
    /// counts runs from 1. A function error is `Ok` with its `function_error` set; a
    /// throttle is 429, a platform failure 5xx.
    async fn run(
        &self,
        event: &QueuedEvent,
        payload: Bytes,
        attempt: u32,
    ) -> Result<SyncResult, LambdaError>;

    /// The ARN of a function qualified as invoked, when it could not be resolved.
    fn arn(&self, function: &str, qualifier: &str) -> String;
}
