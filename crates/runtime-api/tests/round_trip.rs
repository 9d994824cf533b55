//! Prints the mean invoke → /next → /response round trip on loopback (no assertion on time).

mod common;

use std::time::{Duration, Instant};

use common::{serve, Client};
use stratus_runtime_api::{Invocation, Limits, Outcome};

const ITERATIONS: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_mean() {
    let (api, addr) = serve(Limits::default());
    let runtime = tokio::spawn(async move {
        let mut rt = Client::connect(addr).await;
        for _ in 0..ITERATIONS {
            let next = rt.next().await;
            let id = next
                .header("Lambda-Runtime-Aws-Request-Id")
                .unwrap()
                .to_owned();
            let resp = rt.respond(&id, b"{\"ok\":true}").await;
            assert_eq!(resp.status, 202);
        }
    });
    api.ready().await.unwrap();
    let mut samples = Vec::with_capacity(ITERATIONS);
    let started = Instant::now();
    for i in 0..ITERATIONS {
        let inv = Invocation {
            request_id: format!("8f5c2a4e-0000-4000-8000-{i:012}"),
            deadline_ms: 1_700_000_003_000,
            invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:noop".into(),
            trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
                .into(),
            client_context: None,
            cognito_identity: None,
            payload: bytes::Bytes::from_static(b"{}"),
        };
        let t = Instant::now();
        let outcome = api.invoke(inv).await.unwrap();
        samples.push(t.elapsed());
        assert!(matches!(outcome, Outcome::Response(_)));
    }
    let total = started.elapsed();
    runtime.await.unwrap();
    samples.sort();
    let mean = total / ITERATIONS as u32;
    let p50 = samples[ITERATIONS / 2];
    let p99 = samples[ITERATIONS * 99 / 100];
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "runtime-api round trip over {ITERATIONS} invokes ({profile}): mean {:?}, p50 {:?}, p99 {:?}",
        mean, p50, p99
    );
    assert!(mean < Duration::from_secs(1));
}
