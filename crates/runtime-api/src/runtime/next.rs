//! `GET /2018-06-01/runtime/invocation/next`: long-poll for the next event.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Response};
use http_body_util::Full;

use super::Route;
use crate::error::InvokeError;
use crate::headers;
use crate::state::Shared;
use crate::types::Invocation;

/// Full path of the endpoint.
#[cfg(test)]
pub(crate) const PATH: &str = "/2018-06-01/runtime/invocation/next";

/// Recognises the part of the path after `runtime/invocation/`.
pub(super) fn parse(rest: &str) -> Option<Route<'_>> {
    (rest == "next").then_some(Route::Next)
}

/// Blocks until an invocation is queued, then returns its pre-rendered response.
pub(crate) async fn handle(shared: &Shared) -> Response<Full<Bytes>> {
    let response = shared.next().await;
    tracing::debug!(request_id = ?response.headers().get(headers::REQUEST_ID), "invocation delivered");
    response
}

/// Renders the `/next` response of `inv` (headers per RIE `renderInvokeHeaders`; empty and
/// absent ones omitted) and returns it with the request id as a header value. Done by the
/// engine's task before queueing, so `/next` only moves it. Strings are moved, not copied.
pub(crate) fn render(inv: Invocation) -> Result<(HeaderValue, Response<Full<Bytes>>), InvokeError> {
    let Invocation {
        request_id,
        deadline_ms,
        invoked_function_arn,
        trace_id,
        client_context,
        cognito_identity,
        payload,
    } = inv;
    let request_id =
        HeaderValue::try_from(request_id).map_err(|_| InvokeError::InvalidHeader("request_id"))?;
    let mut h = HeaderMap::with_capacity(8);
    h.insert(headers::REQUEST_ID, request_id.clone());
    h.insert(headers::DEADLINE_MS, HeaderValue::from(deadline_ms));
    if !invoked_function_arn.is_empty() {
        let arn = HeaderValue::try_from(invoked_function_arn)
            .map_err(|_| InvokeError::InvalidHeader("invoked_function_arn"))?;
        h.insert(headers::FUNCTION_ARN, arn);
    }
    if !trace_id.is_empty() {
        let trace =
            HeaderValue::try_from(trace_id).map_err(|_| InvokeError::InvalidHeader("trace_id"))?;
        h.insert(headers::TRACE_ID, trace);
    }
    if let Some(cc) = client_context.filter(|s| !s.is_empty()) {
        h.insert(headers::CLIENT_CONTEXT, json_header(cc, "client_context")?);
    }
    if let Some(ci) = cognito_identity.filter(|s| !s.is_empty()) {
        h.insert(
            headers::COGNITO_IDENTITY,
            json_header(ci, "cognito_identity")?,
        );
    }
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut response = Response::new(Full::new(payload));
    *response.headers_mut() = h;
    Ok((request_id, response))
}

/// JSON text as a header value. Line breaks can only be insignificant whitespace in valid
/// JSON, so they become spaces (pretty-printed client contexts stay usable).
fn json_header(mut text: String, field: &'static str) -> Result<HeaderValue, InvokeError> {
    if text.bytes().any(|b| b == b'\r' || b == b'\n') {
        text = text.replace(['\r', '\n'], " ");
    }
    HeaderValue::try_from(text).map_err(|_| InvokeError::InvalidHeader(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation() -> Invocation {
        Invocation {
            request_id: "id-1".into(),
            deadline_ms: 1_700_000_000_123,
            invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            trace_id: String::new(),
            client_context: Some("{\n  \"custom\": {}\n}".into()),
            cognito_identity: None,
            payload: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn renders_headers_and_omits_empty_ones() {
        let (id, r) = render(invocation()).unwrap();
        assert_eq!(id, "id-1");
        let h = r.headers();
        assert_eq!(h[headers::REQUEST_ID], "id-1");
        assert_eq!(h[headers::DEADLINE_MS], "1700000000123");
        assert_eq!(h[CONTENT_TYPE], "application/json");
        assert_eq!(h[headers::CLIENT_CONTEXT], "{   \"custom\": {} }");
        assert!(h.get(headers::TRACE_ID).is_none());
        assert!(h.get(headers::COGNITO_IDENTITY).is_none());
    }

    #[test]
    fn rejects_control_characters() {
        let mut inv = invocation();
        inv.trace_id = "Root=1\u{0}".into();
        assert_eq!(
            render(inv).unwrap_err(),
            InvokeError::InvalidHeader("trace_id")
        );
        let mut inv = invocation();
        inv.request_id = "a\nb".into();
        assert_eq!(
            render(inv).unwrap_err(),
            InvokeError::InvalidHeader("request_id")
        );
    }

    #[test]
    fn path() {
        assert_eq!(super::super::route(PATH), Some(Route::Next));
        assert_eq!(Route::Next.method(), http::Method::GET);
    }
}
