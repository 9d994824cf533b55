#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use chrono::TimeDelta;
use stratus_invocation::FunctionError;

use super::*;

fn event(received_at: DateTime<Utc>, attempts: u32) -> QueuedEvent {
    QueuedEvent {
        id: "e".into(),
        function: "f".into(),
        qualifier: "$LATEST".into(),
        payload: b"{}".to_vec(),
        received_at,
        attempts,
        not_before: received_at,
        lease: None,
    }
}

fn ran(error: bool, payload: &'static [u8]) -> Result<SyncResult, LambdaError> {
    Ok(SyncResult {
        payload: Bytes::from_static(payload),
        function_error: error.then_some(FunctionError::Unhandled),
        log_result: None,
        executed_version: "$LATEST".into(),
        request_id: "e".into(),
    })
}

const BASE: Duration = Duration::from_secs(60);

#[test]
fn function_errors_retry_after_one_then_two_bases_then_end() {
    let t = Target::default();
    let failed = ran(true, br#"{"errorType":"Boom","errorMessage":"no"}"#);
    assert_eq!(after_run(0, &t, &failed, BASE), Step::Retry { after: BASE });
    assert_eq!(
        after_run(1, &t, &failed, BASE),
        Step::Retry { after: BASE * 2 }
    );
    let Step::End(end) = after_run(2, &t, &failed, BASE) else {
        panic!("a third failure ends the event");
    };
    assert_eq!(end.condition, Condition::RetriesExhausted);
    assert_eq!(end.error_type.as_deref(), Some("Boom"));
    assert_eq!(end.error_message.as_deref(), Some("no"));
}

#[test]
fn maximum_retry_attempts_is_obeyed() {
    let failed = ran(true, b"not json");
    let none = Target {
        maximum_retry_attempts: Some(0),
        ..Target::default()
    };
    let Step::End(end) = after_run(0, &none, &failed, BASE) else {
        panic!("no retry allowed");
    };
    assert_eq!(end.condition, Condition::RetriesExhausted);
    assert_eq!(end.error_type.as_deref(), Some("Unhandled"));
    let one = Target {
        maximum_retry_attempts: Some(1),
        ..Target::default()
    };
    assert_eq!(
        after_run(0, &one, &failed, BASE),
        Step::Retry { after: BASE }
    );
    assert!(matches!(after_run(1, &one, &failed, BASE), Step::End(_)));
}

#[test]
fn success_ends_on_the_success_path() {
    let Step::End(end) = after_run(2, &Target::default(), &ran(false, b"1"), BASE) else {
        panic!("success ends");
    };
    assert_eq!(end.condition, Condition::Success);
    assert_eq!(end.error_type, None);
}

#[test]
fn throttles_and_platform_failures_back_off_without_a_retry() {
    let t = Target::default();
    let throttled = Err(LambdaError::new(
        ErrorKind::TooManyRequests,
        "Rate Exceeded.",
    ));
    assert_eq!(after_run(2, &t, &throttled, BASE), Step::Backoff);
    assert_eq!(
        after_run(0, &t, &Err(LambdaError::internal()), BASE),
        Step::Backoff
    );
    let runtime = Err(LambdaError::new(ErrorKind::InvalidRuntime, "gone"));
    assert_eq!(after_run(0, &t, &runtime, BASE), Step::Backoff);
    let secs: Vec<u64> = (1..=11).map(|n| backoff(n).as_secs()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    assert_eq!(backoff(u32::MAX), Duration::from_secs(300));
}

#[test]
fn a_function_gone_ends_the_event_other_resolution_failures_back_off() {
    let gone = LambdaError::not_found("Function not found: arn:…:f:$LATEST");
    let Step::End(end) = unresolved(&gone) else {
        panic!("gone ends");
    };
    assert_eq!(end.condition, Condition::FunctionNotFound);
    assert_eq!(end.error_type.as_deref(), Some("ResourceNotFoundException"));
    assert_eq!(unresolved(&LambdaError::internal()), Step::Backoff);
    let during_run = after_run(0, &Target::default(), &Err(gone), BASE);
    assert!(matches!(during_run, Step::End(e) if e.condition == Condition::FunctionNotFound));
}

#[test]
fn an_event_older_than_its_maximum_age_ends_before_it_runs() {
    let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let e = event(t0, 1);
    let default = Target::default();
    let at = |s: i64| t0 + TimeDelta::seconds(s);
    assert_eq!(before_run(&e, &default, at(21_600), None), None);
    let old = before_run(&e, &default, at(21_601), None).unwrap();
    assert_eq!(old.condition, Condition::EventAgeExceeded);
    let short = Target {
        maximum_event_age_in_seconds: Some(60),
        ..Target::default()
    };
    assert_eq!(before_run(&e, &short, at(60), None), None);
    assert!(before_run(&e, &short, at(61), None).is_some());
    // The test cap lowers every limit, and only lowers.
    let cap = Some(Duration::from_secs(5));
    assert!(before_run(&e, &short, at(6), cap).is_some());
    assert_eq!(before_run(&e, &short, at(5), cap), None);
    assert_eq!(
        max_event_age(Some(600), Some(Duration::from_secs(7200))).as_secs(),
        600
    );
    assert_eq!(max_event_age(Some(10), None).as_secs(), 60);
}

#[test]
fn reserved_concurrency_zero_ends_the_event_without_a_run() {
    let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let off = Target {
        reserved_concurrency: Some(0),
        ..Target::default()
    };
    let end = before_run(&event(t0, 0), &off, t0, None).unwrap();
    assert_eq!(end.condition, Condition::ZeroReservedConcurrency);
    let one = Target {
        reserved_concurrency: Some(1),
        ..Target::default()
    };
    assert_eq!(before_run(&event(t0, 0), &one, t0, None), None);
}
