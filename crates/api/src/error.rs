//! The one place Lambda errors become HTTP responses.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use stratus_model::error::MessageCase;
use stratus_model::{ErrorKind, LambdaError};

/// A Lambda error on its way out.
#[derive(Debug)]
pub struct ApiError(pub LambdaError);

impl From<LambdaError> for ApiError {
    fn from(e: LambdaError) -> Self {
        ApiError(e)
    }
}

/// Renders `code` with `message` the way AWS's rest-json services do.
pub fn error_response(
    status: u16,
    code: &str,
    message: &str,
    case: MessageCase,
    fault: &str,
) -> Response {
    error_response_with_reason(status, code, message, case, fault, None)
}

/// [`error_response`] with a `Reason` member (TooManyRequestsException).
fn error_response_with_reason(
    status: u16,
    code: &str,
    message: &str,
    case: MessageCase,
    fault: &str,
    reason: Option<&str>,
) -> Response {
    let key = match case {
        MessageCase::Upper => "Message",
        MessageCase::Lower => "message",
    };
    let mut body = serde_json::json!({ "Type": fault, key: message });
    if let (Some(reason), Some(map)) = (reason, body.as_object_mut()) {
        map.insert("Reason".to_owned(), reason.into());
    }
    let body = body.to_string();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(code) {
        h.insert("x-amzn-ErrorType", v);
    }
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let k = self.0.kind;
        if k == ErrorKind::Service {
            tracing::warn!(code = k.code(), "request failed inside the server");
        } else {
            tracing::debug!(code = k.code(), message = %self.0.message, "request rejected");
        }
        error_response_with_reason(
            k.status(),
            k.code(),
            &self.0.message,
            k.message_case(),
            k.fault(),
            self.0.reason,
        )
    }
}
