//! The real [`Invoker`]: resolution through the control plane, the qualifier's
//! event-invoke config from the store, and runs through the invocation service.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use stratus_control::Control;
use stratus_invocation::{
    InvocationOutcome, InvocationRequest, InvocationSource, InvocationType, Invocations, LogType,
    SyncResult,
};
use stratus_model::LambdaError;
use stratus_store::queue::QueuedEvent;
use stratus_store::Store;

use crate::{Invoker, Target};

/// The server's invoker.
#[derive(Clone)]
pub struct LiveInvoker {
    control: Control,
    invocations: Invocations,
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for LiveInvoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveInvoker").finish_non_exhaustive()
    }
}

impl LiveInvoker {
    /// Over the control plane, the invocation service and the store they share.
    pub fn new(control: Control, invocations: Invocations, store: Arc<dyn Store>) -> Self {
        Self {
            control,
            invocations,
            store,
        }
    }
}

#[async_trait]
impl Invoker for LiveInvoker {
    async fn target(&self, function: &str, qualifier: &str) -> Result<Target, LambdaError> {
        let resolved = self
            .control
            .resolve_invoke(function, Some(qualifier))
            .await?;
        let config = self
            .store
            .event_invoke_config(function, qualifier)
            .await
            .map_err(|error| {
                tracing::warn!(function, qualifier, %error, "cannot read the event invoke config");
                LambdaError::internal()
            })?;
        let settings = config.map(|r| r.settings).unwrap_or_default();
        let destinations = settings.destination_config.unwrap_or_default();
        Ok(Target {
            function_arn: resolved.invoked_arn,
            reserved_concurrency: resolved.reserved_concurrency,
            dead_letter_target: resolved.version.settings.dead_letter_target.clone(),
            maximum_retry_attempts: settings.maximum_retry_attempts,
            maximum_event_age_in_seconds: settings.maximum_event_age_in_seconds,
            on_success: destinations.on_success.destination,
            on_failure: destinations.on_failure.destination,
        })
    }

    async fn run(
        &self,
        event: &QueuedEvent,
        payload: Bytes,
        attempt: u32,
    ) -> Result<SyncResult, LambdaError> {
        let outcome = self
            .invocations
            .invoke(InvocationRequest {
                function: &event.function,
                qualifier: Some(&event.qualifier),
                invocation_type: InvocationType::RequestResponse,
                payload,
                client_context: None,
                log_type: LogType::None,
                request_id: event.id.clone(),
                source: InvocationSource::Async { attempt },
            })
            .await?;
        match outcome {
            InvocationOutcome::Sync(result) => Ok(result),
            other => {
                tracing::error!(?other, "a RequestResponse invocation did not run");
                Err(LambdaError::internal())
            }
        }
    }

    fn arn(&self, function: &str, qualifier: &str) -> String {
        self.control.scope().qualified_arn(function, qualifier)
    }
}
