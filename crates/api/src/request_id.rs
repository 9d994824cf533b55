//! Gives every request an id, returned in `x-amzn-RequestId` and carried by its span. An
//! Invoke uses it as the invocation's request id (as Lambda does: the id in the response
//! header is the one in the function's log and context).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The id of the request being served (a request extension).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware: assigns the id, runs the request in a span, stamps the response.
pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| tracing::debug!(status = res.status().as_u16(), "request finished"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-amzn-RequestId", v);
    }
    res
}
