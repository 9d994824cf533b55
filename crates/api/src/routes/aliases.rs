//! CreateAlias, GetAlias, UpdateAlias, DeleteAlias and ListAliases.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use crate::body::{empty, json, reply, Params};
use crate::error::ApiError;
use crate::AppState;

pub async fn create(
    State(s): State<AppState>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    Ok(reply(
        StatusCode::CREATED,
        &s.control.create_alias(&function, req).await?,
    ))
}

pub async fn get(
    State(s): State<AppState>,
    Path((function, alias)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.get_alias(&function, &alias).await?,
    ))
}

pub async fn update(
    State(s): State<AppState>,
    Path((function, alias)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    Ok(reply(
        StatusCode::OK,
        &s.control.update_alias(&function, &alias, req).await?,
    ))
}

pub async fn delete(
    State(s): State<AppState>,
    Path((function, alias)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    s.control.delete_alias(&function, &alias).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn list(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let page = s
        .control
        .list_aliases(
            &function,
            q.get("FunctionVersion"),
            q.string("Marker"),
            q.int("MaxItems", "maxItems")?,
        )
        .await?;
    Ok(reply(StatusCode::OK, &page))
}
