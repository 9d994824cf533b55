//! The rules of one invocation: check, resolve, dispatch by type.

use stratus_engine::InvokeRequest;
use stratus_model::invoke::{
    check_event_payload, check_payload, decode_client_context, InvocationType,
};
use stratus_model::LambdaError;

use crate::queue::invoked_qualifier;
use crate::{
    FunctionError, InvocationOutcome, InvocationRequest, Invocations, LogType, SyncResult,
};

/// Answer to Event invocations on a service built without a queue.
const EVENT_UNAVAILABLE: &str = "Asynchronous invocation (InvocationType Event) is not available on this server; use RequestResponse.";

impl Invocations {
    /// Runs, dry-runs or queues one invocation.
    ///
    /// The checks come in this order: payload (size, then JSON; 1 MB for Event, 6 MB
    /// otherwise), client context, the function and qualifier (404 when either is unknown),
    /// then the invocation type. A dry run stops there, before the engine's admission. An
    /// Event is accepted only once the transaction holding it has committed.
    pub async fn invoke(
        &self,
        req: InvocationRequest<'_>,
    ) -> Result<InvocationOutcome, LambdaError> {
        tracing::debug!(source = req.source.as_str(), function = req.function,
            qualifier = req.qualifier, invocation_type = ?req.invocation_type, "invocation");
        let payload = match req.invocation_type {
            InvocationType::Event => check_event_payload(req.payload)?,
            _ => check_payload(req.payload)?,
        };
        let client_context = req
            .client_context
            .filter(|c| !c.is_empty())
            .map(decode_client_context)
            .transpose()?;
        let target = self
            .control
            .resolve_invoke(req.function, req.qualifier)
            .await?;
        match req.invocation_type {
            InvocationType::RequestResponse => {}
            InvocationType::DryRun => {
                return Ok(InvocationOutcome::DryRun {
                    executed_version: target.version.version.to_string(),
                })
            }
            InvocationType::Event => {
                let queue = self
                    .queue
                    .as_ref()
                    .ok_or_else(|| LambdaError::invalid(EVENT_UNAVAILABLE))?;
                queue
                    .accept(
                        req.request_id,
                        &target.version.function_name,
                        invoked_qualifier(&target.invoked_arn),
                        payload,
                    )
                    .await?;
                return Ok(InvocationOutcome::Accepted);
            }
        }
        let out = self
            .engine
            .invoke(InvokeRequest {
                function: target.version,
                invoked_arn: target.invoked_arn,
                payload,
                client_context,
                tail: req.log_type == LogType::Tail,
                reserved_concurrency: target.reserved_concurrency,
                unreserved_pool: Some(target.unreserved_pool),
                request_id: req.request_id,
            })
            .await
            .map_err(|e| e.to_lambda())?;
        Ok(InvocationOutcome::Sync(SyncResult {
            payload: out.payload,
            function_error: out.function_error.then_some(FunctionError::Unhandled),
            log_result: out.log_result,
            executed_version: out.executed_version,
            request_id: out.request_id,
        }))
    }
}
