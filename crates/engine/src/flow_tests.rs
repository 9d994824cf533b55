//! The invoke flow over the fake backend ([`crate::fake`]): warm reuse, broken environments,
//! the lifetime cap, throttling and abandoned invocations, without root or processes.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;
use std::time::Duration;

use stratus_model::ErrorKind;

use crate::fake::{engine, engine_with_log_limit, request, until, Act};
use crate::{EngineError, Lifetime};

fn no_cap() -> Lifetime {
    Lifetime {
        max_invocations: 0,
        max_age: Duration::ZERO,
    }
}

#[tokio::test]
async fn a_warm_environment_is_reused() {
    let (engine, script, logs) = engine(no_cap());
    let first = engine.invoke(request("f", "r-1", None)).await.unwrap();
    let second = engine.invoke(request("f", "r-2", None)).await.unwrap();
    assert_eq!(&first.payload[..], b"{\"n\":1}");
    assert!(!first.function_error && !second.function_error);
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 1);
    assert_eq!(engine.idle_environments(), 1);
    let reports = logs.lines_with("REPORT RequestId: r-");
    assert!(reports[0].contains("Init Duration"), "{reports:?}");
    assert!(!reports[1].contains("Init Duration"), "{reports:?}");
    assert_eq!(logs.stream_of("r-1"), logs.stream_of("r-2"));
    // The function's output lands between START and END.
    assert_eq!(logs.lines_with("handling r-2"), ["handling r-2"]);
}

#[tokio::test]
async fn a_runtime_that_exits_is_destroyed_and_replaced() {
    let (engine, script, logs) = engine(no_cap());
    script.then(Act::Exit);
    let broken = engine.invoke(request("f", "r-1", None)).await.unwrap();
    assert!(broken.function_error);
    let body = String::from_utf8_lossy(&broken.payload).into_owned();
    assert!(
        body.contains("Runtime.ExitError") && body.contains("exit status 3"),
        "{body}"
    );
    until("the broken environment is killed", || script.kills() == 1).await;
    assert_eq!(engine.idle_environments(), 0);
    assert_eq!(logs.lines_with("END RequestId: r-1").len(), 1);
    let next = engine.invoke(request("f", "r-2", None)).await.unwrap();
    assert!(!next.function_error);
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_environment_retires_after_its_invocation_cap() {
    let (engine, script, logs) = engine(Lifetime {
        max_invocations: 3,
        max_age: Duration::ZERO,
    });
    for n in 1..=3 {
        engine
            .invoke(request("f", &format!("r-{n}"), None))
            .await
            .unwrap();
    }
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 1);
    until("the spent environment is killed", || script.kills() == 1).await;
    assert_eq!(engine.idle_environments(), 0);
    engine.invoke(request("f", "r-4", None)).await.unwrap();
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 2);
    assert_ne!(logs.stream_of("r-3"), logs.stream_of("r-4"));
    assert!(logs.lines_with("REPORT RequestId: r-4")[0].contains("Init Duration"));
}

