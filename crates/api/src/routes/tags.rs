//! TagResource, UntagResource and ListTags.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use stratus_model::requests::TagsBody;

use crate::body::{empty, json, reply, Params};
use crate::error::ApiError;
use crate::AppState;

pub async fn list(
    State(s): State<AppState>,
    Path(arn): Path<String>,
) -> Result<Response, ApiError> {
    let tags = s.control.list_tags(&arn).await?;
    Ok(reply(StatusCode::OK, &TagsBody { tags }))
}

pub async fn tag(
    State(s): State<AppState>,
    Path(arn): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: TagsBody = json(&headers, &body)?;
    s.control.tag_resource(&arn, req.tags).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn untag(
    State(s): State<AppState>,
    Path(arn): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    s.control.untag_resource(&arn, &q.all("tagKeys")).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
