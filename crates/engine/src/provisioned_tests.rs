//! Provisioned concurrency over the fake backend: environments made ahead and their status,
//! invocations served by them first and spilling over to on-demand ones, replacement, growth
//! and shrinking, removal, failed initialisation, and the idle TTL and lifetime caps.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use stratus_model::provisioned::{ProvisionSpec, ProvisionedStatus};
use stratus_model::{FunctionVersion, Version};

use crate::fake::{engine, engine_with, invocation_of, until, version, Act, Fake, Script};
use crate::{Engine, InitType, Lifetime};

fn no_cap() -> Lifetime {
    Lifetime {
        max_invocations: 0,
        max_age: Duration::ZERO,
    }
}

fn spec(
    qualifier: &str,
    stamp: &str,
    versions: Vec<(Arc<FunctionVersion>, usize)>,
) -> ProvisionSpec {
    ProvisionSpec {
        qualifier: qualifier.into(),
        last_modified: stamp.into(),
        versions,
    }
}

fn status(engine: &Engine<Fake>, q: &str) -> Option<ProvisionedStatus> {
    engine.provisioned_state("f", q).map(|s| s.status)
}

async fn ready(engine: &Engine<Fake>, q: &str, n: i64) {
    until(&format!("{q} is READY with {n}"), || {
        engine.provisioned_state("f", q).is_some_and(|s| {
            s.status == ProvisionedStatus::Ready && s.allocated == n && s.available == n
        })
    })
    .await;
}

fn provisioned_inits(script: &Script) -> usize {
    script.inits(InitType::Provisioned)
}

#[tokio::test]
async fn environments_are_ready_before_the_first_invocation_and_serve_it() {
    let (engine, script, logs) = engine(no_cap());
    let v1 = version("f", Version::Published(1));
    assert_eq!(status(&engine, "1"), None);
    engine.set_provisioned("f", vec![spec("1", "t1", vec![(Arc::clone(&v1), 2)])]);
    assert_ne!(status(&engine, "1"), Some(ProvisionedStatus::Failed));
    ready(&engine, "1", 2).await;
    assert_eq!(provisioned_inits(&script), 2);
    assert_eq!(engine.idle_environments(), 2);
    // Each environment logged its init to its own stream before any invocation.
    assert_eq!(logs.lines_with("INIT_START").len(), 2);

    let out = engine
        .invoke(invocation_of(Arc::clone(&v1), "r-1", None))
        .await
        .unwrap();
    assert!(!out.function_error);
    assert_eq!(
        script.cold_starts.load(Ordering::SeqCst),
        2,
        "no on-demand cold start"
    );
    let report = &logs.lines_with("REPORT RequestId: r-1")[0];
    assert!(!report.contains("Init Duration"), "{report}");
    let usage = engine.provisioned_usage();
    assert_eq!(
        (usage[0].requested, usage[0].allocated, usage[0].in_use),
        (2, 2, 0)
    );
}

#[tokio::test]
async fn invocations_spill_over_to_on_demand_environments() {
    let (engine, script, logs) = engine(no_cap());
    let v1 = version("f", Version::Published(1));
    engine.set_provisioned("f", vec![spec("live", "t1", vec![(Arc::clone(&v1), 1)])]);
    ready(&engine, "live", 1).await;
    script.then(Act::Hang);
    let mut held = Box::pin(engine.invoke(invocation_of(Arc::clone(&v1), "r-1", None)));
    tokio::select! {
        _ = &mut held => panic!("a hanging invocation finished"),
        () = until("the provisioned environment runs r-1", || script.entered.load(Ordering::SeqCst) == 1) => {}
    }
    assert_eq!(engine.provisioned_usage()[0].in_use, 1);
    engine
        .invoke(invocation_of(Arc::clone(&v1), "r-2", None))
        .await
        .unwrap();
    assert_eq!(script.inits(InitType::OnDemand), 1);
    assert!(logs.lines_with("REPORT RequestId: r-2")[0].contains("Init Duration"));
    drop(held);
}

#[tokio::test]
async fn a_provisioned_environment_that_dies_is_replaced() {
    let (engine, script, _logs) = engine(no_cap());
    let v1 = version("f", Version::Published(1));
    engine.set_provisioned("f", vec![spec("1", "t1", vec![(Arc::clone(&v1), 1)])]);
    ready(&engine, "1", 1).await;
    script.then(Act::Exit);
    let broken = engine
        .invoke(invocation_of(Arc::clone(&v1), "r-1", None))
        .await
        .unwrap();
    assert!(broken.function_error);
    until("a replacement is made", || provisioned_inits(&script) == 2).await;
    ready(&engine, "1", 1).await;
    assert_eq!(script.inits(InitType::OnDemand), 0);
}

