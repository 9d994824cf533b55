//! `GET /2018-06-01/ping`: liveness probe (served by RIE too).

use super::Route;

/// Full path of the endpoint.
#[cfg(test)]
pub(crate) const PATH: &str = "/2018-06-01/ping";

/// Recognises the part of the path after the `/2018-06-01/` prefix.
pub(super) fn parse(rest: &str) -> Option<Route<'_>> {
    (rest == "ping").then_some(Route::Ping)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_routed() {
        assert_eq!(super::super::route(PATH), Some(Route::Ping));
        assert_eq!(Route::Ping.method(), http::Method::GET);
    }
}
