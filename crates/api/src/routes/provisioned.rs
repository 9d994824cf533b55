//! Put, Get, Delete and ListProvisionedConcurrencyConfig(s) (`?List=ALL` on the same path).

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
        .put_provisioned(&function, q.get("Qualifier"), req)
        .await?;
    Ok(reply(StatusCode::ACCEPTED, &res))
}

pub async fn get(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    if q.get("List") == Some("ALL") {
        let page = s
            .control
            .list_provisioned(
                &function,
                q.string("Marker"),
                q.int("MaxItems", "maxItems")?,
            )
            .await?;
        return Ok(reply(StatusCode::OK, &page));
    }
    Ok(reply(
        StatusCode::OK,
        &s.control
            .get_provisioned(&function, q.get("Qualifier"))
            .await?,
    ))
}

pub async fn delete(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    s.control
        .delete_provisioned(&function, q.get("Qualifier"))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
