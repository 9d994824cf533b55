//! Read calls for features this server does not offer yet; see `stratus_control::absent`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::body::{reply, Params};
use crate::error::ApiError;
use crate::AppState;

pub async fn get_code_signing_config(
    State(s): State<AppState>,
    Path(f): Path<String>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.code_signing_config(&f).await?,
    ))
}

pub async fn get_runtime_management_config(
    State(s): State<AppState>,
    Path(f): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control
            .runtime_management_config(&f, q.get("Qualifier"))
            .await?,
    ))
}

pub async fn get_recursion_config(
    State(s): State<AppState>,
    Path(f): Path<String>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.recursion_config(&f).await?,
    ))
}

pub async fn get_policy(
    State(s): State<AppState>,
    Path(f): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.policy(&f, q.get("Qualifier")).await?,
    ))
}

pub async fn get_function_url(
    State(s): State<AppState>,
    Path(f): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control
            .function_url_config(&f, q.get("Qualifier"))
            .await?,
    ))
}

pub async fn list_function_urls(
    State(s): State<AppState>,
    Path(f): Path<String>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.function_url_configs(&f).await?,
    ))
}
