//! One typed request per Logs operation, and the decoding of the wire body into them with
//! CloudWatch Logs' parameter rules (default and bounds of `limit`, accepted retention).

use serde::Deserialize;

use crate::api::{LogsError, TARGET_PREFIX};
use crate::store::RETENTION_DAYS;

/// Results per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;
/// Most results per page; larger limits are lowered to it.
pub const MAX_LIMIT: usize = 10_000;

/// A decoded Logs request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// DescribeLogGroups.
    DescribeLogGroups(DescribeLogGroups),
    /// DescribeLogStreams.
    DescribeLogStreams(DescribeLogStreams),
    /// GetLogEvents.
    GetLogEvents(GetLogEvents),
    /// FilterLogEvents.
    FilterLogEvents(FilterLogEvents),
    /// PutRetentionPolicy.
    PutRetentionPolicy(PutRetentionPolicy),
    /// DeleteRetentionPolicy.
    DeleteRetentionPolicy(DeleteRetentionPolicy),
    /// DeleteLogGroup.
    DeleteLogGroup(DeleteLogGroup),
}

/// DescribeLogGroups: groups by name, optionally under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeLogGroups {
    /// Only groups whose name starts with it.
    pub prefix: Option<String>,
    /// Most groups to return.
    pub limit: usize,
    /// Where the previous page stopped.
    pub next_token: Option<String>,
}

/// Ordering of DescribeLogStreams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOrder {
    /// By name.
    Name,
    /// By last event time.
    LastEventTime,
}

/// DescribeLogStreams: a group's streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeLogStreams {
    /// The group.
    pub group: String,
    /// Only streams whose name starts with it.
    pub prefix: Option<String>,
    /// Sort key.
    pub order: StreamOrder,
    /// Reverse order.
    pub descending: bool,
    /// Most streams to return.
    pub limit: usize,
    /// Where the previous page stopped.
    pub next_token: Option<String>,
}

/// GetLogEvents: one stream's events in order, paged either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetLogEvents {
    /// The group.
    pub group: String,
    /// The stream.
    pub stream: String,
    /// Epoch ms, inclusive.
    pub start_time: Option<i64>,
    /// Epoch ms, exclusive.
    pub end_time: Option<i64>,
    /// Start with the oldest events (else the newest).
    pub start_from_head: bool,
    /// Most events to return.
    pub limit: usize,
    /// A `nextForwardToken` or `nextBackwardToken` of an earlier page.
    pub next_token: Option<String>,
}

/// FilterLogEvents: events of a group's streams, interleaved by time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterLogEvents {
    /// The group.
    pub group: String,
    /// Only these streams, if given.
    pub stream_names: Option<Vec<String>>,
    /// Only streams with this prefix, if given.
    pub stream_prefix: Option<String>,
    /// Epoch ms, inclusive.
    pub start_time: Option<i64>,
    /// Epoch ms, exclusive.
    pub end_time: Option<i64>,
    /// Space-separated terms that must all occur (quoted phrases kept whole).
    pub pattern: Option<String>,
    /// Most events to return.
    pub limit: usize,
    /// Where the previous page stopped.
    pub next_token: Option<String>,
}

/// PutRetentionPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutRetentionPolicy {
    /// The group.
    pub group: String,
    /// One of [`RETENTION_DAYS`].
    pub days: u32,
}

/// DeleteRetentionPolicy: events of the group never expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRetentionPolicy {
    /// The group.
    pub group: String,
}

/// DeleteLogGroup: the group, its streams and their events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteLogGroup {
    /// The group.
    pub group: String,
}

/// The body's fields, as any operation may send them (each operation takes some).
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

impl Request {
    /// Decodes a request from its `X-Amz-Target` value and JSON body (empty = `{}`).
    pub fn from_wire(target: Option<&str>, body: &[u8]) -> Result<Self, LogsError> {
        let op = target
            .and_then(|t| t.strip_prefix(TARGET_PREFIX))
            .ok_or(LogsError::MissingTarget)?;
        let input: Input = if body.is_empty() {
            Input::default()
        } else {
            serde_json::from_slice(body).map_err(LogsError::Serialization)?
        };
        let limit = input.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let group = input.log_group_name.unwrap_or_default();
        Ok(match op {
            "DescribeLogGroups" => Request::DescribeLogGroups(DescribeLogGroups {
                prefix: input.log_group_name_prefix,
                limit,
                next_token: input.next_token,
            }),
            "DescribeLogStreams" => Request::DescribeLogStreams(DescribeLogStreams {
                group,
                prefix: input.log_stream_name_prefix,
                order: if input.order_by.as_deref() == Some("LastEventTime") {
                    StreamOrder::LastEventTime
                } else {
                    StreamOrder::Name
                },
                descending: input.descending.unwrap_or(false),
                limit,
                next_token: input.next_token,
            }),
            "GetLogEvents" => Request::GetLogEvents(GetLogEvents {
                group,
                stream: input.log_stream_name.unwrap_or_default(),
                start_time: input.start_time,
                end_time: input.end_time,
                start_from_head: input.start_from_head.unwrap_or(false),
                limit,
                next_token: input.next_token,
            }),
            "FilterLogEvents" => Request::FilterLogEvents(FilterLogEvents {
                group,
                stream_names: input.log_stream_names,
                stream_prefix: input.log_stream_name_prefix,
                start_time: input.start_time,
                end_time: input.end_time,
                pattern: input.filter_pattern,
                limit,
                next_token: input.next_token,
            }),
            "PutRetentionPolicy" => {
                let days = input
                    .retention_in_days
                    .filter(|d| RETENTION_DAYS.contains(d))
                    .ok_or(LogsError::InvalidRetention(input.retention_in_days))?;
                Request::PutRetentionPolicy(PutRetentionPolicy { group, days })
            }
            "DeleteRetentionPolicy" => {
                Request::DeleteRetentionPolicy(DeleteRetentionPolicy { group })
            }
            "DeleteLogGroup" => Request::DeleteLogGroup(DeleteLogGroup { group }),
            other => return Err(LogsError::UnknownOperation(other.to_owned())),
        })
    }
}
