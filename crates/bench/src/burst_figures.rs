//! Concurrency figures (issue 8 §4): a throttle's latency beside the plainest round trip,
//! and a burst of simultaneous cold invokes beside as many bare process starts.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::client::{plain_get, signed, Conn};
use crate::figures::{ms, percentile, us};
use crate::invoke_figures::{create, zip_files};
use crate::server::Server;

const THROTTLES: usize = 2_000;
const BURST: usize = 200;

/// Round trips of `request` on one connection, each answered with `expect`.
fn latencies(addr: SocketAddr, request: &[u8], expect: u16) -> anyhow::Result<Vec<Duration>> {
    let mut conn = Conn::open(addr)?;
    for _ in 0..200 {
        conn.roundtrip(request)?;
    }
    let mut out = Vec::with_capacity(THROTTLES);
    for _ in 0..THROTTLES {
        let t = Instant::now();
        let status = conn.roundtrip(request)?;
        out.push(t.elapsed());
        anyhow::ensure!(
            status == expect,
            "status {status}: {}",
            String::from_utf8_lossy(conn.body())
        );
    }
    Ok(out)
}

/// The floor of a burst: `BURST` threads each fork+exec `/bin/true`, released at once.
fn process_burst() -> anyhow::Result<Duration> {
    let barrier = Barrier::new(BURST + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..BURST)
            .map(|_| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    std::process::Command::new("/bin/true").status()
                })
            })
            .collect();
        barrier.wait();
        let started = Instant::now();
        for h in handles {
            let status = h
                .join()
                .map_err(|_| anyhow::anyhow!("spawning thread panicked"))??;
            anyhow::ensure!(status.success(), "/bin/true failed");
        }
        Ok(started.elapsed())
    })
}

fn summary(statuses: &[u16]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_insert(0usize) += 1;
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n}× {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the concurrency figures against the server binary; `noop` is the no-op bootstrap.
pub fn run(binary: &Path, noop: &Path) -> anyhow::Result<()> {
    let noop_zip = zip_files(&[("bootstrap", &std::fs::read(noop)?, 0o755)])?;
    let (server, _) = Server::start(binary)?;
    let addr = server.addr;
    let mut conn = Conn::open(addr)?;

    create(
        &mut conn,
        addr,
        "throttled",
        "provided.al2023",
        "noop",
        &noop_zip,
    )?;
    let put = signed(
        addr,
        "PUT",
        "/2017-10-31/functions/throttled/concurrency",
        br#"{"ReservedConcurrentExecutions":0}"#,
    );
    anyhow::ensure!(conn.roundtrip(&put)? == 200, "put concurrency");
    let invoke = signed(
        addr,
        "POST",
        "/2015-03-31/functions/throttled/invocations",
        b"{}",
    );
    let mut throttled = latencies(addr, &invoke, 429)?;
    let mut healthz = latencies(addr, &plain_get(addr, "/healthz"), 200)?;
    let get = signed(addr, "GET", "/2015-03-31/functions/throttled", b"");
    let mut get_function = latencies(addr, &get, 200)?;

    // 128 MB, Lambda's default: 200 environments of the 1769 MB used elsewhere would hold
    // 354 GB, past what the host admits (its memory times --memory-overcommit).
    crate::capacity_figures::create(
        &mut conn,
        addr,
        "burst",
        "provided.al2023",
        "noop",
        &noop_zip,
        serde_json::json!({}),
    )?;
    let invoke = signed(
        addr,
        "POST",
        "/2015-03-31/functions/burst/invocations",
        b"{}",
    );
    let (cold, _, statuses) = crate::capacity_figures::burst(addr, &invoke, BURST)?;
    let (warm, _, warm_statuses) = crate::capacity_figures::burst(addr, &invoke, BURST)?;
    let processes = process_burst()?;
    drop(server);

    println!("| throttled invoke (reserved concurrency 0, {THROTTLES} sequential) | p50 | p99 |");
    println!("|---|---|---|");
    for (label, samples) in [
        ("429 TooManyRequestsException", &mut throttled),
        ("floor: `GET /healthz` (no auth)", &mut healthz),
        ("floor: signed GetFunction", &mut get_function),
    ] {
        println!(
            "| {label} | {} | {} |",
            us(percentile(samples, 0.5)),
            us(percentile(samples, 0.99))
        );
    }
    println!();
    println!("| {BURST} simultaneous invokes of one no-op `provided` function (128 MB), one connection each | all answered in | statuses |");
    println!("|---|---|---|");
    println!(
        "| cold (no environment exists) | {} | {} |",
        ms(cold),
        summary(&statuses)
    );
    println!(
        "| again, warm (the {BURST} environments are idle) | {} | {} |",
        ms(warm),
        summary(&warm_statuses)
    );
    println!(
        "| floor: {BURST} threads each fork+exec `/bin/true` at once | {} | |",
        ms(processes)
    );
    Ok(())
}
