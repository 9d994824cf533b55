//! The dispatcher over a real queue (SQLite in a temp dir), a fake invoker and a clock the
//! test moves: retries and their spacing, throttles that use no retry, the failure path
//! and the dead letters, leases left by a dead process, and the claim limit.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use stratus_dispatch::{Dispatch, DispatchSettings, Target};
use stratus_store::queue::{ClaimRequest, GroupCommit};
use support::{enqueue, store, t0, Answer, FakeInvoker, ManualClock, Recorder};

fn settings() -> DispatchSettings {
    DispatchSettings {
        concurrency: 10,
        ..DispatchSettings::default()
    }
}

fn dispatch(
    store: &Arc<dyn stratus_store::Store>,
    invoker: &Arc<FakeInvoker>,
    finish: &Arc<Recorder>,
    clock: &Arc<ManualClock>,
    settings: DispatchSettings,
) -> Dispatch {
    Dispatch::new(
        Arc::clone(store),
        GroupCommit::start(Arc::clone(store), 64).unwrap().0,
        invoker.clone(),
        finish.clone(),
        clock.clone(),
        settings,
    )
}

#[tokio::test]
async fn a_failing_event_runs_three_times_a_minute_then_two_apart_then_is_dead_lettered() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let invoker = FakeInvoker::with("f", Target::default(), &[Answer::FunctionError]);
    let finish = Arc::new(Recorder::default());
    let d = dispatch(&store, &invoker, &finish, &clock, settings());
    enqueue(&store, "e1", "f", t0()).await;

    assert_eq!(d.run_due().await.unwrap(), 1);
    assert_eq!(invoker.runs(), [("e1".to_owned(), 1)]);
    assert_eq!(invoker.runs.lock().unwrap()[0].2, br#"{"id":"e1"}"#);
    clock.advance_ms(59_999);
    assert_eq!(d.run_due().await.unwrap(), 0, "not before a minute");
    clock.advance_ms(1);
    assert_eq!(d.run_due().await.unwrap(), 1);
    clock.advance_ms(119_999);
    assert_eq!(d.run_due().await.unwrap(), 0, "not before two minutes");
    clock.advance_ms(1);
    assert_eq!(d.run_due().await.unwrap(), 1);
    let attempts: Vec<u32> = invoker.runs().into_iter().map(|(_, a)| a).collect();
    assert_eq!(attempts, [1, 2, 3]);

    assert_eq!(store.queue_depth("f").await.unwrap(), 0);
    let dead = store.dead_letter("e1").await.unwrap().unwrap();
    assert_eq!(dead.failure.condition, "RetriesExhausted");
    assert_eq!(dead.failure.error_type.as_deref(), Some("RuntimeError"));
    assert_eq!(dead.failure.error_message.as_deref(), Some("boom"));
    assert_eq!(dead.attempts, 2);
    assert_eq!(dead.payload, br#"{"id":"e1"}"#);
    let ends = finish.ends.lock().unwrap().clone();
    assert_eq!(
        ends,
        [(
            "e1".into(),
            "RetriesExhausted".into(),
            3,
            Some("RuntimeError".into())
        )]
    );
    clock.advance_ms(3_600_000);
    assert_eq!(d.run_due().await.unwrap(), 0, "nothing runs after the end");
}

#[tokio::test]
async fn maximum_retry_attempts_zero_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let target = Target {
        maximum_retry_attempts: Some(0),
        ..Target::default()
    };
    let invoker = FakeInvoker::with("f", target, &[Answer::FunctionError]);
    let finish = Arc::new(Recorder::default());
    let d = dispatch(&store, &invoker, &finish, &clock, settings());
    enqueue(&store, "e1", "f", t0()).await;
    d.run_due().await.unwrap();
    assert_eq!(invoker.runs().len(), 1);
    assert!(store.dead_letter("e1").await.unwrap().is_some());
}

