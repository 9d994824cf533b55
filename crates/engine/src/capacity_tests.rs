//! Host memory admission over the fake backend ([`crate::fake`]): a cold start that does
//! not fit evicts the idle environment used longest ago, and is throttled when nothing
//! idle is left; an environment's memory comes back when it is gone.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;

use stratus_model::ErrorKind;

use crate::fake::{engine_with_memory, request, until, Act};
use crate::EngineError;

/// Room for two environments of 128 MB (the default MemorySize), not three.
const LIMIT_MB: u64 = 300;

#[tokio::test]
async fn a_cold_start_that_does_not_fit_evicts_the_least_recently_used_idle_environment() {
    let (engine, script, _logs) = engine_with_memory(LIMIT_MB);
    engine.invoke(request("f", "r-1", None)).await.unwrap();
    engine.invoke(request("g", "r-2", None)).await.unwrap();
    // g was used last: f's environment is the one to go.
    engine.invoke(request("g", "r-3", None)).await.unwrap();
    assert_eq!(engine.memory_held_mb(), 256);
    let h = engine.invoke(request("h", "r-4", None)).await.unwrap();
    assert!(!h.function_error);
    until("f's environment is killed", || script.kills() == 1).await;
    assert_eq!(engine.idle_environments(), 2);
    assert_eq!(engine.memory_held_mb(), 256);
    // g is still warm; f is cold again and evicts g's (now the oldest).
    engine.invoke(request("g", "r-5", None)).await.unwrap();
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 3);
    engine.invoke(request("f", "r-6", None)).await.unwrap();
    assert_eq!(script.cold_starts.load(Ordering::SeqCst), 4);
    until("h's environment is killed", || script.kills() == 2).await;
}

#[tokio::test]
async fn with_every_environment_busy_a_cold_start_is_throttled_until_one_is_gone() {
    let (engine, script, _logs) = engine_with_memory(LIMIT_MB);
    script.then(Act::Hang);
    script.then(Act::Hang);
    let mut a = Box::pin(engine.invoke(request("a", "r-1", None)));
    let mut b = Box::pin(engine.invoke(request("b", "r-2", None)));
    tokio::select! {
        _ = &mut a => panic!("a hanging invocation finished"),
        _ = &mut b => panic!("a hanging invocation finished"),
        () = until("both runtimes have their event", || script.entered.load(Ordering::SeqCst) == 2) => {}
    }
    let throttled = engine.invoke(request("c", "r-3", None)).await.unwrap_err();
    assert!(matches!(
        throttled,
        EngineError::Throttled("ConcurrentInvocationLimitExceeded")
    ));
    assert_eq!(throttled.to_lambda().kind, ErrorKind::TooManyRequests);
    assert_eq!(
        script.cold_starts.load(Ordering::SeqCst),
        2,
        "no environment for c"
    );

    // The abandoned invocation's environment is destroyed; its memory comes back.
    drop(a);
    until("a's memory is given back", || {
        engine.memory_held_mb() == 128
    })
    .await;
    let c = engine.invoke(request("c", "r-4", None)).await.unwrap();
    assert!(!c.function_error);
}
