//! Webhook deliveries: one shared HTTP client posting JSON to `http://` / `https://` URLs.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};

/// The `User-Agent` of every delivery.
pub const USER_AGENT: &str = concat!("stratus/", env!("CARGO_PKG_VERSION"));

/// Longest `X-Amz-Lambda-ErrorMessage`, in bytes (AWS's dead-letter attribute limit).
const MAX_ERROR_MESSAGE: usize = 1024;

/// The HTTP client could not be built (its TLS configuration failed).
#[derive(Debug, thiserror::Error)]
#[error("webhook client could not be built: {0}")]
pub struct BuildError(#[from] reqwest::Error);

/// The shared client; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Webhooks {
    client: reqwest::Client,
}

impl Webhooks {
    pub(crate) fn new(timeout: Duration) -> Result<Self, BuildError> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { client })
    }

    /// POSTs `body`; `Err` says what failed (the caller names the target).
    pub(crate) async fn post(
        &self,
        url: &str,
        body: Bytes,
        headers: HeaderMap,
    ) -> Result<(), String> {
        let answer = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("request failed: {}", chain(&e)))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered HTTP {}", status.as_u16()))
        }
    }
}

/// An error and its sources on one line, without the URL reqwest repeats.
fn chain(e: &reqwest::Error) -> String {
    let mut out = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "transport error".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// `Content-Type: application/json`.
pub(crate) fn json_headers() -> HeaderMap {
    let mut h = HeaderMap::with_capacity(6);
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h
}

/// What a dead-letter webhook is told besides the raw event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeadLetterHeaders<'a> {
    pub request_id: &'a str,
    pub status_code: u16,
    pub error_type: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub condition: &'a str,
}

/// The headers of a dead-letter POST (see the crate documentation).
pub(crate) fn dead_letter_headers(d: &DeadLetterHeaders<'_>, is_json: bool) -> HeaderMap {
    let mut h = json_headers();
    if !is_json {
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_bytes(header_text(value).as_bytes()) {
            h.insert(HeaderName::from_static(name), v);
        }
    };
    put("x-amz-lambda-requestid", d.request_id);
    put("x-amz-lambda-errorcode", &d.status_code.to_string());
    put("x-amz-lambda-condition", d.condition);
    if let Some(t) = d.error_type {
        put("x-amz-lambda-errortype", t);
    }
    if let Some(m) = d.error_message {
        put("x-amz-lambda-errormessage", m);
    }
    h
}

/// `s` as a header value: control characters (newlines of a stack trace) become spaces,
/// and it is cut at a character boundary to fit [`MAX_ERROR_MESSAGE`] bytes.
fn header_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_ERROR_MESSAGE));
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > MAX_ERROR_MESSAGE {
            break;
        }
        out.push(c);
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn error_messages_fit_a_header_and_1_kb() {
        let long = format!("line one\nline two\t{}", "é".repeat(2000));
        let t = header_text(&long);
        assert!(t.len() <= MAX_ERROR_MESSAGE && t.len() > 1000);
        assert!(t.starts_with("line one line two "));
        let h = dead_letter_headers(
            &DeadLetterHeaders {
                request_id: "id-1",
                status_code: 200,
                error_type: Some("ValueError"),
                error_message: Some(&long),
                condition: "RetriesExhausted",
            },
            false,
        );
        assert_eq!(h["x-amz-lambda-requestid"], "id-1");
        assert_eq!(h["x-amz-lambda-errorcode"], "200");
        assert_eq!(h["x-amz-lambda-errortype"], "ValueError");
        assert_eq!(h[CONTENT_TYPE], "application/octet-stream");
        assert!(h["x-amz-lambda-errormessage"].len() <= MAX_ERROR_MESSAGE);
    }
}
