//! SigV4 authentication of every API request, verified on the request exactly as received.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use stratus_model::error::MessageCase;
use stratus_sigv4::{Request as SignedRequest, Verifier};

use crate::error::error_response;
use crate::{AppState, MAX_REQUEST_BYTES};

/// How far a request's signing time may be from ours.
const MAX_SKEW_MINUTES: i64 = 15;

/// One access key's secret.
#[derive(Clone)]
pub struct Credentials {
    /// The secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(..)")
    }
}

fn too_large() -> Response {
    error_response(
        413,
        "RequestEntityTooLargeException",
        &format!("Request must be smaller than {MAX_REQUEST_BYTES} bytes for the operation"),
        MessageCase::Lower,
        "User",
    )
}

/// Middleware: buffers the body (bounded), verifies the signature, passes the request on.
pub async fn require_sigv4(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return too_large();
    };
    let verifier = Verifier {
        region: &state.control.scope().region,
        service: if crate::routes::is_logs_request(&parts.headers) {
            "logs"
        } else {
            "lambda"
        },
        now: chrono::Utc::now(),
        max_skew: chrono::Duration::minutes(MAX_SKEW_MINUTES),
    };
    let signed = SignedRequest {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
        body: &bytes,
    };
    let verified = verifier.verify(&signed, |akid| {
        state
            .credentials
            .get(akid)
            .map(|c| c.secret_access_key.clone())
    });
    match verified {
        Ok(v) => {
            tracing::trace!(access_key_id = %v.access_key_id, "request signature verified");
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            tracing::info!(code = e.code(), reason = %e, "request signature rejected");
            error_response(403, e.code(), &e.to_string(), MessageCase::Lower, "User")
                .into_response()
        }
    }
}
