//! GetAccountSettings.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::body::reply;
use crate::error::ApiError;
use crate::AppState;

pub async fn get(State(s): State<AppState>) -> Result<Response, ApiError> {
    Ok(reply(StatusCode::OK, &s.control.account_settings().await?))
}
