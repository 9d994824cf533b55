//! Burst and capacity figures (issue 11 §4): bursts of 100, 200 and 500 simultaneous cold
//! invokes of a no-op Python function beside as many bare interpreters started at once, and
//! the platform's memory per live environment with 1000 of them held at once.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use crate::client::{plain_get, signed, Conn};
use crate::figures::{ms, percentile};
use crate::invoke_figures::zip_files;
use crate::server::Server;

const BURSTS: [usize; 3] = [100, 200, 500];
const LIVE: usize = 1000;
/// How long each of the [`LIVE`] invokes holds its environment: past the time it takes to
/// start them all, so that all are live at once.
const HOLD_MS: u64 = 20_000;
const PYTHON_NOOP: &[u8] = b"def handler(event, context):\n    return {}\n";

/// Creates a 128 MB function (Lambda's default size) with environment variables `env`.
pub(crate) fn create(
    conn: &mut Conn,
    addr: SocketAddr,
    name: &str,
    runtime: &str,
    handler: &str,
    zip: &[u8],
    env: serde_json::Value,
) -> anyhow::Result<()> {
    crate::invoke_figures::create_with(conn, addr, (name, runtime, handler), zip, 128, env)
}

/// The time from the first start to the last end of `spans`, and each one's length. Spans
/// are taken on the threads themselves: with hundreds of threads on two cores, the thread
/// that released them may not run again until most have finished.
fn spans(spans: &[(Instant, Instant)]) -> (Duration, Vec<Duration>) {
    let first = spans.iter().map(|(s, _)| *s).min();
    let last = spans.iter().map(|(_, e)| *e).max();
    let all = match (first, last) {
        (Some(first), Some(last)) => last.duration_since(first),
        _ => Duration::ZERO,
    };
    (
        all,
        spans.iter().map(|(s, e)| e.duration_since(*s)).collect(),
    )
}

/// `n` callers, one connection each, released at once: the time from the first request to
/// the last answer, each one's latency, and the statuses.
pub(crate) fn burst(
    addr: SocketAddr,
    request: &[u8],
    n: usize,
) -> anyhow::Result<(Duration, Vec<Duration>, Vec<u16>)> {
    let conns = (0..n)
        .map(|_| Conn::open(addr))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let barrier = Barrier::new(n);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = conns
            .into_iter()
            .map(|mut conn| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let t = Instant::now();
                    conn.roundtrip(request)
                        .map(|status| ((t, Instant::now()), status))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("client thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let (times, statuses): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    let (all, each) = spans(&times);
    Ok((all, each, statuses))
}

/// The interpreter the bundled Python 3.11 runtime runs (a `python3.11` on `PATH` may be a
/// version manager's shell-script shim, many times slower to start).
fn python311() -> anyhow::Result<&'static str> {
    ["/usr/local/bin/python3.11", "/usr/bin/python3.11"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .ok_or_else(|| anyhow::anyhow!("no python3.11 in /usr/local/bin or /usr/bin"))
}

/// The reference: `n` threads each start a bare `python3.11 -c pass` at once.
fn interpreters(n: usize) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let python = python311()?;
    let barrier = Barrier::new(n);
    let times = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let t = Instant::now();
                    std::process::Command::new(python)
                        .args(["-c", "pass"])
                        .status()
                        .map(|s| ((t, Instant::now()), s.success()))
                })
            })
            .collect();
        let mut times = Vec::with_capacity(n);
        for h in handles {
            let (span, ok) = h
                .join()
                .map_err(|_| anyhow::anyhow!("spawning thread panicked"))??;
            anyhow::ensure!(ok, "python3.11 -c pass failed");
            times.push(span);
        }
        anyhow::Ok(times)
    })?;
    Ok(spans(&times))
}

