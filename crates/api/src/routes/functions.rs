//! CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
//! UpdateFunctionConfiguration, DeleteFunction, ListFunctions.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use super::base_url;
use crate::body::{empty, json, reply, Params};
use crate::error::ApiError;
use crate::AppState;

pub async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    Ok(reply(
        StatusCode::CREATED,
        &s.control.create_function(req).await?,
    ))
}

pub async fn get(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut res = s
        .control
        .get_function(&function, q.get("Qualifier"))
        .await?;
    res.code.location = format!("{}{}", base_url(&headers), res.code.location);
    Ok(reply(StatusCode::OK, &res))
}

pub async fn get_configuration(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control
            .get_configuration(&function, q.get("Qualifier"))
            .await?,
    ))
}

pub async fn update_code(
    State(s): State<AppState>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    Ok(reply(
        StatusCode::OK,
        &s.control.update_code(&function, req).await?,
    ))
}

pub async fn update_configuration(
    State(s): State<AppState>,
    Path(function): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = json(&headers, &body)?;
    Ok(reply(
        StatusCode::OK,
        &s.control.update_configuration(&function, req).await?,
    ))
}

pub async fn delete(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    s.control
        .delete_function(&function, q.get("Qualifier"))
        .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn list(State(s): State<AppState>, q: Params) -> Result<Response, ApiError> {
    let all = match q.get("FunctionVersion") {
        None | Some("") => false,
        Some("ALL") => true,
        Some(other) => {
            let mut v = stratus_model::Violations::default();
            v.push(
                &other,
                "functionVersion",
                "Member must satisfy enum value set: [ALL]",
            );
            return Err(ApiError(
                v.finish()
                    .err()
                    .unwrap_or_else(stratus_model::LambdaError::internal),
            ));
        }
    };
    let page = s
        .control
        .list_functions(q.string("Marker"), q.int("MaxItems", "maxItems")?, all)
        .await?;
    Ok(reply(StatusCode::OK, &page))
}
