//! `POST /2018-06-01/runtime/invocation/{id}/error`: the handler failed. The body (any JSON)
//! is passed through; `Lambda-Runtime-Function-Error-Type` is optional.

use http::request::Parts;
use hyper::body::Incoming;

use super::response::finish;
use super::Route;
use crate::headers;
use crate::reply::Reply;
use crate::state::Shared;
use crate::types::Outcome;

/// Path of the endpoint for `request_id`.
#[cfg(test)]
pub(crate) fn path(request_id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{request_id}/error")
}

/// Recognises the part of the path after `runtime/invocation/`.
pub(super) fn parse(rest: &str) -> Option<Route<'_>> {
    super::invocation_id(rest, "error").map(Route::Error)
}

/// Fails the in-flight invocation `request_id` with the runtime's error document.
pub(crate) async fn handle(
    shared: &Shared,
    request_id: &str,
    parts: &Parts,
    body: Incoming,
) -> Reply {
    let error_type = headers::error_type(&parts.headers);
    finish(shared, request_id, body, |collected| {
        Ok(Outcome::Error {
            error_type,
            body: collected.data,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_routed() {
        assert_eq!(
            super::super::route(&path("abc-1")),
            Some(Route::Error("abc-1"))
        );
        assert_eq!(Route::Error("x").method(), http::Method::POST);
    }
}
