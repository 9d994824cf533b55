//! Invoke: `POST /2015-03-31/functions/{F}/invocations`.

use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use stratus_engine::InvokeRequest;
use stratus_model::invoke::{check_payload, decode_client_context, InvocationType};
use stratus_model::LambdaError;

use crate::body::Params;
use crate::error::ApiError;
use crate::request_id::RequestId;
use crate::AppState;

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn invoke(
    State(s): State<AppState>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path(function): Path<String>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = InvocationType::parse(header(&headers, "x-amz-invocation-type"))?;
    let payload = check_payload(body)?;
    let client_context = header(&headers, "x-amz-client-context")
        .filter(|c| !c.is_empty())
        .map(decode_client_context)
        .transpose()?;
    let target = s
        .control
        .resolve_invoke(&function, q.get("Qualifier"))
        .await?;
    let executed = target.version.version.to_string();
    match kind {
        InvocationType::DryRun => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            if let Ok(v) = HeaderValue::from_str(&executed) {
                res.headers_mut().insert("x-amz-executed-version", v);
            }
            return Ok(res);
        }
        InvocationType::Event => {
            return Err(LambdaError::invalid(
                "Asynchronous invocation (InvocationType Event) is not available on this server yet; use RequestResponse.",
            )
            .into())
        }
        InvocationType::RequestResponse => {}
    }
    let out = s
        .engine
        .invoke(InvokeRequest {
            function: target.version,
            invoked_arn: target.invoked_arn,
            payload,
            client_context,
            tail: header(&headers, "x-amz-log-type") == Some("Tail"),
            reserved_concurrency: target.reserved_concurrency,
            request_id,
        })
        .await
        .map_err(|e| ApiError(e.to_lambda()))?;
    let mut res = (StatusCode::OK, out.payload).into_response();
    let h = res.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&out.executed_version) {
        h.insert("x-amz-executed-version", v);
    }
    if out.function_error {
        h.insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
    }
    if let Some(tail) = out.log_result.and_then(|t| HeaderValue::from_str(&t).ok()) {
        h.insert("x-amz-log-result", tail);
    }
    Ok(res)
}
