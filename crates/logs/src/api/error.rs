//! What a Logs operation fails with, carrying CloudWatch Logs' error type, message and HTTP
//! status so that the HTTP front renders every error the same way.

use crate::store::RETENTION_DAYS;

/// A failed Logs request.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// log group {0} does not exist
    #[error("log group {0} does not exist")]
    GroupNotFound(String),
    /// log stream {stream} does not exist in log group {group}
    #[error("log stream {stream} does not exist in log group {group}")]
    StreamNotFound {
        /// The group asked for.
        group: String,
        /// The stream asked for.
        stream: String,
    },
    /// retention {0:?} is not one of the periods cloudwatch logs accepts
    #[error("retention {0:?} is not one of the periods cloudwatch logs accepts")]
    InvalidRetention(Option<u32>),
    /// the request body is not the json the operation takes
    #[error("the request body is not the json the operation takes")]
    Serialization(#[source] serde_json::Error),
    /// the x-amz-target header is missing or not a logs operation
    #[error("the x-amz-target header is missing or not a logs operation")]
    MissingTarget,
    /// operation {0} is not supported
    #[error("operation {0} is not supported")]
    UnknownOperation(String),
    /// the response could not be encoded
    #[error("the response could not be encoded")]
    Encode(#[source] serde_json::Error),
}

impl LogsError {
    /// The `__type` (and `x-amzn-ErrorType`) CloudWatch Logs answers with.
    pub fn error_type(&self) -> &'static str {
        match self {
            LogsError::GroupNotFound(_) | LogsError::StreamNotFound { .. } => {
                "ResourceNotFoundException"
            }
            LogsError::InvalidRetention(_) => "InvalidParameterException",
            LogsError::Serialization(_) => "SerializationException",
            LogsError::MissingTarget | LogsError::UnknownOperation(_) => {
                "UnknownOperationException"
            }
            LogsError::Encode(_) => "ServiceUnavailableException",
        }
    }

    /// The HTTP status: 400 for everything the client did, 500 for the server's failures.
    pub fn status(&self) -> u16 {
        match self {
            LogsError::Encode(_) => 500,
            _ => 400,
        }
    }

    /// The `message` as CloudWatch Logs words it.
    pub fn wire_message(&self) -> String {
        match self {
            LogsError::GroupNotFound(_) => "The specified log group does not exist.".into(),
            LogsError::StreamNotFound { .. } => "The specified log stream does not exist.".into(),
            LogsError::InvalidRetention(days) => format!(
                "1 validation error detected: Value '{}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: {RETENTION_DAYS:?}",
                days.map_or("null".to_owned(), |d| d.to_string()),
            ),
            LogsError::Serialization(e) => e.to_string(),
            LogsError::MissingTarget => "missing or unknown X-Amz-Target".into(),
            LogsError::UnknownOperation(op) => format!("operation {op} is not supported"),
            LogsError::Encode(_) => "The service cannot answer right now.".into(),
        }
    }
}