#[tokio::test]
async fn configs_grow_shrink_and_go() {
    let (engine, script, _logs) = engine(no_cap());
    let v1 = version("f", Version::Published(1));
    engine.set_provisioned("f", vec![spec("1", "t1", vec![(Arc::clone(&v1), 3)])]);
    ready(&engine, "1", 3).await;
    engine.set_provisioned("f", vec![spec("1", "t2", vec![(Arc::clone(&v1), 1)])]);
    until("two are destroyed", || script.kills() == 2).await;
    ready(&engine, "1", 1).await;
    assert_eq!(engine.idle_environments(), 1);
    engine.set_provisioned("f", vec![spec("1", "t3", vec![(Arc::clone(&v1), 2)])]);
    ready(&engine, "1", 2).await;
    assert_eq!(provisioned_inits(&script), 4);
    engine.set_provisioned("f", Vec::new());
    assert_eq!(status(&engine, "1"), None);
    until("all are destroyed", || script.kills() == 4).await;
    assert_eq!(engine.idle_environments(), 0);
}

#[tokio::test]
async fn an_alias_moved_to_another_version_reprovisions() {
    let (engine, script, _logs) = engine(no_cap());
    let (v1, v2) = (
        version("f", Version::Published(1)),
        version("f", Version::Published(2)),
    );
    engine.set_provisioned("f", vec![spec("live", "t1", vec![(Arc::clone(&v1), 1)])]);
    ready(&engine, "live", 1).await;
    engine.set_provisioned("f", vec![spec("live", "t1", vec![(Arc::clone(&v2), 1)])]);
    until("the version 1 environment is destroyed", || {
        script.kills() == 1
    })
    .await;
    ready(&engine, "live", 1).await;
    engine.invoke(invocation_of(v2, "r-1", None)).await.unwrap();
    assert_eq!(script.inits(InitType::OnDemand), 0);
}

#[tokio::test]
async fn a_failing_init_fails_the_config_until_it_is_put_again() {
    let (engine, script, logs) = engine(no_cap());
    let v1 = version("f", Version::Published(1));
    script.init_fails.store(true, Ordering::SeqCst);
    engine.set_provisioned("f", vec![spec("1", "t1", vec![(Arc::clone(&v1), 2)])]);
    until("the config fails", || {
        status(&engine, "1") == Some(ProvisionedStatus::Failed)
    })
    .await;
    let state = engine.provisioned_state("f", "1").unwrap();
    let reason = state.reason.unwrap();
    assert!(
        reason.contains("Runtime.ImportModuleError") && reason.contains("boom"),
        "{reason}"
    );
    assert!(!logs.lines_with("Traceback: boom").is_empty());
    // The same request stays failed; a new one tries again.
    engine.set_provisioned("f", vec![spec("1", "t1", vec![(Arc::clone(&v1), 2)])]);
    assert_eq!(status(&engine, "1"), Some(ProvisionedStatus::Failed));
    script.init_fails.store(false, Ordering::SeqCst);
    engine.set_provisioned("f", vec![spec("1", "t2", vec![(v1, 2)])]);
    ready(&engine, "1", 2).await;
}

#[tokio::test]
async fn the_idle_ttl_spares_provisioned_environments_and_lifetimes_replace_them() {
    let (engine, script, _logs) = engine_with(
        Lifetime {
            max_invocations: 2,
            max_age: Duration::ZERO,
        },
        Duration::from_millis(20),
    );
    let v1 = version("f", Version::Published(1));
    engine.set_provisioned("f", vec![spec("1", "t1", vec![(Arc::clone(&v1), 1)])]);
    ready(&engine, "1", 1).await;
    // An on-demand environment of another version idles out; the provisioned one stays.
    script.then(Act::Echo);
    let v2 = version("f", Version::Published(2));
    engine.invoke(invocation_of(v2, "r-0", None)).await.unwrap();
    until("the on-demand environment is reaped", || {
        script.kills() == 1
    })
    .await;
    assert_eq!(engine.idle_environments(), 1);
    ready(&engine, "1", 1).await;
    // Two invocations spend the provisioned environment: it is replaced.
    engine
        .invoke(invocation_of(Arc::clone(&v1), "r-1", None))
        .await
        .unwrap();
    engine.invoke(invocation_of(v1, "r-2", None)).await.unwrap();
    until("the spent environment is replaced", || {
        provisioned_inits(&script) == 2
    })
    .await;
    ready(&engine, "1", 1).await;
}

#[tokio::test]
async fn shutdown_stops_provisioning() {
    let (engine, script, _logs) = engine(no_cap());
    engine.set_provisioned(
        "f",
        vec![spec(
            "1",
            "t1",
            vec![(version("f", Version::Published(1)), 2)],
        )],
    );
    ready(&engine, "1", 2).await;
    engine.shutdown().await;
    assert_eq!(script.kills(), 2);
    assert_eq!(engine.idle_environments(), 0);
    assert_eq!(provisioned_inits(&script), 2, "nothing was made again");
}
