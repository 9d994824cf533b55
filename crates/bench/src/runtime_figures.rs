//! The bundled runtimes' own per-invoke cost: each runtime driven directly through the
//! in-process Runtime API (see [`crate::direct`]), beside `noop-bootstrap` driven the same
//! way, whose figures are the floor (the Runtime API round trips themselves).
//!
//! Besides latency and one-caller throughput, it reads the CPU time the runtime process
//! spent (`/proc/<pid>/task/*/schedstat`, nanoseconds, every thread) across the timed
//! invocations: the runtime's own work per invoke, independent of the scheduler's wake-ups.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::direct::{self, Direct, Launch};
use crate::figures::{percentile, us};

const WARM: usize = 10_000;
const THROUGHPUT_SECS: f64 = 3.0;

/// Nanoseconds of CPU every thread of `pid` has run so far.
fn cpu_ns(pid: u32) -> anyhow::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let text = std::fs::read_to_string(task?.path().join("schedstat"))?;
        let ran: u64 = text
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("unreadable schedstat of {pid}"))?;
        total += ran;
    }
    Ok(total)
}

struct Row {
    label: &'static str,
    warm: Vec<Duration>,
    cpu_per_invoke: Duration,
    tput1: f64,
}

async fn measure(label: &'static str, launch: &Launch) -> anyhow::Result<Row> {
    let (argv, env) = launch;
    let d = Direct::start(argv, env).await?;
    d.latencies(200).await?; // warm up (JIT, caches)
    let before = cpu_ns(d.pid())?;
    let mut warm = d.latencies(WARM).await?;
    let after = cpu_ns(d.pid())?;
    // `latencies` runs 100 untimed invocations before the timed ones.
    let cpu_per_invoke = Duration::from_nanos((after - before) / (WARM as u64 + 100));
    let tput1 = Direct::throughput(&[Arc::new(d)], THROUGHPUT_SECS).await?;
    warm.sort_unstable();
    Ok(Row {
        label,
        warm,
        cpu_per_invoke,
        tput1,
    })
}

/// Measures the no-op bootstrap, then the bundled Python and Node.js runtimes.
pub fn run(noop: &Path) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let task_root = direct::noop_task_root()?;
    let runtime_dir = tempfile::tempdir()?;
    let launches: [(&'static str, Launch); 3] = [
        (
            "no-op `provided` (Rust bootstrap), the floor",
            (vec![noop.display().to_string()], Vec::new()),
        ),
        (
            "bundled Python 3.11",
            direct::python(runtime_dir.path(), task_root.path())?,
        ),
        (
            "bundled Node.js",
            direct::node(runtime_dir.path(), task_root.path())?,
        ),
    ];
    let rows = rt.block_on(async {
        let mut rows = Vec::new();
        for (label, launch) in &launches {
            rows.push(measure(label, launch).await?);
        }
        anyhow::Ok(rows)
    })?;

    println!("Each runtime driven directly over loopback by the in-process Runtime API, one caller, {WARM} timed invokes of `{{}}`.\n");
    println!("| runtime | p50 | p99 | p50 over the floor | runtime CPU per invoke | req/s c=1 |");
    println!("|---|---|---|---|---|---|");
    let floor = percentile(&mut rows[0].warm.clone(), 0.5);
    for row in &rows {
        let mut warm = row.warm.clone();
        let p50 = percentile(&mut warm, 0.5);
        println!(
            "| {} | {} | {} | {} | {} | {:.0} |",
            row.label,
            us(p50),
            us(percentile(&mut warm, 0.99)),
            us(p50.saturating_sub(floor)),
            us(row.cpu_per_invoke),
            row.tput1,
        );
    }
    Ok(())
}
