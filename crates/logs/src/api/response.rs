//! The typed answers of the Logs operations, in CloudWatch Logs' JSON shapes.
//!
//! Fields are declared in alphabetical order, so the JSON has its keys sorted as it always
//! had.

use serde::Serialize;

use crate::api::LogsError;

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// DescribeLogGroups.
    DescribeLogGroups(DescribeLogGroupsResponse),
    /// DescribeLogStreams.
    DescribeLogStreams(DescribeLogStreamsResponse),
    /// GetLogEvents.
    GetLogEvents(GetLogEventsResponse),
    /// FilterLogEvents.
    FilterLogEvents(FilterLogEventsResponse),
    /// Operations that answer `{}`.
    Empty(Empty),
}

impl Response {
    /// The JSON body.
    pub fn to_json(&self) -> Result<Vec<u8>, LogsError> {
        serde_json::to_vec(self).map_err(LogsError::Encode)
    }
}

/// `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Empty {}

/// One log group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    /// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`.
    pub arn: String,
    /// Epoch ms.
    pub creation_time: i64,
    /// Its name.
    pub log_group_name: String,
    /// Always 0.
    pub metric_filter_count: u32,
    /// Days events are kept, if they expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<u32>,
    /// Bytes of its stream files.
    pub stored_bytes: u64,
}

/// DescribeLogGroups' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogGroupsResponse {
    /// This page.
    pub log_groups: Vec<LogGroup>,
    /// Present when there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One log stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogStream {
    /// `arn:…:log-group:GROUP:log-stream:NAME`.
    pub arn: String,
    /// Epoch ms.
    pub creation_time: i64,
    /// Timestamp of its first event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_timestamp: Option<i64>,
    /// Timestamp of its last event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_timestamp: Option<i64>,
    /// When its last event was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ingestion_time: Option<i64>,
    /// Its name.
    pub log_stream_name: String,
    /// Always 0 (as CloudWatch Logs reports it now).
    pub stored_bytes: u64,
}

/// DescribeLogStreams' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogStreamsResponse {
    /// This page.
    pub log_streams: Vec<LogStream>,
    /// Present when there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// An event of GetLogEvents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputEvent {
    /// When it was stored, epoch ms.
    pub ingestion_time: i64,
    /// The line.
    pub message: String,
    /// When it was produced, epoch ms.
    pub timestamp: i64,
}

/// GetLogEvents' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLogEventsResponse {
    /// This page, oldest first.
    pub events: Vec<OutputEvent>,
    /// Token for the page before.
    pub next_backward_token: String,
    /// Token for the page after.
    pub next_forward_token: String,
}

/// An event of FilterLogEvents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilteredEvent {
    /// Unique within the group.
    pub event_id: String,
    /// When it was stored, epoch ms.
    pub ingestion_time: i64,
    /// Its stream.
    pub log_stream_name: String,
    /// The line.
    pub message: String,
    /// When it was produced, epoch ms.
    pub timestamp: i64,
}

/// A stream FilterLogEvents looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchedLogStream {
    /// Its name.
    pub log_stream_name: String,
    /// Always true.
    pub searched_completely: bool,
}

/// FilterLogEvents' answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterLogEventsResponse {
    /// This page, by time.
    pub events: Vec<FilteredEvent>,
    /// Present when there are more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// The streams searched.
    pub searched_log_streams: Vec<SearchedLogStream>,
}