/// Proportional set size of a process, KiB (its share of pages it shares with others).
fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The sandbox init processes (the server's children) and their total PSS, KiB.
fn inits(server: u32) -> (usize, u64) {
    let mut pids = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{server}/task")) {
        for task in tasks.flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            pids.extend(
                children
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    let pss = pids.iter().filter_map(|p| pss_kib(*p)).sum();
    (pids.len(), pss)
}

fn live_environments(addr: SocketAddr) -> anyhow::Result<u64> {
    let mut conn = Conn::open(addr)?;
    anyhow::ensure!(
        conn.roundtrip(&plain_get(addr, "/metrics"))? == 200,
        "scrape"
    );
    let text = String::from_utf8_lossy(conn.body()).into_owned();
    Ok(text
        .lines()
        .filter(|l| l.starts_with("stratus_environments{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64)
}

/// Runs the capacity figures against the server binary; `noop` is the no-op bootstrap.
pub fn run(binary: &Path, noop: &Path) -> anyhow::Result<()> {
    let py_zip = zip_files(&[("app.py", PYTHON_NOOP, 0o644)])?;
    println!("| simultaneous cold invokes of a no-op Python 3.11 function (128 MB), one connection each | all done in | p50 | p99 | errors | reference: as many `python3.11 -c pass` at once: all done in | p50 | p99 |");
    println!("|---|---|---|---|---|---|---|---|");
    for n in BURSTS {
        let (server, _) = Server::start(binary)?;
        let addr = server.addr;
        let mut conn = Conn::open(addr)?;
        let name = format!("burst-py-{n}");
        create(
            &mut conn,
            addr,
            &name,
            "python3.11",
            "app.handler",
            &py_zip,
            serde_json::json!({}),
        )?;
        let invoke = signed(
            addr,
            "POST",
            &format!("/2015-03-31/functions/{name}/invocations"),
            b"{}",
        );
        let (all, mut times, statuses) = burst(addr, &invoke, n)?;
        drop(server);
        let errors = statuses.iter().filter(|s| **s != 200).count();
        let (ref_all, mut ref_times) = interpreters(n)?;
        println!(
            "| {n} | {} | {} | {} | {errors} | {} | {} | {} |",
            ms(all),
            ms(percentile(&mut times, 0.5)),
            ms(percentile(&mut times, 0.99)),
            ms(ref_all),
            ms(percentile(&mut ref_times, 0.5)),
            ms(percentile(&mut ref_times, 0.99)),
        );
    }

    // Memory: LIVE environments of a no-op `provided` function that holds each invoke for
    // HOLD_MS, so that all of them are live at once.
    let noop_zip = zip_files(&[("bootstrap", &std::fs::read(noop)?, 0o755)])?;
    let (server, _) = Server::start(binary)?;
    let addr = server.addr;
    let mut conn = Conn::open(addr)?;
    create(
        &mut conn,
        addr,
        "live",
        "provided.al2023",
        "noop",
        &noop_zip,
        serde_json::json!({"NOOP_SLEEP_MS": HOLD_MS.to_string()}),
    )?;
    let (spares, spare_pss) = inits(server.pid());
    let idle_rss = server.rss_kib()?;
    let invoke = signed(
        addr,
        "POST",
        "/2015-03-31/functions/live/invocations",
        b"{}",
    );
    let (all, _, statuses) = burst(addr, &invoke, LIVE)?;
    let errors = statuses.iter().filter(|s| **s != 200).count();
    let live = live_environments(addr)?;
    let rss = server.rss_kib()?;
    let (init_count, init_pss) = inits(server.pid());
    drop(server);
    let envs = init_count.saturating_sub(spares).max(1) as u64;
    let server_per_env = rss.saturating_sub(idle_rss) as f64 / envs as f64;
    let init_per_env = init_pss.saturating_sub(spare_pss) as f64 / envs as f64;
    println!();
    println!("| {LIVE} simultaneous invokes of a `provided` function holding each for {} s (128 MB each) | value |", HOLD_MS / 1000);
    println!("|---|---|");
    println!("| all answered in | {} ({errors} errors) |", ms(all));
    println!("| live environments after (from `/metrics`) | {live} |");
    println!(
        "| server RSS: idle → with them | {:.1} MB → {:.1} MB |",
        idle_rss as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    println!(
        "| platform memory per environment: server | {:.2} MB |",
        server_per_env / 1024.0
    );
    println!(
        "| platform memory per environment: sandbox init (PSS) | {:.2} MB |",
        init_per_env / 1024.0
    );
    println!(
        "| platform memory per environment, in all (budget ≤ 1 MB) | {:.2} MB |",
        (server_per_env + init_per_env) / 1024.0
    );
    Ok(())
}
