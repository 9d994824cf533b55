//! Canned responses of the Runtime API. Bodies are whole `Bytes` so hyper writes head and
//! body in one buffer.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// The body type of every response.
pub(crate) type Reply = Response<Full<Bytes>>;

fn with(status: StatusCode, content_type: &'static str, body: Bytes) -> Reply {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json(status: StatusCode, body: &'static [u8]) -> Reply {
    with(status, "application/json", Bytes::from_static(body))
}

/// `202 {"status":"OK"}`.
pub(crate) fn accepted() -> Reply {
    json(StatusCode::ACCEPTED, br#"{"status":"OK"}"#)
}

/// `400 InvalidRequestID`: unknown or already answered request id.
pub(crate) fn invalid_request_id() -> Reply {
    json(
        StatusCode::BAD_REQUEST,
        br#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
    )
}

/// `413 RequestEntityTooLarge`.
pub(crate) fn too_large(limit: usize) -> Reply {
    let body = format!(
        r#"{{"errorMessage":"Exceeded maximum allowed payload size ({limit} bytes).","errorType":"RequestEntityTooLarge"}}"#
    );
    with(
        StatusCode::PAYLOAD_TOO_LARGE,
        "application/json",
        body.into(),
    )
}

/// `400 TruncatedHTTPRequest`: the body could not be read to its end.
pub(crate) fn truncated() -> Reply {
    json(
        StatusCode::BAD_REQUEST,
        br#"{"errorMessage":"HTTP request detected as truncated","errorType":"TruncatedHTTPRequest"}"#,
    )
}

/// `404` for paths no endpoint family serves.
pub(crate) fn not_found() -> Reply {
    json(
        StatusCode::NOT_FOUND,
        br#"{"errorMessage":"Not found","errorType":"NotFound"}"#,
    )
}

/// `405` for a known path with the wrong method.
pub(crate) fn method_not_allowed() -> Reply {
    json(
        StatusCode::METHOD_NOT_ALLOWED,
        br#"{"errorMessage":"Method not allowed","errorType":"MethodNotAllowed"}"#,
    )
}

/// `200 pong`.
pub(crate) fn pong() -> Reply {
    with(StatusCode::OK, "text/plain", Bytes::from_static(b"pong"))
}
