//! The delivery rules over a fake function sink.
#![allow(clippy::unwrap_used)]

mod support;

use stratus_destinations::{Condition, EventEnd};
use support::*;

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn a_success_without_on_success_needs_nothing() {
    let sink = FakeSink::failing(&[]);
    let end = EventEnd {
        on_failure: Some(SINK_ARN),
        dead_letter_target: Some(DLQ_ARN),
        ..success()
    };
    deliverer(sink.clone()).finish(&end).await.unwrap();
    assert!(sink.calls().is_empty());
}

#[tokio::test]
async fn a_success_sends_the_record_to_on_success() {
    let sink = FakeSink::failing(&[]);
    let end = EventEnd {
        on_success: Some(SINK_ARN),
        on_failure: Some(DLQ_ARN),
        ..success()
    };
    deliverer(sink.clone()).finish(&end).await.unwrap();
    let calls = sink.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, SINK_ARN);
    let record = json(&calls[0].1);
    assert_eq!(record["requestContext"]["condition"], "Success");
    assert_eq!(record["requestContext"]["functionArn"], FUNCTION_ARN);
    assert_eq!(record["requestPayload"]["order"], 42);
    assert_eq!(record["responsePayload"]["ok"], true);
}

#[tokio::test]
async fn a_failure_goes_to_on_failure_before_the_dead_letter_target() {
    let sink = FakeSink::failing(&[]);
    let end = EventEnd {
        on_success: Some(DLQ_ARN),
        on_failure: Some(SINK_ARN),
        dead_letter_target: Some(DLQ_ARN),
        ..failure()
    };
    deliverer(sink.clone()).finish(&end).await.unwrap();
    let calls = sink.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, SINK_ARN);
    let record = json(&calls[0].1);
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(record["responseContext"]["functionError"], "Unhandled");
}

#[tokio::test]
async fn without_on_failure_the_raw_event_goes_to_the_dead_letter_function() {
    let sink = FakeSink::failing(&[]);
    let end = EventEnd {
        condition: Condition::ZeroReservedConcurrency,
        dead_letter_target: Some(DLQ_ARN),
        ..failure()
    };
    deliverer(sink.clone()).finish(&end).await.unwrap();
    assert_eq!(
        sink.calls(),
        vec![(DLQ_ARN.to_owned(), br#"{"order":42}"#.to_vec())]
    );
}

#[tokio::test]
async fn a_failed_try_is_tried_once_more() {
    let sink = FakeSink::failing(&["queue busy"]);
    let end = EventEnd {
        on_failure: Some(SINK_ARN),
        ..failure()
    };
    deliverer(sink.clone()).finish(&end).await.unwrap();
    assert_eq!(sink.calls().len(), 2);
}

#[tokio::test]
async fn a_failing_on_failure_falls_back_to_the_dead_letter_target() {
    let sink = FakeSink::failing(&["no such function", "no such function"]);
    let end = EventEnd {
        on_failure: Some(SINK_ARN),
        dead_letter_target: Some(DLQ_ARN),
        ..failure()
    };
    deliverer(sink.clone()).finish(&end).await.unwrap();
    let targets: Vec<String> = sink.calls().into_iter().map(|(t, _)| t).collect();
    assert_eq!(targets, [SINK_ARN, SINK_ARN, DLQ_ARN]);
}

#[tokio::test]
async fn when_no_target_takes_it_the_reason_names_each() {
    let sink = FakeSink::failing(&["refused a", "refused b", "refused c", "refused d"]);
    let end = EventEnd {
        on_failure: Some(SINK_ARN),
        dead_letter_target: Some(DLQ_ARN),
        ..failure()
    };
    let e = deliverer(sink.clone()).finish(&end).await.unwrap_err();
    assert_eq!(sink.calls().len(), 4);
    assert!(
        e.contains(&format!("OnFailure destination {SINK_ARN}: refused b")),
        "{e}"
    );
    assert!(
        e.contains(&format!("DeadLetterConfig target {DLQ_ARN}: refused d")),
        "{e}"
    );
}

#[tokio::test]
async fn a_failure_with_no_target_is_not_delivered() {
    let sink = FakeSink::failing(&[]);
    let e = deliverer(sink.clone())
        .finish(&failure())
        .await
        .unwrap_err();
    assert!(
        e.contains("no OnFailure destination or DeadLetterConfig target"),
        "{e}"
    );
    assert!(sink.calls().is_empty());
}

#[tokio::test]
async fn a_stored_target_stratus_cannot_deliver_to_fails_without_a_call() {
    let sink = FakeSink::failing(&[]);
    let end = EventEnd {
        on_success: Some("arn:aws:sqs:us-east-1:123456789012:q"),
        ..success()
    };
    let e = deliverer(sink.clone()).finish(&end).await.unwrap_err();
    assert!(e.starts_with("OnSuccess destination arn:aws:sqs"), "{e}");
    assert!(sink.calls().is_empty());
}
