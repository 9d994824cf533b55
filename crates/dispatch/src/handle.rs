//! One claimed event from claim to its next state: resolve, check, run, decide, and end
//! or release it in the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use stratus_invocation::SyncResult;
use stratus_store::queue::{Failure, GroupCommit, GroupCommitError, QueuedEvent, Release};
use stratus_store::Store;

use crate::decide::{self, Condition, Ending, Step};
use crate::{Clock, DispatchSettings, EventEnd, Finish, Invoker, Target};

/// What handling needs; shared by every running event.
pub(crate) struct Core {
    pub store: Arc<dyn Store>,
    /// Ends and releases go through the group commit, sharing transactions with each
    /// other and with the accepted events.
    pub commit: GroupCommit,
    pub invoker: Arc<dyn Invoker>,
    pub finish: Arc<dyn Finish>,
    pub clock: Arc<dyn Clock>,
    pub settings: DispatchSettings,
    pub owner: String,
    /// Throttles and platform failures per event, for its back-off (not stored: a restart
    /// starts the back-off over, which only makes it shorter).
    throttles: Mutex<HashMap<String, u32>>,
}

impl Core {
    pub fn new(
        store: Arc<dyn Store>,
        commit: GroupCommit,
        invoker: Arc<dyn Invoker>,
        finish: Arc<dyn Finish>,
        clock: Arc<dyn Clock>,
        settings: DispatchSettings,
    ) -> Self {
        Self {
            store,
            commit,
            invoker,
            finish,
            clock,
            settings,
            owner: format!("dispatch-{}", uuid::Uuid::new_v4()),
            throttles: Mutex::new(HashMap::new()),
        }
    }

