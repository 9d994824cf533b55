//! `POST /2018-06-01/runtime/invocation/{id}/response`: the function's result.
//!
//! Buffered or chunked bodies alike (streaming mode, `Lambda-Runtime-Function-Response-Mode:
//! streaming`, is buffered for now); a streamed body ending with the
//! `Lambda-Runtime-Function-Error-Type` trailer becomes an [`Outcome::Error`].

use base64::Engine as _;
use bytes::Bytes;
use http::request::Parts;
use hyper::body::Incoming;

use super::Route;
use crate::body::{read_capped, BodyError, Collected};
use crate::error::InvokeError;
use crate::headers;
use crate::reply::{self, Reply};
use crate::state::Shared;
use crate::types::Outcome;

/// Path of the endpoint for `request_id`.
#[cfg(test)]
pub(crate) fn path(request_id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{request_id}/response")
}

/// Recognises the part of the path after `runtime/invocation/`.
pub(super) fn parse(rest: &str) -> Option<Route<'_>> {
    super::invocation_id(rest, "response").map(Route::Response)
}

/// Answers the in-flight invocation `request_id` with the request's body.
pub(crate) async fn handle(
    shared: &Shared,
    request_id: &str,
    _parts: &Parts,
    body: Incoming,
) -> Reply {
    finish(shared, request_id, body, |collected| Ok(outcome(collected))).await
}

/// Shared by `/response` and `/error`: checks the id, reads the body within the limit, hands
/// `make(body)` to the waiting engine.
pub(super) async fn finish(
    shared: &Shared,
    request_id: &str,
    body: Incoming,
    make: impl FnOnce(Collected) -> Result<Outcome, InvokeError>,
) -> Reply {
    if !shared.is_in_flight(request_id) {
        tracing::debug!(request_id, "answer for an unknown or finished invocation");
        return reply::invalid_request_id();
    }
    match read_capped(body, shared.limits.max_response).await {
        Ok(collected) => {
            if shared.complete(request_id, make(collected)) {
                reply::accepted()
            } else {
                reply::invalid_request_id()
            }
        }
        Err(BodyError::TooLarge(limit)) => {
            tracing::info!(request_id, limit, "runtime response too large");
            shared.complete(request_id, Err(InvokeError::ResponseTooLarge));
            reply::too_large(limit)
        }
        Err(e @ BodyError::Truncated(_)) => {
            tracing::info!(request_id, error = %e, "runtime response truncated");
            shared.complete(request_id, Err(InvokeError::TruncatedResponse));
            reply::truncated()
        }
    }
}

/// A response body, or an error when the stream ended with error trailers.
fn outcome(collected: Collected) -> Outcome {
    let Some(trailers) = collected.trailers else {
        return Outcome::Response(collected.data);
    };
    let Some(error_type) = headers::error_type(&trailers) else {
        return Outcome::Response(collected.data);
    };
    let body = trailers
        .get(headers::ERROR_BODY)
        .and_then(|v| {
            base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes().trim_ascii())
                .ok()
        })
        .map(Bytes::from)
        .unwrap_or_else(|| {
            serde_json::json!({ "errorType": error_type, "errorMessage": "" })
                .to_string()
                .into()
        });
    Outcome::Error {
        error_type: Some(error_type),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn path_is_routed() {
        assert_eq!(
            super::super::route(&path("abc-1")),
            Some(Route::Response("abc-1"))
        );
        assert_eq!(Route::Response("x").method(), http::Method::POST);
    }

    #[test]
    fn error_trailers_make_an_error() {
        let mut t = HeaderMap::new();
        t.insert(
            headers::ERROR_TYPE,
            HeaderValue::from_static("Runtime.StreamError"),
        );
        t.insert(
            headers::ERROR_BODY,
            HeaderValue::from_static("eyJhIjoxfQ=="),
        );
        let got = outcome(Collected {
            data: Bytes::from_static(b"partial"),
            trailers: Some(t),
        });
        assert_eq!(
            got,
            Outcome::Error {
                error_type: Some("Runtime.StreamError".into()),
                body: Bytes::from_static(br#"{"a":1}"#),
            }
        );
        let plain = outcome(Collected {
            data: Bytes::from_static(b"ok"),
            trailers: Some(HeaderMap::new()),
        });
        assert_eq!(plain, Outcome::Response(Bytes::from_static(b"ok")));
    }
}
