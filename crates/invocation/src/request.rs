//! What a producer asks for: one invocation of a function, as given by its caller.

use bytes::Bytes;
use stratus_model::invoke::InvocationType;

/// One invocation, before any rule has been applied.
///
/// Names and headers are borrowed from the producer (an HTTP request, a queued event), so
/// building a request copies nothing; the payload is shared, not copied.
///
/// The legacy `InvokeAsync` (`POST /2014-11-13/functions/{F}/invoke-async/`) is
/// `invocation_type: Event` with no qualifier, client context or log type, from
/// [`InvocationSource::Api`]; its route renders [`crate::InvocationOutcome::Accepted`] as
/// 202 `{"Status":202}`.
#[derive(Debug, Clone)]
pub struct InvocationRequest<'a> {
    /// The function as given: name, partial ARN or ARN, possibly with a qualifier suffix.
    pub function: &'a str,
    /// The `Qualifier` (version or alias), if given apart from the name.
    pub qualifier: Option<&'a str>,
    /// RequestResponse, Event or DryRun.
    pub invocation_type: InvocationType,
    /// The event, exactly as received (checked by the service).
    pub payload: Bytes,
    /// The raw client context: base64 of a JSON object (decoded by the service); empty is
    /// the same as absent.
    pub client_context: Option<&'a str>,
    /// Whether the log tail is returned (synchronous invocations only).
    pub log_type: LogType,
    /// The invocation's request id (for the API, the request's own id, as on Lambda).
    pub request_id: String,
    /// Who produced the invocation.
    pub source: InvocationSource,
}

/// Lambda's `LogType`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogType {
    /// No log tail.
    #[default]
    None,
    /// The last 4 KB of the invocation's log come back with the result.
    Tail,
}

impl LogType {
    /// The `LogType` value as given; anything but `Tail` (including nothing) is `None`.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("Tail") => Self::Tail,
            _ => Self::None,
        }
    }
}

/// Who produced an invocation. Function URLs, schedules and queue pollers become variants
/// when they are built, each calling [`crate::Invocations::invoke`] like the API does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationSource {
    /// `Invoke` (and the legacy `InvokeAsync`) on the Lambda API.
    Api,
    /// The asynchronous dispatcher running a queued event (as a RequestResponse
    /// invocation, so it takes the same admission and logging path as a synchronous one).
    Async {
        /// Which run of the event this is, from 1 (throttled tries are not counted).
        attempt: u32,
    },
    /// An asynchronous event's destination or dead-letter target that is a function: the
    /// record (or the raw event) queued as an `Event` invocation of it.
    Destination,
}

impl InvocationSource {
    /// A short name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Async { .. } => "async",
            Self::Destination => "destination",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tail_asks_for_the_tail() {
        assert_eq!(LogType::parse(Some("Tail")), LogType::Tail);
        assert_eq!(LogType::parse(Some("None")), LogType::None);
        assert_eq!(LogType::parse(Some("tail")), LogType::None);
        assert_eq!(LogType::parse(None), LogType::None);
    }
}
