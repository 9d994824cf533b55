//! The route table: which path and method reach which handler.
//!
//! Paths carry Lambda's per-family date prefixes; older SDKs' trailing-slash forms are
//! accepted too. One file per resource under `routes/`.

mod account;
mod aliases;
mod code;
mod concurrency;
mod dead_letters;
mod extras;
mod functions;
mod invoke;
mod invoke_configs;
mod layers;
mod logs;
mod provisioned;
mod tags;
mod versions;

use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;

pub(crate) use logs::is_logs_request;
use stratus_model::error::MessageCase;

use crate::error::error_response;
use crate::AppState;

/// Routes that need a SigV4 signature.
pub fn api() -> Router<AppState> {
    const F: &str = "/2015-03-31/functions/{function}";
    Router::new()
        .route(
            "/2015-03-31/functions",
            post(functions::create).get(functions::list),
        )
        .route(
            "/2015-03-31/functions/",
            post(functions::create).get(functions::list),
        )
        .route(F, get(functions::get).delete(functions::delete))
        .route(
            &format!("{F}/configuration"),
            get(functions::get_configuration).put(functions::update_configuration),
        )
        .route(&format!("{F}/code"), put(functions::update_code))
        .route(&format!("{F}/invocations"), post(invoke::invoke))
        .route(
            "/2014-11-13/functions/{function}/invoke-async",
            post(invoke::invoke_async),
        )
        .route(
            "/2014-11-13/functions/{function}/invoke-async/",
            post(invoke::invoke_async),
        )
        .route("/", post(logs::dispatch))
        .route(
            &format!("{F}/versions"),
            post(versions::publish).get(versions::list),
        )
        .route(
            &format!("{F}/aliases"),
            post(aliases::create).get(aliases::list),
        )
        .route(
            &format!("{F}/aliases/{{alias}}"),
            get(aliases::get)
                .put(aliases::update)
                .delete(aliases::delete),
        )
        .route(&format!("{F}/policy"), get(extras::get_policy))
        .route("/2018-10-31/layers", get(layers::list_layers))
        .route(
            "/2018-10-31/layers/{layer}/versions",
            post(layers::publish).get(layers::list_versions),
        )
        .route(
            "/2018-10-31/layers/{layer}/versions/{version}",
            get(layers::get).delete(layers::delete),
        )
        .route(
            "/2017-03-31/tags/{arn}",
            get(tags::list).post(tags::tag).delete(tags::untag),
        )
        .route(
            "/2017-10-31/functions/{function}/concurrency",
            put(concurrency::put).delete(concurrency::delete),
        )
        .route(
            "/2019-09-30/functions/{function}/concurrency",
            get(concurrency::get),
        )
        .route("/2016-08-19/account-settings", get(account::get))
        .route("/2016-08-19/account-settings/", get(account::get))
        .route(
            "/2019-09-25/functions/{function}/event-invoke-config",
            put(invoke_configs::put)
                .post(invoke_configs::update)
                .get(invoke_configs::get)
                .delete(invoke_configs::delete),
        )
        .route(
            "/2019-09-25/functions/{function}/event-invoke-config/list",
            get(invoke_configs::list),
        )
        .route(
            "/2020-06-30/functions/{function}/code-signing-config",
            get(extras::get_code_signing_config),
        )
        .route(
            "/2021-07-20/functions/{function}/runtime-management-config",
            get(extras::get_runtime_management_config),
        )
        .route(
            "/2024-08-31/functions/{function}/recursion-config",
            get(extras::get_recursion_config),
        )
        .route(
            "/2021-10-31/functions/{function}/url",
            get(extras::get_function_url),
        )
        .route(
            "/2021-10-31/functions/{function}/urls",
            get(extras::list_function_urls),
        )
        .route(
            "/2019-09-30/functions/{function}/provisioned-concurrency",
            put(provisioned::put)
                .get(provisioned::get)
                .delete(provisioned::delete),
        )
        .merge(dead_letter_routes())
}

/// The dead-letter API, a Stratus extension in Lambda's path style.
fn dead_letter_routes() -> Router<AppState> {
    const D: &str = "/2026-12-01/functions/{function}/dead-letters";
    Router::new()
        .route(D, get(dead_letters::list))
        .route(&format!("{D}/redrive"), post(dead_letters::redrive_all))
        .route(
            &format!("{D}/{{id}}"),
            get(dead_letters::get).delete(dead_letters::delete),
        )
        .route(
            &format!("{D}/{{id}}/redrive"),
            post(dead_letters::redrive_one),
        )
}

/// Routes open without a signature: health and signed code downloads.
pub fn open() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/_stratus/code/{sha256}", get(code::download))
}

/// `/metrics`: Prometheus text, unauthenticated like a node exporter's.
async fn metrics(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render().await,
    )
        .into_response()
}

/// Any other path: what AWS answers for an operation it does not know.
pub async fn unknown(method: Method, uri: Uri) -> Response {
    tracing::warn!(%method, path = %uri.path(), "unknown operation");
    error_response(
        404,
        "UnknownOperationException",
        &format!("Unknown operation: {method} {}", uri.path()),
        MessageCase::Lower,
        "User",
    )
    .into_response()
}

/// `http://HOST` as the client addressed us, for absolute download URLs.
pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}
