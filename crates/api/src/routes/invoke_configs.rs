//! Put, Update, Get, Delete and ListFunctionEventInvokeConfig(s).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use crate::body::{empty, json, reply, Params};
use crate::error::ApiError;
use crate::AppState;

pub async fn put(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    let res = s
        .control
        .put_invoke_config(&function, q.get("Qualifier"), req, false)
        .await?;
    Ok(reply(StatusCode::OK, &res))
}

pub async fn update(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    let res = s
        .control
        .put_invoke_config(&function, q.get("Qualifier"), req, true)
        .await?;
    Ok(reply(StatusCode::OK, &res))
}

pub async fn get(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control
            .get_invoke_config(&function, q.get("Qualifier"))
            .await?,
    ))
}

pub async fn delete(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    s.control
        .delete_invoke_config(&function, q.get("Qualifier"))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn list(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let page = s
        .control
        .list_invoke_configs(
            &function,
            q.string("Marker"),
            q.int("MaxItems", "maxItems")?,
        )
        .await?;
    Ok(reply(StatusCode::OK, &page))
}