#[tokio::test]
async fn an_abandoned_invocation_is_logged_and_its_environment_destroyed_off_the_worker() {
    // One worker thread, this one: a kill on it would be a kill on an async worker.
    let worker = std::thread::current().id();
    let (engine, script, logs) = engine(no_cap());
    script.then(Act::Hang);
    let mut abandoned = Box::pin(engine.invoke(request("f", "r-1", Some(1))));
    tokio::select! {
        _ = &mut abandoned => panic!("a hanging invocation finished"),
        () = until("the runtime has the event", || script.entered.load(Ordering::SeqCst) == 1) => {}
    }
    // The reserved concurrency of 1 is in use.
    let throttled = engine
        .invoke(request("f", "r-2", Some(1)))
        .await
        .unwrap_err();
    assert!(matches!(throttled, EngineError::Throttled(_)));
    assert_eq!(throttled.to_lambda().kind, ErrorKind::TooManyRequests);

    drop(abandoned);
    until("the abandoned invocation's END is logged", || {
        !logs.lines_with("END RequestId: r-1").is_empty()
    })
    .await;
    assert_eq!(logs.lines_with("START RequestId: r-1").len(), 1);
    assert_eq!(logs.lines_with("REPORT RequestId: r-1").len(), 1);
    assert_eq!(logs.lines_with("handling r-1"), ["handling r-1"]);
    let kills = script.kills.lock().unwrap().clone();
    assert_eq!(kills.len(), 1);
    assert_ne!(
        kills[0], worker,
        "the sandbox was killed on the async worker"
    );
    until("the slot is released", || engine.running() == 0).await;

    let next = engine.invoke(request("f", "r-3", Some(1))).await.unwrap();
    assert!(!next.function_error);
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn shutdown_destroys_idle_environments() {
    let (engine, script, _logs) = engine(no_cap());
    engine.invoke(request("f", "r-1", None)).await.unwrap();
    engine.invoke(request("g", "r-2", None)).await.unwrap();
    engine.retire("f");
    until("the retired environment is killed", || script.kills() == 1).await;
    engine.shutdown().await;
    assert_eq!(script.kills(), 2);
    assert_eq!(engine.idle_environments(), 0);
}

/// Reservations are guaranteed: functions without one share only the unreserved pool, and a
/// function with a reservation is admitted while that pool is full.
#[tokio::test]
async fn the_unreserved_pool_is_shared_and_reservations_stay_available() {
    let (engine, script, _logs) = engine(no_cap());
    script.then(Act::Hang);
    let mut unreserved = request("open", "r-1", None);
    unreserved.unreserved_pool = Some(1);
    let mut holding = Box::pin(engine.invoke(unreserved));
    tokio::select! {
        _ = &mut holding => panic!("a hanging invocation finished"),
        () = until("the runtime has the event", || script.entered.load(Ordering::SeqCst) == 1) => {}
    }
    // The pool of 1 is in use: another unreserved function is throttled for the account...
    let mut other = request("other", "r-2", None);
    other.unreserved_pool = Some(1);
    let throttled = engine.invoke(other).await.unwrap_err();
    assert!(
        matches!(
            throttled,
            EngineError::Throttled("ConcurrentInvocationLimitExceeded")
        ),
        "{throttled:?}"
    );
    // ...while a function with a reservation still runs.
    let mut reserved = request("reserved", "r-3", Some(2));
    reserved.unreserved_pool = Some(1);
    assert!(engine.invoke(reserved).await.is_ok());
    drop(holding);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_past_the_limit_is_dropped_with_one_line_and_the_invocation_completes() {
    let limit = 1 << 20;
    let (engine, script, logs) = engine_with_log_limit(limit);
    script.then(Act::Flood(16 << 20));
    let flooded = engine.invoke(request("f", "r-1", None)).await.unwrap();
    assert!(!flooded.function_error);
    let all = logs.all();
    let start = all
        .iter()
        .position(|l| l.starts_with("START RequestId: r-1"))
        .unwrap();
    let end = all.iter().position(|l| l == "END RequestId: r-1").unwrap();
    let printed: Vec<&String> = all[start..end]
        .iter()
        .filter(|l| l.starts_with('f'))
        .collect();
    // Every line with its newline, but the last: the limit cut it.
    let kept = printed.iter().map(|l| l.len() + 1).sum::<usize>() - 1;
    let handling = "handling r-1\n".len();
    assert_eq!(
        kept,
        limit as usize - handling,
        "the limit's worth of output is kept"
    );
    let truncation = &all[end - 1];
    let dropped = (16 << 20) + handling - limit as usize;
    assert!(
        truncation.contains(&format!("r-1 Log truncated: {dropped} bytes")),
        "{truncation}"
    );
    // The tail ends with the truncation line, END and REPORT.
    use base64::Engine as _;
    let tail = base64::engine::general_purpose::STANDARD
        .decode(flooded.log_result.unwrap())
        .unwrap();
    let tail = String::from_utf8(tail).unwrap();
    assert!(
        tail.contains("Log truncated") && tail.contains("REPORT RequestId: r-1"),
        "{tail}"
    );
    // The environment is reused, with the whole limit again.
    let next = engine.invoke(request("f", "r-2", None)).await.unwrap();
    assert!(!next.function_error);
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 1);
    assert_eq!(logs.lines_with("handling r-2"), ["handling r-2"]);
    assert!(logs.lines_with("Log truncated").len() == 1);
}
