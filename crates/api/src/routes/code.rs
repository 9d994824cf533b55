//! Signed, expiring downloads of code packages (`Code.Location`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::body::Params;
use crate::error::ApiError;
use crate::AppState;

pub async fn download(
    State(s): State<AppState>,
    Path(sha256): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let expires = q
        .get("Expires")
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(0);
    let signature = q.get("Signature").unwrap_or("");
    let bytes = s.control.download_code(&sha256, expires, signature).await?;
    Ok((StatusCode::OK, [("content-type", "application/zip")], bytes).into_response())
}
