//! What the dispatcher knows about an event when it reaches its end.

use std::fmt;

/// Why an event ended (the destination record's `requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The function returned a result.
    Success,
    /// The function failed on every attempt its retry setting allows.
    RetriesExhausted,
    /// The event grew older than `MaximumEventAgeInSeconds` before it could succeed.
    EventAgeExceeded,
    /// The function has reserved concurrency 0: it is disabled, the event never ran.
    ZeroReservedConcurrency,
    /// The function, or the qualifier the event was invoked with, is gone (a Stratus
    /// condition: Lambda drops such events).
    FunctionNotFound,
}

impl Condition {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "Success",
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
            Condition::ZeroReservedConcurrency => "ZeroReservedConcurrency",
            Condition::FunctionNotFound => "FunctionNotFound",
        }
    }

    /// True for [`Condition::Success`].
    pub fn is_success(self) -> bool {
        self == Condition::Success
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event at its end, borrowed from the dispatcher.
#[derive(Debug, Clone, Copy)]
pub struct EventEnd<'a> {
    /// The request id, kept for every attempt and record.
    pub request_id: &'a str,
    /// The function ARN with the qualifier it was invoked with (`…:function:f:$LATEST`).
    pub function_arn: &'a str,
    /// Why it ended.
    pub condition: Condition,
    /// How many times the function was invoked for it (0 if it never ran).
    pub approximate_invoke_count: u32,
    /// The event as received.
    pub request_payload: &'a [u8],
    /// `responseContext.statusCode`: 200 when the function ran (a function error
    /// included), else the status the last attempt got (429 when throttled).
    pub status_code: u16,
    /// The version that ran, if any did.
    pub executed_version: Option<&'a str>,
    /// `Unhandled` when the last attempt ended in a function error.
    pub function_error: Option<&'a str>,
    /// The function's result or error document, if there is one.
    pub response_payload: Option<&'a [u8]>,
    /// The last error's type (`Runtime.ExitError`, `ValueError`, …), if any.
    pub error_type: Option<&'a str>,
    /// The last error's message, if any.
    pub error_message: Option<&'a str>,
    /// `DestinationConfig.OnSuccess` of the invoked qualifier.
    pub on_success: Option<&'a str>,
    /// `DestinationConfig.OnFailure` of the invoked qualifier.
    pub on_failure: Option<&'a str>,
    /// `DeadLetterConfig.TargetArn` of the version that ran (or would have).
    pub dead_letter_target: Option<&'a str>,
}

impl EventEnd<'_> {
    /// The plain function name, out of the ARN (the `function` label of the metrics).
    pub fn function_name(&self) -> &str {
        self.function_arn
            .split(':')
            .nth(6)
            .unwrap_or(self.function_arn)
    }
}
