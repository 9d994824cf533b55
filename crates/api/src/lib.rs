//! The HTTP front: Lambda's REST API (2015-03-31 family of paths) behind SigV4, plus the
//! unauthenticated health check and signed code downloads.
//!
//! Handlers only translate: each route parses its path, query and body into a typed request,
//! calls the control plane (or, for invocations, the invocation service), and renders the
//! answer. Lambda's wire errors are rendered in one place ([`error`]). This crate holds no
//! business rules.

mod auth;
mod body;
pub mod error;
mod request_id;
mod routes;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::middleware;
use axum::Router;
use stratus_control::Control;

pub use auth::Credentials;
/// The invocation service [`AppState`] holds (re-exported for the wiring).
pub use stratus_invocation::Invocations;

/// Largest request body accepted (Lambda's CreateFunction limit).
pub const MAX_REQUEST_BYTES: usize = 70_167_211;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The control plane.
    pub control: Control,
    /// Known access keys.
    pub credentials: Arc<HashMap<String, Credentials>>,
    /// The invoke engine (invocations go through `invocations`).
    pub engine: stratus_engine::Engine,
    /// The one entry point for invocations.
    pub invocations: Invocations,
    /// Function logs.
    pub logs: Arc<stratus_logs::LogStore>,
    /// Renders `/metrics`.
    pub metrics: Arc<stratus_metrics::Scraper>,
}

/// The Invoke handler takes only the invocation service, not a clone of the whole state.
impl FromRef<AppState> for Invocations {
    fn from_ref(state: &AppState) -> Self {
        state.invocations.clone()
    }
}

/// The complete router: authenticated API plus the open health and code routes.
pub fn router(state: AppState) -> Router {
    let api = routes::api()
        .fallback(routes::unknown)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_sigv4,
        ));
    Router::new()
        .merge(routes::open())
        .merge(api)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(middleware::from_fn(request_id::assign))
        .with_state(state)
}
