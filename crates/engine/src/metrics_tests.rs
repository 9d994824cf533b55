//! What the invoke flow records ([`crate::metrics`]), over the fake backend and a real
//! Prometheus recorder local to the test's thread.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;

use crate::fake::{engine, request, until, Act};
use crate::{EngineGauges, Lifetime};

/// The value of the series `name` with exactly the labels `labels`.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    want.sort();
    text.lines().find_map(|line| {
        let (series, v) = line.rsplit_once(' ')?;
        let (n, rest) = series.split_once('{').unwrap_or((series, "}"));
        let mut got: Vec<String> = rest
            .trim_end_matches('}')
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        got.sort();
        (n == name && got == want).then(|| v.parse().ok())?
    })
}

#[tokio::test]
async fn invocations_errors_throttles_and_cold_starts_are_counted_per_resource() {
    let recorder = PrometheusBuilder::new()
        .set_buckets(&[0.001, 1.0])
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let (engine, script, _logs) = engine(Lifetime {
        max_invocations: 0,
        max_age: Duration::ZERO,
    });

    for n in 0..3 {
        engine
            .invoke(request("f", &format!("r-{n}"), None))
            .await
            .unwrap();
    }
    // The same warm environment, invoked through an alias: its own series.
    let mut aliased = request("f", "r-alias", None);
    aliased.invoked_arn.push_str(":live");
    engine.invoke(aliased).await.unwrap();
    // A crash: an invocation and an error; the next invoke is a cold start.
    script.then(Act::Exit);
    assert!(
        engine
            .invoke(request("f", "r-crash", None))
            .await
            .unwrap()
            .function_error
    );
    engine.invoke(request("f", "r-after", None)).await.unwrap();
    // Reserved concurrency 0: a throttle, not an invocation.
    engine
        .invoke(request("f", "r-throttled", Some(0)))
        .await
        .unwrap_err();

    let text = handle.render();
    let plain = [
        ("function", "f"),
        ("resource", "f"),
        ("executed_version", "$LATEST"),
    ];
    let alias = [
        ("function", "f"),
        ("resource", "f:live"),
        ("executed_version", "$LATEST"),
    ];
    let v = |name: &str, labels: &[(&str, &str)]| value(&text, name, labels);
    assert_eq!(v("stratus_invocations_total", &plain), Some(5.0), "{text}");
    assert_eq!(v("stratus_errors_total", &plain), Some(1.0), "{text}");
    assert_eq!(v("stratus_throttles_total", &plain), Some(1.0), "{text}");
    assert_eq!(v("stratus_duration_seconds_count", &plain), Some(5.0));
    assert_eq!(v("stratus_invocations_total", &alias), Some(1.0));
    // Registered with its resource: present, at zero.
    assert_eq!(v("stratus_errors_total", &alias), Some(0.0), "{text}");
    assert_eq!(v("stratus_duration_seconds_count", &alias), Some(1.0));
    let f = [("function", "f")];
    assert_eq!(v("stratus_cold_starts_total", &f), Some(2.0));
    assert_eq!(v("stratus_init_duration_seconds_count", &f), Some(2.0));
    // The fake's runtime init takes 2 ms, its sandbox setup 1 ms.
    assert_eq!(v("stratus_init_duration_seconds_sum", &f), Some(0.004));
    assert_eq!(
        v("stratus_sandbox_setup_duration_seconds_count", &f),
        Some(2.0)
    );

    until("the crashed environment is killed", || script.kills() == 1).await;
    // Its memory and uid come back as it drops, just after the kill.
    until("the crashed environment is gone", || {
        engine.memory_held_mb() == 128 && engine.uids_held() == 1
    })
    .await;
    let g = engine.gauges();
    assert_eq!(
        EngineGauges {
            idle: 0,
            frozen: 0,
            ..g.clone()
        },
        EngineGauges {
            // Nothing runs; the function has an idle environment, which holds its memory.
            per_function: vec![("f".to_owned(), 0)],
            memory_held_mb: 128,
            memory_limit_mb: u64::MAX,
            uids_held: 1,
            uids: 100,
            ..EngineGauges::default()
        },
        "{g:?}"
    );
    assert_eq!(g.idle + g.frozen, 1, "{g:?}");
}

#[tokio::test]
async fn gauges_count_running_invocations_and_busy_environments() {
    let (engine, script, _logs) = engine(Lifetime {
        max_invocations: 0,
        max_age: Duration::ZERO,
    });
    script.then(Act::Hang);
    script.then(Act::Hang);
    let mut reserved = Box::pin(engine.invoke(request("r", "r-1", Some(5))));
    let mut unreserved = Box::pin(engine.invoke(request("u", "u-1", None)));
    tokio::select! {
        _ = &mut reserved => panic!("a hanging invocation finished"),
        _ = &mut unreserved => panic!("a hanging invocation finished"),
        () = until("both runtimes have their event", || engine.gauges().busy == 2) => {}
    }
    let mut g = engine.gauges();
    g.per_function.sort();
    assert_eq!(g.concurrent_executions, 2);
    assert_eq!(g.unreserved_concurrent_executions, 1);
    assert_eq!(g.per_function, [("r".to_owned(), 1), ("u".to_owned(), 1)]);
    drop((reserved, unreserved));
    until("the slots are released", || {
        engine.gauges().concurrent_executions == 0
    })
    .await;
    let g = engine.gauges();
    assert_eq!(
        (
            g.busy,
            g.unreserved_concurrent_executions,
            g.per_function.len()
        ),
        (0, 0, 0),
        "{g:?}"
    );
}
