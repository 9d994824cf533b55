//! The CloudWatch Logs subset (JSON 1.1 protocol: `POST /` with `X-Amz-Target`), enough for
//! `aws logs describe-*`, `get-log-events`, `filter-log-events` and `aws logs tail`.
//!
//! Translation only: `stratus_logs::api` decodes the request (with its rules), the log
//! store answers it, and this file sends the JSON or renders the error, the one place Logs
//! errors take their wire form.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use stratus_logs::api::{is_logs_target, LogsError, Request};

use crate::AppState;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

fn target(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-amz-target").and_then(|v| v.to_str().ok())
}

/// Whether a request is for the Logs service (decides the SigV4 signing name).
pub fn is_logs_request(headers: &HeaderMap) -> bool {
    target(headers).is_some_and(is_logs_target)
}

/// `{"__type": TYPE, "message": MESSAGE}` with `x-amzn-ErrorType: TYPE`.
fn render(status: u16, error_type: &str, message: &str) -> Response {
    let body = serde_json::json!({"__type": error_type, "message": message}).to_string();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, [("content-type", CONTENT_TYPE)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(error_type) {
        res.headers_mut().insert("x-amzn-ErrorType", v);
    }
    res
}

fn render_error(e: &LogsError) -> Response {
    if e.status() >= 500 {
        tracing::warn!(error = %e, "logs request failed inside the server");
    } else {
        tracing::debug!(error = %e, "logs request rejected");
    }
    render(e.status(), e.error_type(), &e.wire_message())
}

pub async fn dispatch(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match Request::from_wire(target(&headers), &body) {
        Ok(r) => r,
        Err(e) => return render_error(&e),
    };
    // Streams whose events are not in memory are read from disk.
    let answered = tokio::task::spawn_blocking(move || {
        let scope = s.control.scope();
        s.logs
            .serve(&scope.region, &scope.account, req)
            .and_then(|r| r.to_json())
    })
    .await;
    match answered {
        Ok(Ok(json)) => (StatusCode::OK, [("content-type", CONTENT_TYPE)], json).into_response(),
        Ok(Err(e)) => render_error(&e),
        Err(e) => {
            tracing::warn!(error = %e, "logs request task failed");
            render(
                500,
                "ServiceUnavailableException",
                "The service cannot answer right now.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn errors_render_as_cloudwatch_logs_json() {
        let res = render_error(&LogsError::GroupNotFound("g".into()));
        assert_eq!(res.status(), 400);
        assert_eq!(res.headers()["content-type"], CONTENT_TYPE);
        assert_eq!(
            res.headers()["x-amzn-ErrorType"],
            "ResourceNotFoundException"
        );
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(
            &body[..],
            br#"{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}"#
        );
    }
}
