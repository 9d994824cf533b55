//! Invoke-path figures (design §4): warm latency (also while `/metrics` is scraped ten
//! times a second) and throughput, cold starts split into sandbox setup and runtime init
//! (read from the `/metrics` histograms), each beside the runtime driven directly.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;

use crate::client::{plain_get, signed, Conn};
use crate::direct::{self, Direct};
use crate::figures::{ms, percentile, throughput, us};
use crate::server::Server;

const WARM: usize = 2_000;
const COLD: usize = 20;
const MEMORY_MB: u32 = 1769; // one vCPU

pub(crate) fn zip_files(files: &[(&str, &[u8], u32)]) -> anyhow::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, mode) in files {
        w.start_file(
            *name,
            zip::write::SimpleFileOptions::default().unix_permissions(*mode),
        )?;
        w.write_all(bytes)?;
    }
    Ok(w.finish()?.into_inner())
}

pub(crate) fn create(
    conn: &mut Conn,
    addr: SocketAddr,
    name: &str,
    runtime: &str,
    handler: &str,
    zip: &[u8],
) -> anyhow::Result<()> {
    create_with(
        conn,
        addr,
        (name, runtime, handler),
        zip,
        MEMORY_MB,
        serde_json::json!({}),
    )
}

/// Creates function `name` (runtime, handler) of `memory_mb` with environment variables
/// `env`; every figure's functions are made here.
pub(crate) fn create_with(
    conn: &mut Conn,
    addr: SocketAddr,
    (name, runtime, handler): (&str, &str, &str),
    zip: &[u8],
    memory_mb: u32,
    env: serde_json::Value,
) -> anyhow::Result<()> {
    let body = serde_json::json!({
        "FunctionName": name, "Runtime": runtime, "Handler": handler,
        "MemorySize": memory_mb, "Timeout": 60,
        "Role": "arn:aws:iam::123456789012:role/bench",
        "Environment": {"Variables": env},
        "Code": {"ZipFile": base64::engine::general_purpose::STANDARD.encode(zip)},
    })
    .to_string();
    let status = conn.roundtrip(&signed(
        addr,
        "POST",
        "/2015-03-31/functions",
        body.as_bytes(),
    ))?;
    anyhow::ensure!(
        status == 201,
        "create {name}: {}",
        String::from_utf8_lossy(conn.body())
    );
    Ok(())
}

/// The sum of histogram `name` for `function` in seconds (0 before its first sample).
fn seconds_sum(
    conn: &mut Conn,
    addr: SocketAddr,
    name: &str,
    function: &str,
) -> anyhow::Result<f64> {
    conn.roundtrip(&plain_get(addr, "/metrics"))?;
    let text = String::from_utf8_lossy(conn.body()).into_owned();
    let series = format!("{name}_sum{{function=\"{function}\"}} ");
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(&series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0))
}

/// Warm invokes, one after another on one connection.
fn warm_latencies(conn: &mut Conn, req: &[u8]) -> anyhow::Result<Vec<Duration>> {
    let mut warm = Vec::with_capacity(WARM);
    for _ in 0..WARM {
        let t = Instant::now();
        anyhow::ensure!(conn.roundtrip(req)? == 200, "warm invoke failed");
        warm.push(t.elapsed());
    }
    Ok(warm)
}

struct Row {
    label: String,
    warm: Vec<Duration>,
    scraped: crate::scraped::Alternating,
    tput1: f64,
    tput4: f64,
    cold: Vec<Duration>,
    setup: Vec<Duration>,
    init: Vec<Duration>,
}

