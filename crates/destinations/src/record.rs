//! The destination record (spec G.2): what an `OnSuccess` / `OnFailure` target receives.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::end::EventEnd;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    version: &'static str,
    timestamp: String,
    request_context: RequestContext<'a>,
    request_payload: Embedded<'a>,
    response_context: ResponseContext<'a>,
    response_payload: Option<Embedded<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestContext<'a> {
    request_id: &'a str,
    function_arn: &'a str,
    condition: &'static str,
    approximate_invoke_count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseContext<'a> {
    status_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    executed_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_error: Option<&'a str>,
}

/// A payload inside the record: JSON as it came, anything else as a string.
#[derive(Serialize)]
#[serde(untagged)]
enum Embedded<'a> {
    Json(&'a RawValue),
    Text(Cow<'a, str>),
}

impl<'a> Embedded<'a> {
    fn of(bytes: &'a [u8]) -> Self {
        match serde_json::from_slice::<&RawValue>(bytes) {
            Ok(raw) => Embedded::Json(raw),
            Err(_) => Embedded::Text(String::from_utf8_lossy(bytes)),
        }
    }
}

/// The destination record of `end` as JSON, stamped `at`.
pub fn destination_record(end: &EventEnd<'_>, at: DateTime<Utc>) -> Vec<u8> {
    let record = Record {
        version: "1.0",
        timestamp: at.to_rfc3339_opts(SecondsFormat::Millis, true),
        request_context: RequestContext {
            request_id: end.request_id,
            function_arn: end.function_arn,
            condition: end.condition.as_str(),
            approximate_invoke_count: end.approximate_invoke_count,
        },
        request_payload: Embedded::of(end.request_payload),
        response_context: ResponseContext {
            status_code: end.status_code,
            executed_version: end.executed_version,
            function_error: end.function_error.filter(|_| !end.condition.is_success()),
        },
        response_payload: end.response_payload.map(Embedded::of),
    };
    // Strings, numbers and already-valid JSON always serialise.
    serde_json::to_vec(&record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::end::Condition;

    fn end(condition: Condition) -> EventEnd<'static> {
        EventEnd {
            request_id: "3f1c0d2e-0000-4000-8000-000000000001",
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
            condition,
            approximate_invoke_count: 3,
            request_payload: br#"{ "order": 7 }"#,
            status_code: 200,
            executed_version: Some("$LATEST"),
            function_error: Some("Unhandled"),
            response_payload: Some(br#"{"errorMessage":"boom","errorType":"ValueError"}"#),
            error_type: Some("ValueError"),
            error_message: Some("boom"),
            on_success: None,
            on_failure: None,
            dead_letter_target: None,
        }
    }

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2019-11-14T18:16:05.568Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn failure_record_has_the_documented_shape() {
        let text =
            String::from_utf8(destination_record(&end(Condition::RetriesExhausted), at())).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"version":"1.0","timestamp":"2019-11-14T18:16:05.568Z","#,
                r#""requestContext":{"requestId":"3f1c0d2e-0000-4000-8000-000000000001","#,
                r#""functionArn":"arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST","#,
                r#""condition":"RetriesExhausted","approximateInvokeCount":3},"#,
                r#""requestPayload":{ "order": 7 },"#,
                r#""responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"#,
                r#""responsePayload":{"errorMessage":"boom","errorType":"ValueError"}}"#
            )
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["requestPayload"]["order"], 7);
    }

    #[test]
    fn success_record_has_no_function_error_and_a_null_result_when_there_is_none() {
        let mut e = end(Condition::Success);
        e.response_payload = None;
        let v: serde_json::Value = serde_json::from_slice(&destination_record(&e, at())).unwrap();
        assert_eq!(v["requestContext"]["condition"], "Success");
        assert!(v["responseContext"].get("functionError").is_none());
        assert!(v["responsePayload"].is_null());
        assert!(v.as_object().unwrap().contains_key("responsePayload"));
    }

    #[test]
    fn payloads_that_are_not_json_are_embedded_as_strings() {
        let mut e = end(Condition::ZeroReservedConcurrency);
        e.request_payload = b"plain \"text\"";
        e.response_payload = Some(b"not json either");
        e.executed_version = None;
        e.status_code = 429;
        let v: serde_json::Value = serde_json::from_slice(&destination_record(&e, at())).unwrap();
        assert_eq!(v["requestPayload"], "plain \"text\"");
        assert_eq!(v["responsePayload"], "not json either");
        assert_eq!(v["responseContext"]["statusCode"], 429);
        assert!(v["responseContext"].get("executedVersion").is_none());
        assert_eq!(v["requestContext"]["condition"], "ZeroReservedConcurrency");
    }
}