    /// Runs one claimed event to its next state.
    pub async fn handle(&self, mut event: QueuedEvent) {
        let target = match self.invoker.target(&event.function, &event.qualifier).await {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(function = %event.function, request_id = %event.id, error = %e, "async event target unresolved");
                let arn = self.invoker.arn(&event.function, &event.qualifier);
                let target = Target {
                    function_arn: arn,
                    ..Target::default()
                };
                return self
                    .apply(&event, &target, decide::unresolved(&e), None)
                    .await;
            }
        };
        let now = self.clock.now();
        let age = (now - event.received_at).to_std().unwrap_or_default();
        metrics::histogram!("stratus_async_event_age_seconds", "function" => event.function.clone())
            .record(age.as_secs_f64());
        if let Some(ending) =
            decide::before_run(&event, &target, now, self.settings.max_event_age_cap)
        {
            return self
                .end(&event, &target, ending, None, event.attempts)
                .await;
        }
        // The payload goes to the engine without a copy and comes back for the end hook.
        let payload = Bytes::from(std::mem::take(&mut event.payload));
        let result = self
            .invoker
            .run(&event, payload.clone(), event.attempts + 1)
            .await;
        event.payload = Vec::from(payload);
        let step = decide::after_run(event.attempts, &target, &result, self.settings.retry_base);
        self.apply(&event, &target, step, result.as_ref().ok())
            .await;
    }

    async fn apply(
        &self,
        event: &QueuedEvent,
        target: &Target,
        step: Step,
        ran: Option<&SyncResult>,
    ) {
        match step {
            Step::End(ending) => {
                let invoked = event.attempts + u32::from(ran.is_some());
                self.end(event, target, ending, ran, invoked).await;
            }
            Step::Retry { after } => {
                tracing::info!(function = %event.function, request_id = %event.id,
                    attempt = event.attempts + 1, retry_in_ms = after.as_millis() as u64,
                    "async event failed; retrying");
                self.release(event, after, true).await;
            }
            Step::Backoff => {
                let n = self.count_throttle(&event.id);
                let after = decide::backoff(n);
                tracing::debug!(function = %event.function, request_id = %event.id,
                    throttles = n, retry_in_ms = after.as_millis() as u64,
                    "async event throttled or not run; backing off");
                self.release(event, after, false).await;
            }
        }
    }

    fn count_throttle(&self, id: &str) -> u32 {
        let Ok(mut map) = self.throttles.lock() else {
            return 1;
        };
        let n = map.entry(id.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    fn forget(&self, id: &str) {
        if let Ok(mut map) = self.throttles.lock() {
            map.remove(id);
        }
    }

    /// The end: the hook first, then the event leaves the queue (completed when the hook
    /// took it, dead-lettered when not).
    async fn end(
        &self,
        event: &QueuedEvent,
        target: &Target,
        ending: Ending,
        ran: Option<&SyncResult>,
        invoked: u32,
    ) {
        let end = EventEnd {
            request_id: &event.id,
            function_arn: &target.function_arn,
            condition: ending.condition,
            approximate_invoke_count: invoked,
            request_payload: &event.payload,
            status_code: status_code(ending.condition, ran.is_some()),
            executed_version: ran.map(|r| r.executed_version.as_str()),
            function_error: ran.and_then(|r| r.function_error).map(|e| e.as_str()),
            response_payload: ran.map(|r| &r.payload[..]),
            error_type: ending.error_type.as_deref(),
            error_message: ending.error_message.as_deref(),
            on_success: target.on_success.as_deref(),
            on_failure: target.on_failure.as_deref(),
            dead_letter_target: target.dead_letter_target.as_deref(),
        };
        // Failed deliveries are counted by the deliverer, which knows which target failed.
        let taken = self.finish.finish(&end).await;
        let success = ending.condition == Condition::Success;
        if !success {
            metrics::counter!("stratus_async_events_dropped_total",
                "function" => event.function.clone(), "condition" => ending.condition.as_str())
            .increment(1);
        }
        let failure = match taken {
            Ok(()) => None,
            Err(reason) => Some(if success {
                Failure {
                    condition: ending.condition.as_str().to_owned(),
                    error_type: None,
                    error_message: Some(reason),
                }
            } else {
                // The function's last error, and why no target took the event when one was
                // configured (with none configured, the reason says nothing new).
                let configured = end.on_failure.is_some() || end.dead_letter_target.is_some();
                let error_message = match (ending.error_message, configured) {
                    (Some(m), true) => Some(format!("{m} (not delivered: {reason})")),
                    (None, true) => Some(format!("not delivered: {reason}")),
                    (m, false) => m,
                };
                Failure {
                    condition: ending.condition.as_str().to_owned(),
                    error_type: ending.error_type,
                    error_message,
                }
            }),
        };
        let stored = self.remove(event, failure.as_ref()).await;
        match (&failure, stored) {
            (_, Err(error)) => {
                tracing::warn!(function = %event.function, request_id = %event.id, %error,
                "cannot remove an ended async event; it runs again when its lease expires")
            }
            (None, Ok(_)) => tracing::debug!(function = %event.function, request_id = %event.id,
                condition = ending.condition.as_str(), "async event ended"),
            (Some(f), Ok(_)) => tracing::info!(function = %event.function, request_id = %event.id,
                condition = %f.condition, attempts = event.attempts, error_type = ?f.error_type,
                "async event dead-lettered"),
        }
        self.forget(&event.id);
    }

    async fn remove(
        &self,
        event: &QueuedEvent,
        failure: Option<&Failure>,
    ) -> Result<bool, GroupCommitError> {
        match failure {
            None => self.commit.complete(&event.id, &self.owner).await,
            Some(f) => {
                self.commit
                    .dead_letter(&event.id, &self.owner, f.clone(), self.clock.now())
                    .await
            }
        }
    }

    async fn release(&self, event: &QueuedEvent, after: Duration, count_attempt: bool) {
        let now = self.clock.now();
        let delta = chrono::TimeDelta::from_std(after).unwrap_or(chrono::TimeDelta::MAX);
        let not_before = now.checked_add_signed(delta).unwrap_or(now);
        let release = Release {
            not_before,
            count_attempt,
        };
        if let Err(error) = self.commit.release(&event.id, &self.owner, release).await {
            tracing::warn!(function = %event.function, request_id = %event.id, %error,
                "cannot release an async event; it runs again when its lease expires");
        }
    }

    /// Leases up to `limit` due events.
    pub async fn claim(&self, limit: usize) -> Result<Vec<QueuedEvent>, GroupCommitError> {
        self.commit
            .claim(&stratus_store::queue::ClaimRequest {
                owner: &self.owner,
                limit,
                now: self.clock.now(),
                lease: self.settings.lease,
            })
            .await
    }
}

/// The destination record's `responseContext.statusCode`: 200 when the function ran (a
/// function error included); otherwise what stopped it: a throttle (429) for a disabled
/// function or an event that aged out waiting, 404 for a function that is gone.
fn status_code(condition: Condition, ran: bool) -> u16 {
    match condition {
        _ if ran => 200,
        Condition::FunctionNotFound => 404,
        _ => 429,
    }
}
