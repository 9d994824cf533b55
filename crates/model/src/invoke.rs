//! The rules of an Invoke request: invocation type, payload and client context.

use base64::Engine;

use crate::error::{ErrorKind, LambdaError};

/// Largest synchronous request payload.
pub const MAX_SYNC_PAYLOAD: usize = 6_291_456;
/// Largest asynchronous (Event) request payload.
pub const MAX_ASYNC_PAYLOAD: usize = 1_048_576;
/// Largest encoded client context.
pub const MAX_CLIENT_CONTEXT: usize = 3_583;

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Synchronous (the default).
    RequestResponse,
    /// Asynchronous, queued.
    Event,
    /// Validate only.
    DryRun,
}

impl InvocationType {
    /// Parses the header; absent means RequestResponse.
    pub fn parse(header: Option<&str>) -> Result<Self, LambdaError> {
        match header.unwrap_or("RequestResponse") {
            "RequestResponse" | "" => Ok(Self::RequestResponse),
            "Event" => Ok(Self::Event),
            "DryRun" => Ok(Self::DryRun),
            other => {
                let mut v = crate::Violations::default();
                v.push(
                    &other,
                    "invocationType",
                    "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
                );
                Err(v.finish().err().unwrap_or_else(LambdaError::internal))
            }
        }
    }
}

/// Checks a synchronous payload: size, then JSON. Returns the payload to deliver (an empty
/// body becomes `{}`).
pub fn check_payload(body: bytes::Bytes) -> Result<bytes::Bytes, LambdaError> {
    check_payload_within(body, MAX_SYNC_PAYLOAD)
}

/// Checks an asynchronous (Event) payload as [`check_payload`] does, within 1 MB.
pub fn check_event_payload(body: bytes::Bytes) -> Result<bytes::Bytes, LambdaError> {
    check_payload_within(body, MAX_ASYNC_PAYLOAD)
}

fn check_payload_within(body: bytes::Bytes, limit: usize) -> Result<bytes::Bytes, LambdaError> {
    if body.len() > limit {
        return Err(LambdaError::new(
            ErrorKind::RequestTooLarge,
            format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(bytes::Bytes::from_static(b"{}"));
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(&body).map_err(|e| {
        LambdaError::new(
            ErrorKind::InvalidRequestContent,
            format!(
                "Could not parse request body into json: Could not parse payload into json: {e}"
            ),
        )
    })?;
    Ok(body)
}

/// Decodes `X-Amz-Client-Context` (base64 of a JSON object) into the JSON text handed to
/// the runtime.
pub fn decode_client_context(header: &str) -> Result<String, LambdaError> {
    let bad = || LambdaError::invalid("Client context must be a valid Base64-encoded JSON object.");
    if header.len() > MAX_CLIENT_CONTEXT {
        return Err(LambdaError::invalid(format!(
            "Client context must be smaller than {MAX_CLIENT_CONTEXT} bytes"
        )));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(header)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(_)) => Ok(text),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_rules() {
        assert_eq!(check_payload(bytes::Bytes::new()).unwrap(), "{}");
        assert!(check_payload(bytes::Bytes::from_static(b"[1,2]")).is_ok());
        assert_eq!(
            check_payload(bytes::Bytes::from_static(b"{nope"))
                .unwrap_err()
                .kind,
            ErrorKind::InvalidRequestContent
        );
        let big = bytes::Bytes::from(vec![b' '; MAX_SYNC_PAYLOAD + 1]);
        assert_eq!(
            check_payload(big).unwrap_err().kind,
            ErrorKind::RequestTooLarge
        );
        let event = bytes::Bytes::from(vec![b' '; MAX_ASYNC_PAYLOAD + 1]);
        let e = check_event_payload(event).unwrap_err();
        assert_eq!(e.kind, ErrorKind::RequestTooLarge);
        assert!(e.message.contains("1048576 bytes"), "{}", e.message);
        let at_limit = bytes::Bytes::from(vec![b' '; MAX_ASYNC_PAYLOAD]);
        assert!(check_event_payload(at_limit).is_ok());
    }

    #[test]
    fn client_context_must_be_base64_json_object() {
        let ok = base64::engine::general_purpose::STANDARD.encode(r#"{"custom":{"a":1}}"#);
        assert_eq!(decode_client_context(&ok).unwrap(), r#"{"custom":{"a":1}}"#);
        assert!(decode_client_context("!!!").is_err());
        let arr = base64::engine::general_purpose::STANDARD.encode("[1]");
        assert!(decode_client_context(&arr).is_err());
    }

    #[test]
    fn invocation_types() {
        assert_eq!(
            InvocationType::parse(None).unwrap(),
            InvocationType::RequestResponse
        );
        assert_eq!(
            InvocationType::parse(Some("DryRun")).unwrap(),
            InvocationType::DryRun
        );
        assert!(InvocationType::parse(Some("Sync")).is_err());
    }
}
