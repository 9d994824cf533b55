//! PutFunctionConcurrency, GetFunctionConcurrency and DeleteFunctionConcurrency.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use crate::body::{empty, json, reply};
use crate::error::ApiError;
use crate::AppState;

pub async fn put(
    State(s): State<AppState>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    Ok(reply(
        StatusCode::OK,
        &s.control.put_concurrency(&function, req).await?,
    ))
}

pub async fn get(
    State(s): State<AppState>,
    Path(function): Path<String>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.get_concurrency(&function).await?,
    ))
}

pub async fn delete(
    State(s): State<AppState>,
    Path(function): Path<String>,
) -> Result<Response, ApiError> {
    s.control.delete_concurrency(&function).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
