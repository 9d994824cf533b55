//! The runtime endpoint family, `/2018-06-01/…`: one file per endpoint.

pub(crate) mod error;
pub(crate) mod init_error;
pub(crate) mod next;
pub(crate) mod ping;
pub(crate) mod response;

use http::Method;

/// Path prefix of this family.
pub(crate) const PREFIX: &str = "/2018-06-01/";

/// A recognised runtime endpoint; ids borrow from the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `GET runtime/invocation/next`.
    Next,
    /// `POST runtime/invocation/{id}/response`.
    Response(&'a str),
    /// `POST runtime/invocation/{id}/error`.
    Error(&'a str),
    /// `POST runtime/init/error`.
    InitError,
    /// `GET ping`.
    Ping,
}

impl Route<'_> {
    /// The only method the endpoint accepts.
    pub(crate) fn method(self) -> Method {
        match self {
            Route::Next | Route::Ping => Method::GET,
            Route::Response(_) | Route::Error(_) | Route::InitError => Method::POST,
        }
    }
}

/// Recognises `path` (the full request path).
pub(crate) fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix(PREFIX)?;
    if let Some(invocation) = rest.strip_prefix("runtime/invocation/") {
        return next::parse(invocation)
            .or_else(|| response::parse(invocation))
            .or_else(|| error::parse(invocation));
    }
    init_error::parse(rest).or_else(|| ping::parse(rest))
}

/// Splits `{id}/{suffix}` (the part after `runtime/invocation/`), returning a non-empty id.
fn invocation_id<'a>(rest: &'a str, suffix: &str) -> Option<&'a str> {
    let id = rest.strip_suffix(suffix)?.strip_suffix('/')?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_paths_are_not_routed() {
        for path in [
            "/",
            "/2018-06-01",
            "/2018-06-01/runtime/invocation/",
            "/2018-06-01/runtime/invocation//response",
            "/2018-06-01/runtime/invocation/a/b/response",
            "/2018-06-01/runtime/invocation/next/extra",
            "/2020-01-01/extension/register",
            "/2022-07-01/telemetry",
        ] {
            assert_eq!(route(path), None, "{path}");
        }
    }
}
