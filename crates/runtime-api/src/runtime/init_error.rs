//! `POST /2018-06-01/runtime/init/error`: the runtime could not initialise (it exits next).
//! `ready()` then resolves to the failure, and so does a waiting or later `invoke()`.

use http::request::Parts;
use hyper::body::Incoming;

use super::Route;
use crate::body::{read_capped, BodyError};
use crate::error::InitFailure;
use crate::headers;
use crate::reply::{self, Reply};
use crate::state::Shared;

/// Full path of the endpoint.
#[cfg(test)]
pub(crate) const PATH: &str = "/2018-06-01/runtime/init/error";

/// Recognises the part of the path after the `/2018-06-01/` prefix.
pub(super) fn parse(rest: &str) -> Option<Route<'_>> {
    (rest == "runtime/init/error").then_some(Route::InitError)
}

/// Records the init failure.
pub(crate) async fn handle(shared: &Shared, parts: &Parts, body: Incoming) -> Reply {
    let error_type = headers::error_type(&parts.headers);
    let body = match read_capped(body, shared.limits.max_response).await {
        Ok(collected) => collected.data,
        Err(BodyError::TooLarge(limit)) => return reply::too_large(limit),
        Err(BodyError::Truncated(_)) => return reply::truncated(),
    };
    tracing::info!(
        error_type = error_type.as_deref().unwrap_or(""),
        "runtime init error"
    );
    shared.init_failed(InitFailure { error_type, body });
    reply::accepted()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_routed() {
        assert_eq!(super::super::route(PATH), Some(Route::InitError));
        assert_eq!(Route::InitError.method(), http::Method::POST);
    }
}