#[tokio::test]
async fn throttles_and_platform_failures_back_off_and_use_no_retry() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let answers = [
        Answer::Throttled,
        Answer::PlatformFailure,
        Answer::Throttled,
        Answer::FunctionError,
        Answer::Ok,
    ];
    let target = Target {
        maximum_retry_attempts: Some(1),
        ..Target::default()
    };
    let invoker = FakeInvoker::with("f", target, &answers);
    let finish = Arc::new(Recorder::default());
    let d = dispatch(&store, &invoker, &finish, &clock, settings());
    enqueue(&store, "e1", "f", t0()).await;

    // Back-offs of 1 s, 2 s and 4 s, then a function error that uses the one retry.
    for wait_ms in [1_000, 2_000, 4_000] {
        assert_eq!(d.run_due().await.unwrap(), 1);
        clock.advance_ms(wait_ms - 1);
        assert_eq!(d.run_due().await.unwrap(), 0, "back-off of {wait_ms} ms");
        clock.advance_ms(1);
    }
    assert_eq!(d.run_due().await.unwrap(), 1, "the function error");
    let queued = store.queued_event("e1").await.unwrap().unwrap();
    assert_eq!(queued.attempts, 1, "only the function error counted");
    clock.advance_ms(60_000);
    assert_eq!(d.run_due().await.unwrap(), 1, "the retry succeeds");
    assert_eq!(store.queue_depth("f").await.unwrap(), 0);
    assert!(store.dead_letter("e1").await.unwrap().is_none());
    let ends = finish.ends.lock().unwrap().clone();
    assert_eq!(ends, [("e1".into(), "Success".into(), 2, None)]);
    let attempts: Vec<u32> = invoker.runs().into_iter().map(|(_, a)| a).collect();
    assert_eq!(
        attempts,
        [1, 1, 1, 1, 2],
        "throttled tries are not attempts"
    );
}

#[tokio::test]
async fn reserved_concurrency_zero_ends_without_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let target = Target {
        reserved_concurrency: Some(0),
        ..Target::default()
    };
    let invoker = FakeInvoker::with("f", target, &[Answer::Ok]);
    let finish = Arc::new(Recorder::default());
    let d = dispatch(&store, &invoker, &finish, &clock, settings());
    enqueue(&store, "e1", "f", t0()).await;
    d.run_due().await.unwrap();
    assert!(invoker.runs().is_empty());
    let dead = store.dead_letter("e1").await.unwrap().unwrap();
    assert_eq!(dead.failure.condition, "ZeroReservedConcurrency");
    assert_eq!(dead.attempts, 0);
}

#[tokio::test]
async fn an_event_past_its_maximum_age_ends_before_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let target = Target {
        maximum_event_age_in_seconds: Some(90),
        ..Target::default()
    };
    let invoker = FakeInvoker::with("f", target, &[Answer::FunctionError]);
    let finish = Arc::new(Recorder::default());
    let d = dispatch(&store, &invoker, &finish, &clock, settings());
    enqueue(&store, "e1", "f", t0()).await;
    d.run_due().await.unwrap();
    clock.advance_ms(60_000);
    d.run_due().await.unwrap();
    assert_eq!(invoker.runs().len(), 2, "at 60 s the event is young enough");
    clock.advance_ms(120_000);
    d.run_due().await.unwrap();
    assert_eq!(invoker.runs().len(), 2, "at 180 s it is not");
    let dead = store.dead_letter("e1").await.unwrap().unwrap();
    assert_eq!(dead.failure.condition, "EventAgeExceeded");
    assert_eq!(dead.attempts, 2);
    assert_eq!(finish.ends.lock().unwrap()[0].2, 2);
}

#[tokio::test]
async fn the_test_cap_lowers_the_maximum_age() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let invoker = FakeInvoker::with("f", Target::default(), &[Answer::Throttled]);
    let finish = Arc::new(Recorder::default());
    let capped = DispatchSettings {
        max_event_age_cap: Some(Duration::from_secs(2)),
        ..settings()
    };
    let d = dispatch(&store, &invoker, &finish, &clock, capped);
    enqueue(&store, "e1", "f", t0()).await;
    d.run_due().await.unwrap();
    clock.advance_ms(1_000);
    d.run_due().await.unwrap();
    clock.advance_ms(2_000);
    d.run_due().await.unwrap();
    assert_eq!(invoker.runs().len(), 2);
    let dead = store.dead_letter("e1").await.unwrap().unwrap();
    assert_eq!(dead.failure.condition, "EventAgeExceeded");
}

#[tokio::test]
async fn a_deleted_function_ends_its_events_on_the_failure_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let invoker = Arc::new(FakeInvoker::default());
    let finish = Arc::new(Recorder::default());
    let d = dispatch(&store, &invoker, &finish, &clock, settings());
    enqueue(&store, "e1", "gone", t0()).await;
    d.run_due().await.unwrap();
    let dead = store.dead_letter("e1").await.unwrap().unwrap();
    assert_eq!(dead.failure.condition, "FunctionNotFound");
    assert_eq!(
        dead.failure.error_type.as_deref(),
        Some("ResourceNotFoundException")
    );
}

