//! Header names of the Runtime API (lower case, as hyper writes them).

use http::HeaderName;

/// `Lambda-Runtime-Aws-Request-Id`.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("lambda-runtime-aws-request-id");
/// `Lambda-Runtime-Deadline-Ms`.
pub(crate) const DEADLINE_MS: HeaderName = HeaderName::from_static("lambda-runtime-deadline-ms");
/// `Lambda-Runtime-Invoked-Function-Arn`.
pub(crate) const FUNCTION_ARN: HeaderName =
    HeaderName::from_static("lambda-runtime-invoked-function-arn");
/// `Lambda-Runtime-Trace-Id`.
pub(crate) const TRACE_ID: HeaderName = HeaderName::from_static("lambda-runtime-trace-id");
/// `Lambda-Runtime-Client-Context`.
pub(crate) const CLIENT_CONTEXT: HeaderName =
    HeaderName::from_static("lambda-runtime-client-context");
/// `Lambda-Runtime-Cognito-Identity`.
pub(crate) const COGNITO_IDENTITY: HeaderName =
    HeaderName::from_static("lambda-runtime-cognito-identity");
/// `Lambda-Runtime-Function-Error-Type` (request header of `/error`, `/init/error`; trailer of a
/// streamed `/response`).
pub(crate) const ERROR_TYPE: HeaderName =
    HeaderName::from_static("lambda-runtime-function-error-type");
/// `Lambda-Runtime-Function-Error-Body` (base64 trailer of a streamed `/response`).
pub(crate) const ERROR_BODY: HeaderName =
    HeaderName::from_static("lambda-runtime-function-error-body");

/// The error type a runtime sent in `headers`, if any and if it is text.
pub(crate) fn error_type(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(ERROR_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
