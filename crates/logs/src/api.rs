//! The CloudWatch Logs subset (JSON 1.1 protocol, `X-Amz-Target: Logs_20140328.<Op>`) as a
//! typed service: [`Request::from_wire`] turns a target and body into one typed request
//! per operation, applying CloudWatch Logs' rules (limits, retention values);
//! [`LogStore::serve`](crate::LogStore::serve) carries it out and answers a typed
//! [`Response`] or a [`LogsError`] that knows its wire type and HTTP status. The HTTP front
//! only moves bytes.

mod error;
mod request;
mod response;
mod service;

pub use error::LogsError;
pub use request::{
    DeleteLogGroup, DeleteRetentionPolicy, DescribeLogGroups, DescribeLogStreams, FilterLogEvents,
    GetLogEvents, PutRetentionPolicy, Request, StreamOrder,
};
pub use response::{
    DescribeLogGroupsResponse, DescribeLogStreamsResponse, Empty, FilterLogEventsResponse,
    FilteredEvent, GetLogEventsResponse, LogGroup, LogStream, OutputEvent, Response,
    SearchedLogStream,
};

/// What every Logs operation's `X-Amz-Target` starts with.
pub const TARGET_PREFIX: &str = "Logs_20140328.";

/// Whether an `X-Amz-Target` value names a Logs operation.
pub fn is_logs_target(target: &str) -> bool {
    target.starts_with(TARGET_PREFIX)
}

#[cfg(test)]
mod tests;
