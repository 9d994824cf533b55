//! The CloudWatch Logs subset (JSON 1.1 protocol: `POST /` with `X-Amz-Target`), enough for
//! `aws logs describe-*`, `get-log-events`, `filter-log-events` and `aws logs tail`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};
use stratus_logs::{FilterRequest, StreamOrder};

use crate::AppState;

fn reply(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [("content-type", "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

fn error(code: &str, message: &str) -> Response {
    let mut res = reply(
        StatusCode::BAD_REQUEST,
        &json!({"__type": code, "message": message}),
    );
    if let Ok(v) = code.parse() {
        res.headers_mut().insert("x-amzn-ErrorType", v);
    }
    res
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Input {
    log_group_name: Option<String>,
    log_group_name_prefix: Option<String>,
    log_stream_name: Option<String>,
    log_stream_name_prefix: Option<String>,
    log_stream_names: Option<Vec<String>>,
    order_by: Option<String>,
    descending: Option<bool>,
    start_time: Option<i64>,
    end_time: Option<i64>,
    start_from_head: Option<bool>,
    filter_pattern: Option<String>,
    limit: Option<usize>,
    next_token: Option<String>,
    retention_in_days: Option<u32>,
}

/// Whether a request is for the Logs service (decides the SigV4 signing name).
pub fn is_logs_request(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("Logs_20140328."))
}

fn retention(found: bool) -> Response {
    if found {
        reply(StatusCode::OK, &json!({}))
    } else {
        error(
            "ResourceNotFoundException",
            "The specified log group does not exist.",
        )
    }
}

pub async fn dispatch(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(op) = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("Logs_20140328."))
    else {
        return error(
            "UnknownOperationException",
            "missing or unknown X-Amz-Target",
        );
    };
    let input: Input = if body.is_empty() {
        Input::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(i) => i,
            Err(e) => return error("SerializationException", &e.to_string()),
        }
    };
    let scope = s.control.scope();
    let logs = &s.logs;
    let group = input.log_group_name.as_deref().unwrap_or("");
    let limit = input.limit.unwrap_or(50).clamp(1, 10_000);
    let result = match op {
        "DescribeLogGroups" => Ok(logs.describe_groups(
            &scope.region,
            &scope.account,
            input.log_group_name_prefix.as_deref(),
            limit,
            input.next_token.as_deref(),
        )),
        "DescribeLogStreams" => logs.describe_streams(
            &scope.region,
            &scope.account,
            group,
            input.log_stream_name_prefix.as_deref(),
            if input.order_by.as_deref() == Some("LastEventTime") {
                StreamOrder::LastEventTime
            } else {
                StreamOrder::Name
            },
            input.descending.unwrap_or(false),
            limit,
            input.next_token.as_deref(),
        ),
        "GetLogEvents" => logs.get_events(
            group,
            input.log_stream_name.as_deref().unwrap_or(""),
            input.start_time,
            input.end_time,
            input.start_from_head.unwrap_or(false),
            limit,
            input.next_token.as_deref(),
        ),
        "FilterLogEvents" => logs.filter_events(
            group,
            &FilterRequest {
                stream_names: input.log_stream_names,
                stream_prefix: input.log_stream_name_prefix,
                start_time: input.start_time,
                end_time: input.end_time,
                pattern: input.filter_pattern,
                limit,
                next_token: input.next_token,
            },
        ),
        "PutRetentionPolicy" => {
            let Some(days) = input
                .retention_in_days
                .filter(|d| stratus_logs::store::RETENTION_DAYS.contains(d))
            else {
                return error(
                    "InvalidParameterException",
                    &format!(
                        "1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: {:?}",
                        input.retention_in_days.map_or("null".to_owned(), |d| d.to_string()),
                        stratus_logs::store::RETENTION_DAYS
                    ),
                );
            };
            return retention(logs.set_retention(group, Some(days)));
        }
        "DeleteRetentionPolicy" => return retention(logs.set_retention(group, None)),
        "DeleteLogGroup" => {
            return if logs.delete_group(group) {
                reply(StatusCode::OK, &json!({}))
            } else {
                error(
                    "ResourceNotFoundException",
                    "The specified log group does not exist.",
                )
            };
        }
        other => {
            return error(
                "UnknownOperationException",
                &format!("operation {other} is not supported"),
            )
        }
    };
    match result {
        Ok(page) => reply(StatusCode::OK, &page.body),
        Err(e) => error("ResourceNotFoundException", &e.to_string()),
    }
}
