//! The Lambda error catalogue: every failure the API can answer with, as a kind plus message.
//!
//! The HTTP status and wire code of each kind live here, next to the kind, so that the `api`
//! crate maps errors to responses in exactly one place without knowing the rules.

use std::fmt;

/// What went wrong, in Lambda's own vocabulary (botocore error shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A shape constraint (pattern, length, range, enum) was violated.
    Validation,
    /// A parameter is well-formed but not acceptable.
    InvalidParameterValue,
    /// The body could not be parsed.
    InvalidRequestContent,
    /// The content type is not one this operation accepts.
    UnsupportedMediaType,
    /// The named resource does not exist.
    ResourceNotFound,
    /// The resource exists already or is in a conflicting state.
    ResourceConflict,
    /// A `RevisionId` precondition did not hold.
    PreconditionFailed,
    /// A request or package is larger than allowed (modelled, invoke payloads).
    RequestTooLarge,
    /// A request or package is larger than allowed (unmodelled, uploads).
    RequestEntityTooLarge,
    /// Too many requests or concurrent executions.
    TooManyRequests,
    /// The account's code storage limit would be exceeded.
    CodeStorageExceeded,
    /// The resource is in use (event source mappings).
    ResourceInUse,
    /// The function's runtime cannot run here.
    InvalidRuntime,
    /// No provisioned concurrency is configured.
    ProvisionedConcurrencyConfigNotFound,
    /// The operation is not supported by this server.
    NotImplemented,
    /// Something failed inside the server.
    Service,
}

/// Whether the wire body spells the message `Message` or `message` (it differs per shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageCase {
    /// `{"Message": …}`
    Upper,
    /// `{"message": …}`
    Lower,
}

impl ErrorKind {
    /// The error code sent in `x-amzn-ErrorType`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationException",
            ErrorKind::InvalidParameterValue => "InvalidParameterValueException",
            ErrorKind::InvalidRequestContent => "InvalidRequestContentException",
            ErrorKind::UnsupportedMediaType => "UnsupportedMediaTypeException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::ResourceConflict => "ResourceConflictException",
            ErrorKind::PreconditionFailed => "PreconditionFailedException",
            ErrorKind::RequestTooLarge => "RequestTooLargeException",
            ErrorKind::RequestEntityTooLarge => "RequestEntityTooLargeException",
            ErrorKind::TooManyRequests => "TooManyRequestsException",
            ErrorKind::CodeStorageExceeded => "CodeStorageExceededException",
            ErrorKind::ResourceInUse => "ResourceInUseException",
            ErrorKind::InvalidRuntime => "InvalidRuntimeException",
            ErrorKind::ProvisionedConcurrencyConfigNotFound => {
                "ProvisionedConcurrencyConfigNotFoundException"
            }
            ErrorKind::NotImplemented => "NotImplementedException",
            ErrorKind::Service => "ServiceException",
        }
    }

    /// The HTTP status code Lambda answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Validation
            | ErrorKind::InvalidParameterValue
            | ErrorKind::InvalidRequestContent
            | ErrorKind::CodeStorageExceeded
            | ErrorKind::ResourceInUse => 400,
            ErrorKind::ResourceNotFound | ErrorKind::ProvisionedConcurrencyConfigNotFound => 404,
            ErrorKind::ResourceConflict => 409,
            ErrorKind::PreconditionFailed => 412,
            ErrorKind::RequestTooLarge | ErrorKind::RequestEntityTooLarge => 413,
            ErrorKind::UnsupportedMediaType => 415,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::Service => 500,
            ErrorKind::InvalidRuntime => 502,
            ErrorKind::NotImplemented => 501,
        }
    }

    /// How the message member is spelled in this error's shape.
    pub fn message_case(self) -> MessageCase {
        match self {
            ErrorKind::ResourceNotFound
            | ErrorKind::Service
            | ErrorKind::ResourceInUse
            | ErrorKind::InvalidRuntime
            | ErrorKind::NotImplemented => MessageCase::Upper,
            _ => MessageCase::Lower,
        }
    }

    /// `User` for client faults, `Service` for server faults.
    pub fn fault(self) -> &'static str {
        if self.status() >= 500 {
            "Service"
        } else {
            "User"
        }
    }
}