fn measure(addr: SocketAddr, name: &str, label: &str) -> anyhow::Result<Row> {
    let mut conn = Conn::open(addr)?;
    let path = format!("/2015-03-31/functions/{name}/invocations");
    let req = signed(addr, "POST", &path, b"{}");
    let status = conn.roundtrip(&req)?;
    anyhow::ensure!(
        status == 200,
        "invoke {name}: {}",
        String::from_utf8_lossy(conn.body())
    );
    let warm = warm_latencies(&mut conn, &req)?;
    let scraped = crate::scraped::alternating(addr, || {
        anyhow::ensure!(conn.roundtrip(&req)? == 200, "warm invoke failed");
        Ok(())
    })?;
    let tput1 = throughput(addr, &req, 1, 200)?;
    throughput(addr, &req, 4, 200)?; // let the pool grow to four environments
    let tput4 = throughput(addr, &req, 4, 200)?;

    let (mut cold, mut setup, mut init) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..COLD {
        // A configuration change retires the environments: the next invoke is cold.
        let body = format!(r#"{{"Description":"cold {i}"}}"#);
        let update = signed(
            addr,
            "PUT",
            &format!("/2015-03-31/functions/{name}/configuration"),
            body.as_bytes(),
        );
        anyhow::ensure!(conn.roundtrip(&update)? == 200, "update {name}");
        // Let the retired environments finish dying, so teardown does not share the CPUs
        // with the cold start being measured.
        std::thread::sleep(Duration::from_millis(300));
        let (setup_metric, init_metric) = (
            "stratus_sandbox_setup_duration_seconds",
            "stratus_init_duration_seconds",
        );
        let s0 = seconds_sum(&mut conn, addr, setup_metric, name)?;
        let i0 = seconds_sum(&mut conn, addr, init_metric, name)?;
        let t = Instant::now();
        anyhow::ensure!(conn.roundtrip(&req)? == 200, "cold invoke {name}");
        cold.push(t.elapsed());
        let s1 = seconds_sum(&mut conn, addr, setup_metric, name)?;
        let i1 = seconds_sum(&mut conn, addr, init_metric, name)?;
        setup.push(Duration::from_secs_f64((s1 - s0).max(0.0)));
        init.push(Duration::from_secs_f64((i1 - i0).max(0.0)));
    }
    Ok(Row {
        label: label.to_owned(),
        warm,
        scraped,
        tput1,
        tput4,
        cold,
        setup,
        init,
    })
}

/// Runs the invoke benchmark against the server binary; `noop` is the no-op bootstrap.
pub fn run(binary: &Path, noop: &Path) -> anyhow::Result<()> {
    let noop_bytes = std::fs::read(noop)?;
    let (server, _) = Server::start(binary)?;
    let addr = server.addr;
    let mut conn = Conn::open(addr)?;
    create(
        &mut conn,
        addr,
        "noop-provided",
        "provided.al2023",
        "noop",
        &zip_files(&[("bootstrap", &noop_bytes, 0o755)])?,
    )?;
    create(
        &mut conn,
        addr,
        "noop-python",
        "python3.11",
        "app.handler",
        &zip_files(&[(
            "app.py",
            b"def handler(event, context):\n    return {}\n",
            0o644,
        )])?,
    )?;
    let rows = [
        measure(addr, "noop-provided", "no-op `provided` (Rust bootstrap)")?,
        measure(addr, "noop-python", "no-op Python 3.11")?,
    ];

    // Lower bounds: the same runtimes driven directly.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let task_root = direct::noop_task_root()?;
    let runtime_dir = tempfile::tempdir()?;
    let (py_argv, py_env) = direct::python(runtime_dir.path(), task_root.path())?;
    let noop_argv = vec![noop.display().to_string()];
    let (mut direct_rows, mut direct_init, mut direct_tput) = (Vec::new(), Vec::new(), Vec::new());
    for (argv, env) in [(noop_argv, Vec::new()), (py_argv, py_env)] {
        let (lat, inits, tput) = rt.block_on(async {
            let mut inits = Vec::new();
            for _ in 0..COLD - 1 {
                inits.push(Direct::start(&argv, &env).await?.init);
            }
            let d = Direct::start(&argv, &env).await?;
            inits.push(d.init);
            let lat = d.latencies(WARM).await?;
            let mut four = vec![std::sync::Arc::new(d)];
            for _ in 0..3 {
                four.push(std::sync::Arc::new(Direct::start(&argv, &env).await?));
            }
            let tput = Direct::throughput(&four, 3.0).await?;
            anyhow::Ok((lat, inits, tput))
        })?;
        direct_rows.push(lat);
        direct_init.push(inits);
        direct_tput.push(tput);
    }

    println!("Functions run with MemorySize {MEMORY_MB} (one vCPU). Client: one keep-alive connection per concurrent caller.\n");
    println!(
        "| warm invoke | p50 | p99 | req/s c=1 | req/s c=4 | runtime driven directly p50 | p99 | req/s c=4 |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ((row, direct), dtput) in rows.iter().zip(direct_rows.iter_mut()).zip(&direct_tput) {
        let mut warm = row.warm.clone();
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {} | {} | {:.0} |",
            row.label,
            us(percentile(&mut warm, 0.5)),
            us(percentile(&mut warm, 0.99)),
            row.tput1,
            row.tput4,
            us(percentile(direct, 0.5)),
            us(percentile(direct, 0.99)),
            dtput,
        );
    }
    println!();
    println!("| warm invoke, alternating 0.5 s windows | with /metrics scraped 10×/s p50 | p99 | not scraped p50 | p99 | invokes scraped / not | scrapes |");
    println!("|---|---|---|---|---|---|---|");
    for row in &rows {
        let (mut scraped, mut quiet) = (row.scraped.scraped.clone(), row.scraped.quiet.clone());
        println!(
            "| {} | {} | {} | {} | {} | {} / {} | {} |",
            row.label,
            us(percentile(&mut scraped, 0.5)),
            us(percentile(&mut scraped, 0.99)),
            us(percentile(&mut quiet, 0.5)),
            us(percentile(&mut quiet, 0.99)),
            scraped.len(),
            quiet.len(),
            row.scraped.scrapes,
        );
    }
    println!();
    println!("| cold start ({COLD} runs) | invoke p50 | invoke p99 | sandbox setup p50 | p99 | runtime init p50 | p99 | runtime started directly to first `/next` p50 |");
    println!("|---|---|---|---|---|---|---|---|");
    for (row, inits) in rows.iter().zip(direct_init.iter_mut()) {
        let (mut cold, mut setup, mut init) =
            (row.cold.clone(), row.setup.clone(), row.init.clone());
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.label,
            ms(percentile(&mut cold, 0.5)),
            ms(percentile(&mut cold, 0.99)),
            ms(percentile(&mut setup, 0.5)),
            ms(percentile(&mut setup, 0.99)),
            ms(percentile(&mut init, 0.5)),
            ms(percentile(&mut init, 0.99)),
            ms(percentile(inits, 0.5)),
        );
    }
    drop(server);
    Ok(())
}