#[tokio::test]
async fn what_a_target_takes_leaves_the_queue_and_a_failed_success_delivery_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let invoker = FakeInvoker::with("f", Target::default(), &[Answer::FunctionError]);
    invoker.set("ok", Target::default(), &[Answer::Ok]);
    let finish = Arc::new(Recorder {
        take_failures: true,
        refuse_successes: true,
        ..Recorder::default()
    });
    let zero = DispatchSettings {
        concurrency: 10,
        ..DispatchSettings::default()
    };
    let target = Target {
        maximum_retry_attempts: Some(0),
        ..Target::default()
    };
    invoker.set("f", target, &[Answer::FunctionError]);
    let d = dispatch(&store, &invoker, &finish, &clock, zero);
    enqueue(&store, "failed", "f", t0()).await;
    enqueue(&store, "succeeded", "ok", t0()).await;
    assert_eq!(d.run_due().await.unwrap(), 2);
    assert!(
        store.dead_letter("failed").await.unwrap().is_none(),
        "taken"
    );
    assert!(store.queued_event("failed").await.unwrap().is_none());
    let kept = store.dead_letter("succeeded").await.unwrap().unwrap();
    assert_eq!(kept.failure.condition, "Success");
    assert_eq!(
        kept.failure.error_message.as_deref(),
        Some("webhook answered 500")
    );
}

#[tokio::test]
async fn leases_left_by_a_dead_process_are_ended_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    enqueue(&store, "e1", "f", t0()).await;
    // A dispatcher that died holding the event for 20 minutes.
    let mut tx = store.begin().await.unwrap();
    let claimed = tx
        .claim(&ClaimRequest {
            owner: "dead",
            limit: 10,
            now: t0(),
            lease: Duration::from_secs(1200),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);

    let invoker = FakeInvoker::with("f", Target::default(), &[Answer::Ok]);
    let finish = Arc::new(Recorder::default());
    let d = dispatch(&store, &invoker, &finish, &clock, settings());
    assert_eq!(d.run_due().await.unwrap(), 0, "leased by the dead owner");
    assert_eq!(d.recover_leases().await.unwrap(), 1);
    assert_eq!(d.run_due().await.unwrap(), 1);
    assert_eq!(store.queue_depth("f").await.unwrap(), 0);
}

#[tokio::test]
async fn a_claim_takes_no_more_than_can_run_and_a_throttled_backlog_blocks_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let clock = ManualClock::at(t0());
    let invoker = FakeInvoker::with("busy", Target::default(), &[Answer::Throttled]);
    invoker.set("other", Target::default(), &[Answer::Ok]);
    let finish = Arc::new(Recorder::default());
    let two = DispatchSettings {
        concurrency: 2,
        ..DispatchSettings::default()
    };
    let d = dispatch(&store, &invoker, &finish, &clock, two);
    for i in 0..20 {
        enqueue(&store, &format!("busy-{i}"), "busy", t0()).await;
    }
    enqueue(&store, "other-0", "other", t0()).await;
    assert_eq!(d.run_due().await.unwrap(), 2);
    let ids: Vec<String> = invoker.runs().into_iter().map(|(id, _)| id).collect();
    assert!(ids.contains(&"other-0".to_owned()), "{ids:?}");
    assert_eq!(store.queue_depth("other").await.unwrap(), 0);
    assert_eq!(
        store.queue_depth("busy").await.unwrap(),
        20,
        "throttled, kept"
    );
}

#[tokio::test]
async fn the_loop_runs_an_event_when_woken_and_stops_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let invoker = FakeInvoker::with("f", Target::default(), &[Answer::Ok]);
    let finish = Arc::new(Recorder::default());
    let d = Dispatch::new(
        Arc::clone(&store),
        GroupCommit::start(Arc::clone(&store), 64).unwrap().0,
        invoker.clone(),
        finish.clone(),
        Arc::new(stratus_dispatch::SystemClock),
        DispatchSettings {
            concurrency: 4,
            // Only the wake-up can start the run within the deadline below.
            poll_interval: Duration::from_secs(3600),
            ..DispatchSettings::default()
        },
    );
    let wake = Arc::new(tokio::sync::Notify::new());
    let running = d.spawn(Arc::clone(&wake));
    enqueue(&store, "e1", "f", chrono::Utc::now()).await;
    wake.notify_one();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while store.queue_depth("f").await.unwrap() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the event did not run"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(invoker.runs().len(), 1);
    running.shutdown(Duration::from_secs(10)).await;
    enqueue(&store, "e2", "f", chrono::Utc::now()).await;
    wake.notify_one();
    let left = store.queued_event("e2").await.unwrap().unwrap();
    assert!(left.lease.is_none(), "nothing claims after shutdown");
}
