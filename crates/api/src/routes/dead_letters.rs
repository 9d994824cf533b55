//! The dead-letter API (a Stratus extension, see README): list, show, redrive, discard.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use crate::body::{empty, reply, Params};
use crate::error::ApiError;
use crate::AppState;

pub async fn list(
    State(s): State<AppState>,
    Path(function): Path<String>,
    q: Params,
) -> Result<Response, ApiError> {
    let page = s
        .control
        .list_dead_letters(
            &function,
            q.string("Marker"),
            q.int("MaxItems", "maxItems")?,
        )
        .await?;
    Ok(reply(StatusCode::OK, &page))
}

pub async fn get(
    State(s): State<AppState>,
    Path((function, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.get_dead_letter(&function, &id).await?,
    ))
}

pub async fn delete(
    State(s): State<AppState>,
    Path((function, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    s.control.delete_dead_letter(&function, &id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

pub async fn redrive_one(
    State(s): State<AppState>,
    Path((function, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.redrive_dead_letter(&function, &id).await?,
    ))
}

pub async fn redrive_all(
    State(s): State<AppState>,
    Path(function): Path<String>,
) -> Result<Response, ApiError> {
    Ok(reply(
        StatusCode::OK,
        &s.control.redrive_dead_letters(&function).await?,
    ))
}