/// A Lambda error: its kind and the human message sent to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LambdaError {
    /// The kind, which fixes the wire code and status.
    pub kind: ErrorKind,
    /// The message as the client will read it.
    pub message: String,
    /// The `Reason` member of a `TooManyRequestsException` (which limit was hit).
    pub reason: Option<&'static str>,
}

impl fmt::Display for LambdaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl LambdaError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            reason: None,
        }
    }
    /// 429 TooManyRequestsException, `Rate Exceeded.` with Lambda's `Reason` (spec B.2).
    pub fn throttled(reason: &'static str) -> Self {
        Self {
            kind: ErrorKind::TooManyRequests,
            message: "Rate Exceeded.".to_owned(),
            reason: Some(reason),
        }
    }
    /// 400 InvalidParameterValueException.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameterValue, message)
    }
    /// 404 ResourceNotFoundException.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }
    /// 409 ResourceConflictException.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceConflict, message)
    }
    /// 500 ServiceException; the detail is logged by the caller, not sent.
    pub fn internal() -> Self {
        Self::new(ErrorKind::Service, "an internal error occurred")
    }
    /// 412 on a stale `RevisionId`.
    pub fn revision_mismatch(what: &str) -> Self {
        Self::new(
            ErrorKind::PreconditionFailed,
            format!("The Revision Id provided does not match the latest Revision Id. Call the {what} API to retrieve the latest Revision Id"),
        )
    }
}

/// Collects shape-constraint violations into one `ValidationException`, as AWS reports them.
#[derive(Debug, Default)]
pub struct Violations(Vec<String>);

impl Violations {
    /// Records one violation of `field` (lowerCamel, as AWS names it) holding `value`.
    pub fn push(&mut self, value: &dyn fmt::Display, field: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Records a value above `max`.
    pub fn at_most(&mut self, value: i64, field: &str, max: i64) {
        if value > max {
            self.push(
                &value,
                field,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// Records a value below `min`.
    pub fn at_least(&mut self, value: i64, field: &str, min: i64) {
        if value < min {
            self.push(
                &value,
                field,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
    }

    /// Records a string longer than `max` characters.
    pub fn max_len(&mut self, value: &str, field: &str, max: usize) {
        if value.chars().count() > max {
            self.push(
                &value,
                field,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// Records a string that does not satisfy `pattern` (checked by `ok`).
    pub fn pattern(&mut self, value: &str, field: &str, ok: bool, pattern: &str) {
        if !ok {
            self.push(
                &value,
                field,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// `Ok` when nothing was recorded, else the combined `ValidationException`.
    pub fn finish(self) -> Result<(), LambdaError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(LambdaError::new(
                ErrorKind::Validation,
                format!("1 validation error detected: {}", self.0[0]),
            )),
            n => Err(LambdaError::new(
                ErrorKind::Validation,
                format!("{n} validation errors detected: {}", self.0.join("; ")),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_reported_like_aws() {
        let mut v = Violations::default();
        v.at_most(3000, "timeout", 900);
        let err = v.finish().unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert_eq!(err.message, "1 validation error detected: Value '3000' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900");

        let mut v = Violations::default();
        v.at_least(64, "memorySize", 128);
        v.at_most(901, "timeout", 900);
        assert!(v
            .finish()
            .unwrap_err()
            .message
            .starts_with("2 validation errors detected: "));
    }

    #[test]
    fn message_case_follows_the_shape() {
        assert_eq!(
            ErrorKind::ResourceNotFound.message_case(),
            MessageCase::Upper
        );
        assert_eq!(
            ErrorKind::ResourceConflict.message_case(),
            MessageCase::Lower
        );
        assert_eq!(ErrorKind::TooManyRequests.status(), 429);
    }
}
