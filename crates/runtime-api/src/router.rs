//! Dispatch by endpoint family (API version prefix), then by endpoint.
//!
//! Families not served yet (`/2020-01-01/extension`, `/2020-08-15/logs`,
//! `/2022-07-01/telemetry`, `/2021-04-23/credentials`) answer 404; each will be a sibling of
//! `runtime/` recognised here.

use http::Request;
use hyper::body::Incoming;

use crate::reply::{self, Reply};
use crate::runtime::{self, Route};
use crate::state::Shared;

/// Answers one request.
pub(crate) async fn dispatch(shared: &Shared, req: Request<Incoming>) -> Reply {
    let (parts, body) = req.into_parts();
    let Some(route) = runtime::route(parts.uri.path()) else {
        tracing::debug!(method = %parts.method, path = parts.uri.path(), "no such endpoint");
        return reply::not_found();
    };
    if parts.method != route.method() {
        return reply::method_not_allowed();
    }
    match route {
        Route::Next => runtime::next::handle(shared).await,
        Route::Response(id) => runtime::response::handle(shared, id, &parts, body).await,
        Route::Error(id) => runtime::error::handle(shared, id, &parts, body).await,
        Route::InitError => runtime::init_error::handle(shared, &parts, body).await,
        Route::Ping => reply::pong(),
    }
}
