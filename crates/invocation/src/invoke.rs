//! The rules of one invocation: check, resolve, dispatch by type.

use stratus_engine::InvokeRequest;
use stratus_model::invoke::{check_payload, decode_client_context, InvocationType};
use stratus_model::LambdaError;

use crate::{
    FunctionError, InvocationOutcome, InvocationRequest, Invocations, LogType, SyncResult,
};

/// Answer to Event invocations until the async dispatcher exists.
const EVENT_UNAVAILABLE: &str = "Asynchronous invocation (InvocationType Event) is not available on this server yet; use RequestResponse.";

impl Invocations {
    /// Runs, dry-runs or (one day) queues one invocation.
    ///
    /// The checks come in this order: payload (size, then JSON), client context, the
    /// function and qualifier (404 when either is unknown), then the invocation type. A dry
    /// run stops there, before the engine's admission.
    pub async fn invoke(
        &self,
        req: InvocationRequest<'_>,
    ) -> Result<InvocationOutcome, LambdaError> {
        tracing::debug!(source = req.source.as_str(), function = req.function,
            qualifier = req.qualifier, invocation_type = ?req.invocation_type, "invocation");
        let payload = check_payload(req.payload)?;
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
            InvocationType::Event => return Err(LambdaError::invalid(EVENT_UNAVAILABLE)),
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
