//! PublishVersion and ListVersionsByFunction.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use crate::body::{json, reply, Params};
use crate::error::ApiError;
use crate::AppState;

pub async fn publish(
    State(s): State<AppState>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    Ok(reply(
        StatusCode::CREATED,
        &s.control.publish_version(&function, req).await?,
    ))
}

pub async fn list(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let page = s
        .control
        .list_versions(
            &function,
            q.string("Marker"),
            q.int("MaxItems", "maxItems")?,
        )
        .await?;
    Ok(reply(StatusCode::OK, &page))
}
