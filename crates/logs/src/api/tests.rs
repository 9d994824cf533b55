//! The service's rules: decoding, limits, retention values, errors and their wire form.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::LogStore;

fn decode(op: &str, body: &str) -> Result<Request, LogsError> {
    Request::from_wire(Some(&format!("{TARGET_PREFIX}{op}")), body.as_bytes())
}

#[test]
fn limits_default_and_are_bounded() {
    let limit = |body: &str| match decode("DescribeLogGroups", body).unwrap() {
        Request::DescribeLogGroups(r) => r.limit,
        other => panic!("{other:?}"),
    };
    assert_eq!(limit(""), 50);
    assert_eq!(limit(r#"{"limit": 0}"#), 1);
    assert_eq!(limit(r#"{"limit": 20000}"#), 10_000);
    assert_eq!(limit(r#"{"limit": 7}"#), 7);
}

#[test]
fn requests_carry_their_parameters() {
    let r = decode(
        "DescribeLogStreams",
        r#"{"logGroupName":"g","orderBy":"LastEventTime","descending":true,"nextToken":"2","unknown":1}"#,
    )
    .unwrap();
    assert_eq!(
        r,
        Request::DescribeLogStreams(DescribeLogStreams {
            group: "g".into(),
            prefix: None,
            order: StreamOrder::LastEventTime,
            descending: true,
            limit: 50,
            next_token: Some("2".into()),
        })
    );
    let r = decode(
        "FilterLogEvents",
        r#"{"logGroupName":"g","logStreamNames":["a"],"filterPattern":"x","startTime":5}"#,
    )
    .unwrap();
    let Request::FilterLogEvents(f) = r else {
        panic!("{r:?}")
    };
    assert_eq!(f.stream_names, Some(vec!["a".to_owned()]));
    assert_eq!((f.pattern.as_deref(), f.start_time), (Some("x"), Some(5)));
    let r = decode("GetLogEvents", r#"{"logGroupName":"g"}"#).unwrap();
    let Request::GetLogEvents(g) = r else {
        panic!("{r:?}")
    };
    assert!(!g.start_from_head && g.stream.is_empty());
}

#[test]
fn retention_must_be_a_cloudwatch_period() {
    assert_eq!(
        decode(
            "PutRetentionPolicy",
            r#"{"logGroupName":"g","retentionInDays":14}"#
        )
        .unwrap(),
        Request::PutRetentionPolicy(PutRetentionPolicy {
            group: "g".into(),
            days: 14
        })
    );
    let e = decode(
        "PutRetentionPolicy",
        r#"{"logGroupName":"g","retentionInDays":8}"#,
    )
    .unwrap_err();
    assert_eq!(e.error_type(), "InvalidParameterException");
    assert_eq!(e.status(), 400);
    assert_eq!(
        e.wire_message(),
        "1 validation error detected: Value '8' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]"
    );
    let e = decode("PutRetentionPolicy", r#"{"logGroupName":"g"}"#).unwrap_err();
    assert!(e
        .wire_message()
        .starts_with("1 validation error detected: Value 'null' at"));
}

#[test]
fn bad_targets_and_bodies_are_rejected() {
    let e = Request::from_wire(None, b"").unwrap_err();
    assert_eq!(
        (e.error_type(), e.wire_message().as_str()),
        (
            "UnknownOperationException",
            "missing or unknown X-Amz-Target"
        )
    );
    let e = Request::from_wire(Some("Lambda.Invoke"), b"").unwrap_err();
    assert!(matches!(e, LogsError::MissingTarget));
    let e = decode("PutLogEvents", "{}").unwrap_err();
    assert_eq!(
        (e.error_type(), e.wire_message().as_str()),
        (
            "UnknownOperationException",
            "operation PutLogEvents is not supported"
        )
    );
    // The body is decoded before the operation is looked at.
    let e = decode("PutLogEvents", "{").unwrap_err();
    assert_eq!(e.error_type(), "SerializationException");
    let e = decode("GetLogEvents", r#"{"limit":"x"}"#).unwrap_err();
    assert_eq!(e.error_type(), "SerializationException");
    assert_eq!(
        e.wire_message(),
        r#"invalid type: string "x", expected usize at line 1 column 12"#
    );
    assert!(is_logs_target("Logs_20140328.GetLogEvents") && !is_logs_target("Logs."));
}

#[test]
fn missing_groups_and_streams_are_resource_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = LogStore::open(dir.path(), None).unwrap();
    s.append("g", "a", &[(1, "x".into())]);
    for (op, body) in [
        ("DescribeLogStreams", r#"{"logGroupName":"nope"}"#),
        (
            "GetLogEvents",
            r#"{"logGroupName":"nope","logStreamName":"a"}"#,
        ),
        ("FilterLogEvents", r#"{"logGroupName":"nope"}"#),
        (
            "PutRetentionPolicy",
            r#"{"logGroupName":"nope","retentionInDays":7}"#,
        ),
        ("DeleteRetentionPolicy", r#"{"logGroupName":"nope"}"#),
        ("DeleteLogGroup", r#"{"logGroupName":"nope"}"#),
    ] {
        let e = s.serve("r", "1", decode(op, body).unwrap()).unwrap_err();
        assert_eq!(e.error_type(), "ResourceNotFoundException", "{op}");
        assert_eq!(
            e.wire_message(),
            "The specified log group does not exist.",
            "{op}"
        );
        assert_eq!(e.status(), 400);
    }
    let req = decode(
        "GetLogEvents",
        r#"{"logGroupName":"g","logStreamName":"b"}"#,
    )
    .unwrap();
    let e = s.serve("r", "1", req).unwrap_err();
    assert_eq!(e.error_type(), "ResourceNotFoundException");
    assert_eq!(e.wire_message(), "The specified log stream does not exist.");
}

#[test]
fn responses_encode_as_cloudwatch_logs_json() {
    let dir = tempfile::tempdir().unwrap();
    let s = LogStore::open(dir.path(), None).unwrap();
    s.append("g", "a", &[(1, "x".into())]);
    let ok = |op: &str, body: &str| {
        let r = s.serve("r", "1", decode(op, body).unwrap()).unwrap();
        String::from_utf8(r.to_json().unwrap()).unwrap()
    };
    assert_eq!(
        ok(
            "PutRetentionPolicy",
            r#"{"logGroupName":"g","retentionInDays":1}"#
        ),
        "{}"
    );
    let got = ok(
        "GetLogEvents",
        r#"{"logGroupName":"g","logStreamName":"a"}"#,
    );
    // Retention of 1 day hides an event stamped 1970: the page is empty.
    assert_eq!(
        got,
        r#"{"events":[],"nextBackwardToken":"b/0","nextForwardToken":"f/0"}"#
    );
    assert_eq!(ok("DeleteRetentionPolicy", r#"{"logGroupName":"g"}"#), "{}");
    let got = ok(
        "GetLogEvents",
        r#"{"logGroupName":"g","logStreamName":"a"}"#,
    );
    assert!(got.starts_with(r#"{"events":[{"ingestionTime":"#), "{got}");
    assert!(
        got.ends_with(
            r#","message":"x","timestamp":1}],"nextBackwardToken":"b/0","nextForwardToken":"f/1"}"#
        ),
        "{got}"
    );
    let got = ok("DescribeLogGroups", "");
    assert!(
        got.starts_with(r#"{"logGroups":[{"arn":"arn:aws:logs:r:1:log-group:g:*","creationTime":"#),
        "{got}"
    );
    assert!(
        got.contains(r#","logGroupName":"g","metricFilterCount":0,"storedBytes":"#),
        "{got}"
    );
}
