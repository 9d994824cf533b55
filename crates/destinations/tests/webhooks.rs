//! Webhook deliveries against an HTTP server the test starts on 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use stratus_destinations::{EventEnd, USER_AGENT};
use support::*;

#[tokio::test]
async fn the_record_is_posted_as_json() {
    let hook = hook(StatusCode::OK).await;
    let end = EventEnd {
        on_failure: Some(&hook.url),
        ..failure()
    };
    deliverer(FakeSink::failing(&[]))
        .finish(&end)
        .await
        .unwrap();
    let got = hook.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].headers["content-type"], "application/json");
    assert_eq!(got[0].headers["user-agent"], USER_AGENT);
    let record: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(record["version"], "1.0");
    assert_eq!(
        record["requestContext"]["requestId"],
        "8d4c4d7a-1111-4222-8333-444455556666"
    );
    assert_eq!(record["requestPayload"]["order"], 42);
    assert_eq!(record["responsePayload"]["errorType"], "ValueError");
}

#[tokio::test]
async fn a_dead_letter_webhook_gets_the_raw_event_and_the_error_headers() {
    let hook = hook(StatusCode::NO_CONTENT).await;
    let end = EventEnd {
        dead_letter_target: Some(&hook.url),
        ..failure()
    };
    deliverer(FakeSink::failing(&[]))
        .finish(&end)
        .await
        .unwrap();
    let got = hook.received();
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].body[..], br#"{"order":42}"#);
    let h = &got[0].headers;
    assert_eq!(
        h["x-amz-lambda-requestid"],
        "8d4c4d7a-1111-4222-8333-444455556666"
    );
    assert_eq!(h["x-amz-lambda-errorcode"], "200");
    assert_eq!(h["x-amz-lambda-errortype"], "ValueError");
    assert_eq!(h["x-amz-lambda-errormessage"], "boom second line");
    assert_eq!(h["x-amz-lambda-condition"], "RetriesExhausted");
}

#[tokio::test]
async fn a_webhook_answering_500_is_tried_twice_then_fails() {
    let hook = hook(StatusCode::INTERNAL_SERVER_ERROR).await;
    let end = EventEnd {
        on_success: Some(&hook.url),
        ..success()
    };
    let e = deliverer(FakeSink::failing(&[]))
        .finish(&end)
        .await
        .unwrap_err();
    assert_eq!(hook.received().len(), 2);
    assert!(
        e.contains(&hook.url) && e.contains("answered HTTP 500"),
        "{e}"
    );
}

#[tokio::test]
async fn a_closed_port_fails() {
    let url = closed_url().await;
    let end = EventEnd {
        on_failure: Some(&url),
        ..failure()
    };
    let e = deliverer(FakeSink::failing(&[]))
        .finish(&end)
        .await
        .unwrap_err();
    assert!(e.contains(&url) && e.contains("could not connect"), "{e}");
}

#[tokio::test]
async fn a_failing_webhook_destination_falls_back_to_a_dead_letter_webhook() {
    let bad = hook(StatusCode::BAD_GATEWAY).await;
    let dlq = hook(StatusCode::OK).await;
    let end = EventEnd {
        on_failure: Some(&bad.url),
        dead_letter_target: Some(&dlq.url),
        ..failure()
    };
    deliverer(FakeSink::failing(&[]))
        .finish(&end)
        .await
        .unwrap();
    assert_eq!(bad.received().len(), 2);
    assert_eq!(dlq.received().len(), 1);
}
