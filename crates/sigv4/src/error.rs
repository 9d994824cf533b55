//! Why a request's signature was not accepted.

/// A rejected signature; [`AuthError::code`] is the AWS error code to answer with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header and no signature in the query.
    #[error("Missing Authentication Token")]
    Missing,
    /// The signature information is malformed or incomplete; the message says what.
    #[error("{0}")]
    Incomplete(String),
    /// The access key id is not known.
    #[error("The security token included in the request is invalid.")]
    UnknownKey,
    /// The credential scope names another region, service, date or terminator.
    #[error("{0}")]
    WrongScope(String),
    /// The signing time is more than the allowed skew before ours (for a presigned
    /// request: `X-Amz-Expires` has passed).
    #[error(
        "Signature expired: {request_time} is now earlier than {earliest} ({now} - {minutes} min.)"
    )]
    Expired {
        /// Signing time as sent.
        request_time: String,
        /// Oldest acceptable time.
        earliest: String,
        /// Our time.
        now: String,
        /// Allowed age in minutes.
        minutes: i64,
    },
    /// The signing time is more than the allowed skew after ours.
    #[error("Signature not yet current: {request_time} is still later than {latest} ({now} + {minutes} min.)")]
    Future {
        /// Signing time as sent.
        request_time: String,
        /// Latest acceptable time.
        latest: String,
        /// Our time.
        now: String,
        /// Allowed skew in minutes.
        minutes: i64,
    },
    /// The signature does not match the request (or a declared
    /// `x-amz-content-sha256` does not match the body).
    #[error("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")]
    Mismatch,
}

impl AuthError {
    /// The AWS error code (all are answered with HTTP 403).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "MissingAuthenticationTokenException",
            AuthError::Incomplete(_) => "IncompleteSignatureException",
            AuthError::UnknownKey => "UnrecognizedClientException",
            AuthError::WrongScope(_)
            | AuthError::Expired { .. }
            | AuthError::Future { .. }
            | AuthError::Mismatch => "InvalidSignatureException",
        }
    }
}
