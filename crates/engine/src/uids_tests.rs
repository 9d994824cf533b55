//! Per-environment uids over the fake backend ([`crate::fake`]): every live environment
//! has a uid no other live one has, a destroyed environment's uid comes back only once it
//! is killed, an exhausted range evicts an idle environment and then throttles.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use stratus_model::ErrorKind;

use crate::fake::{engine_with_uids, request, until, Act};
use crate::EngineError;

#[tokio::test]
async fn live_environments_have_distinct_uids_from_the_range() {
    let (engine, script, _logs) = engine_with_uids(5000..=5009);
    let mut calls = Vec::new();
    for i in 0..4 {
        script.then(Act::Hang);
        let engine = engine.clone();
        calls.push(tokio::spawn(async move {
            engine
                .invoke(request(&format!("f{i}"), &format!("r-{i}"), None))
                .await
        }));
    }
    until("four runtimes have their event", || {
        script.entered.load(Ordering::SeqCst) == 4
    })
    .await;
    let uids = script.uids.lock().unwrap().clone();
    assert_eq!(uids.len(), 4);
    assert_eq!(uids.iter().collect::<HashSet<_>>().len(), 4, "{uids:?}");
    assert!(uids.iter().all(|u| (5000..=5009).contains(u)), "{uids:?}");
    assert_eq!(engine.uids_held(), 4);
    for call in calls {
        call.abort();
    }
    until("every uid is given back", || engine.uids_held() == 0).await;
}

#[tokio::test]
async fn an_exhausted_range_evicts_an_idle_environment_then_throttles() {
    let (engine, script, _logs) = engine_with_uids(7000..=7001);
    engine.invoke(request("a", "r-1", None)).await.unwrap();
    engine.invoke(request("b", "r-2", None)).await.unwrap();
    assert_eq!(engine.uids_held(), 2);
    // Both uids are held by idle environments: c takes a's (the oldest), after its kill.
    engine.invoke(request("c", "r-3", None)).await.unwrap();
    assert_eq!(script.kills(), 1, "a was killed before its uid was reused");
    assert_eq!(*script.uids.lock().unwrap(), [7000, 7001, 7000]);
    assert_eq!(engine.uids_held(), 2);

    // Both busy: nothing to evict, so the next cold start is throttled, never a 500.
    script.then(Act::Hang);
    script.then(Act::Hang);
    let mut b = Box::pin(engine.invoke(request("b", "r-4", None)));
    let mut c = Box::pin(engine.invoke(request("c", "r-5", None)));
    tokio::select! {
        _ = &mut b => panic!("a hanging invocation finished"),
        _ = &mut c => panic!("a hanging invocation finished"),
        () = until("both runtimes have their event", || script.entered.load(Ordering::SeqCst) == 5) => {}
    }
    let throttled = engine.invoke(request("d", "r-6", None)).await.unwrap_err();
    assert!(matches!(
        throttled,
        EngineError::Throttled("ConcurrentInvocationLimitExceeded")
    ));
    assert_eq!(throttled.to_lambda().kind, ErrorKind::TooManyRequests);

    assert_eq!(engine.uids_held(), 2);
    // The abandoned invocation's environment is destroyed; its uid comes back once killed.
    drop(b);
    until("b's uid is given back", || engine.uids_held() == 1).await;
    assert_eq!(script.kills(), 2, "b's uid came back before its kill");
    let d = engine.invoke(request("d", "r-7", None)).await.unwrap();
    assert!(!d.function_error);
}

#[tokio::test]
async fn a_failed_init_gives_its_uid_back() {
    let (engine, script, _logs) = engine_with_uids(9000..=9000);
    script.init_fails.store(true, Ordering::SeqCst);
    for i in 0..3 {
        let r = engine.invoke(request("f", &format!("r-{i}"), None)).await;
        assert!(r.is_ok_and(|r| r.function_error));
    }
    assert_eq!(engine.uids_held(), 0);
    script.init_fails.store(false, Ordering::SeqCst);
    engine.invoke(request("f", "r-9", None)).await.unwrap();
    assert_eq!(engine.uids_held(), 1);
    engine.retire("f");
    until("the retired environment's uid is back", || {
        engine.uids_held() == 0
    })
    .await;
}
