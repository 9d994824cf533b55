//! The rules of an event's end: which target gets what, retried once, counted when failed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use stratus_model::destination::{Target, TargetUse};
use stratus_model::Scope;

use crate::end::EventEnd;
use crate::record::destination_record;
use crate::webhook::{dead_letter_headers, json_headers, BuildError, DeadLetterHeaders, Webhooks};

/// Hands an asynchronous invocation to a function of this server.
#[async_trait]
pub trait FunctionSink: Send + Sync {
    /// Enqueues an event with `payload` for `function_arn` (a full function ARN, maybe
    /// qualified) as an `Event` invoke would; `Ok` once it is accepted (durable).
    async fn enqueue(&self, function_arn: &str, payload: Bytes) -> Result<(), String>;
}

/// How deliveries behave.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// A webhook request's time limit (connect and answer).
    pub timeout: Duration,
    /// The pause before a target's second try.
    pub retry_delay: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retry_delay: Duration::from_millis(500),
        }
    }
}

/// Delivers events' ends; cheap to clone, one per server.
#[derive(Clone)]
pub struct Deliverer {
    scope: Scope,
    sink: Arc<dyn FunctionSink>,
    webhooks: Webhooks,
    retry_delay: Duration,
}

impl std::fmt::Debug for Deliverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliverer")
            .field("scope", &self.scope)
            .field("retry_delay", &self.retry_delay)
            .finish_non_exhaustive()
    }
}

impl Deliverer {
    /// A deliverer for this server's `scope`, handing function targets to `sink`.
    pub fn new(
        scope: Scope,
        sink: Arc<dyn FunctionSink>,
        config: &DeliveryConfig,
    ) -> Result<Self, BuildError> {
        Ok(Self {
            scope,
            sink,
            webhooks: Webhooks::new(config.timeout)?,
            retry_delay: config.retry_delay,
        })
    }

    /// Delivers `end` as the crate documentation says: `Ok` when a target took it (or a
    /// success had no `OnSuccess`), else why no target did.
    pub async fn finish(&self, end: &EventEnd<'_>) -> Result<(), String> {
        let function = end.function_name();
        if end.condition.is_success() {
            let Some(target) = end.on_success.filter(|t| !t.is_empty()) else {
                return Ok(());
            };
            return self
                .destination(target, end)
                .await
                .map_err(|e| failed_destination(function, "OnSuccess", target, e));
        }
        let mut reasons = Vec::new();
        if let Some(target) = end.on_failure.filter(|t| !t.is_empty()) {
            match self.destination(target, end).await {
                Ok(()) => return Ok(()),
                Err(e) => reasons.push(failed_destination(function, "OnFailure", target, e)),
            }
        }
        if let Some(target) = end.dead_letter_target.filter(|t| !t.is_empty()) {
            match self.dead_letter(target, end).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    metrics::counter!("stratus_dead_letter_errors_total", "function" => function.to_owned())
                        .increment(1);
                    tracing::warn!(function, request_id = end.request_id, target, error = %e, "dead-letter delivery failed");
                    reasons.push(format!("DeadLetterConfig target {target}: {e}"));
                }
            }
        }
        if reasons.is_empty() {
            return Err("no OnFailure destination or DeadLetterConfig target is configured".into());
        }
        Err(reasons.join("; "))
    }

    /// The destination record to `target`.
    async fn destination(&self, target: &str, end: &EventEnd<'_>) -> Result<(), String> {
        let record = Bytes::from(destination_record(end, chrono::Utc::now()));
        match self.target(target, TargetUse::Destination)? {
            Target::Function { .. } => {
                self.twice(|| self.sink.enqueue(target, record.clone()))
                    .await
            }
            Target::Webhook(url) => {
                self.twice(|| self.webhooks.post(&url, record.clone(), json_headers()))
                    .await
            }
        }
    }

    /// The raw event to the dead-letter `target`.
    async fn dead_letter(&self, target: &str, end: &EventEnd<'_>) -> Result<(), String> {
        let event = Bytes::copy_from_slice(end.request_payload);
        match self.target(target, TargetUse::DeadLetter)? {
            Target::Function { .. } => {
                self.twice(|| self.sink.enqueue(target, event.clone()))
                    .await
            }
            Target::Webhook(url) => {
                let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&event).is_ok();
                let headers = dead_letter_headers(
                    &DeadLetterHeaders {
                        request_id: end.request_id,
                        status_code: end.status_code,
                        error_type: end.error_type,
                        error_message: end.error_message,
                        condition: end.condition.as_str(),
                    },
                    is_json,
                );
                self.twice(|| self.webhooks.post(&url, event.clone(), headers.clone()))
                    .await
            }
        }
    }

    fn target(&self, target: &str, what: TargetUse) -> Result<Target, String> {
        Target::parse(target, what, &self.scope).map_err(|e| e.message)
    }

    /// Runs `attempt`, and once more after the back-off if it failed.
    async fn twice<F, Fut>(&self, mut attempt: F) -> Result<(), String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let Err(first) = attempt().await else {
            return Ok(());
        };
        tracing::debug!(error = %first, "delivery failed; trying once more");
        tokio::time::sleep(self.retry_delay).await;
        attempt().await.map_err(|second| {
            if second == first {
                format!("{second} (twice)")
            } else {
                format!("{second} (first try: {first})")
            }
        })
    }
}

/// Counts and logs a failed destination; the reason for the caller.
fn failed_destination(function: &str, which: &str, target: &str, error: String) -> String {
    metrics::counter!("stratus_destination_delivery_failures_total", "function" => function.to_owned())
        .increment(1);
    tracing::warn!(function, target, destination = which, error = %error, "destination delivery failed");
    format!("{which} destination {target}: {error}")
}
