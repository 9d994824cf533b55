//! PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers,
//! ListLayerVersions and DeleteLayerVersion.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use stratus_model::layer::LayerVersionResponse;
use stratus_model::{LambdaError, Violations};

use super::base_url;
use crate::body::{empty, json, reply, Params};
use crate::error::ApiError;
use crate::AppState;

fn absolute(mut res: LayerVersionResponse, headers: &HeaderMap) -> LayerVersionResponse {
    res.content.location = format!("{}{}", base_url(headers), res.content.location);
    res
}

fn version_number(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>().map_err(|_| {
        let mut v = Violations::default();
        v.push(&raw, "versionNumber", "Member must be a positive integer");
        ApiError(v.finish().err().unwrap_or_else(LambdaError::internal))
    })
}

pub async fn publish(
    State(s): State<AppState>,
    Path(layer): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    let res = s.control.publish_layer_version(&layer, req).await?;
    Ok(reply(StatusCode::CREATED, &absolute(res, &headers)))
}

pub async fn get(
    State(s): State<AppState>,
    Path((layer, version)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let res = s
        .control
        .get_layer_version(&layer, version_number(&version)?)
        .await?;
    Ok(reply(StatusCode::OK, &absolute(res, &headers)))
}

pub async fn delete(
    State(s): State<AppState>,
    Path((layer, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    s.control
        .delete_layer_version(&layer, version_number(&version)?)
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn list_versions(
    State(s): State<AppState>,
    Path(layer): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let page = s
        .control
        .list_layer_versions(
            &layer,
            q.get("CompatibleRuntime"),
            q.get("CompatibleArchitecture"),
            q.string("Marker"),
            q.int("MaxItems", "maxItems")?,
        )
        .await?;
    Ok(reply(StatusCode::OK, &page))
}

/// `GET /2018-10-31/layers`: ListLayers, or GetLayerVersionByArn with `find=LayerVersion`.
pub async fn list_layers(
    State(s): State<AppState>,
    q: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if q.get("find") == Some("LayerVersion") {
        let arn = q.get("Arn").unwrap_or("");
        let res = s.control.get_layer_version_by_arn(arn).await?;
        return Ok(reply(StatusCode::OK, &absolute(res, &headers)));
    }
    let page = s
        .control
        .list_layers(
            q.get("CompatibleRuntime"),
            q.get("CompatibleArchitecture"),
            q.string("Marker"),
            q.int("MaxItems", "maxItems")?,
        )
        .await?;
    Ok(reply(StatusCode::OK, &page))
}
