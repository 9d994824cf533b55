//! Invoke: `POST /2015-03-31/functions/{F}/invocations`, and the legacy InvokeAsync:
//! `POST /2014-11-13/functions/{F}/invoke-async/`. Translates the request into an
//! [`InvocationRequest`] and the [`InvocationOutcome`] into the response; the rules are the
//! invocation service's.

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use stratus_invocation::{
    InvocationOutcome, InvocationRequest, InvocationSource, InvocationType, Invocations, LogType,
};

use crate::body::Params;
use crate::error::ApiError;
use crate::request_id::RequestId;

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn invoke(
    State(invocations): State<Invocations>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(function): Path<String>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let invocation_type = InvocationType::parse(header(&headers, "x-amz-invocation-type"))?;
    let outcome = invocations
        .invoke(InvocationRequest {
            function: &function,
            qualifier: q.get("Qualifier"),
            invocation_type,
            payload: body,
            client_context: header(&headers, "x-amz-client-context"),
            log_type: LogType::parse(header(&headers, "x-amz-log-type")),
            request_id,
            source: InvocationSource::Api,
        })
        .await?;
    Ok(render(outcome))
}

/// InvokeAsync: the raw body as an Event invocation of the unqualified function; 202
/// `{"Status":202}` once it is queued.
pub async fn invoke_async(
    State(invocations): State<Invocations>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(function): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    invocations
        .invoke(InvocationRequest {
            function: &function,
            qualifier: None,
            invocation_type: InvocationType::Event,
            payload: body,
            client_context: None,
            log_type: LogType::None,
            request_id,
            source: InvocationSource::Api,
        })
        .await?;
    let mut res = (StatusCode::ACCEPTED, r#"{"Status":202}"#).into_response();
    res.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    Ok(res)
}

/// The response for an outcome: 200 with the result, 204 for a dry run, 202 for a queued
/// event.
fn render(outcome: InvocationOutcome) -> Response {
    match outcome {
        InvocationOutcome::Sync(out) => {
            let mut res = (StatusCode::OK, out.payload).into_response();
            let h = res.headers_mut();
            h.insert("content-type", HeaderValue::from_static("application/json"));
            // Owned strings become header values without a copy.
            if let Ok(v) = HeaderValue::try_from(out.executed_version) {
                h.insert("x-amz-executed-version", v);
            }
            if let Some(e) = out.function_error {
                h.insert("x-amz-function-error", HeaderValue::from_static(e.as_str()));
            }
            if let Some(tail) = out.log_result.and_then(|t| HeaderValue::try_from(t).ok()) {
                h.insert("x-amz-log-result", tail);
            }
            res
        }
        InvocationOutcome::DryRun { executed_version } => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            if let Ok(v) = HeaderValue::try_from(executed_version) {
                res.headers_mut().insert("x-amz-executed-version", v);
            }
            res
        }
        InvocationOutcome::Accepted => StatusCode::ACCEPTED.into_response(),
    }
}
