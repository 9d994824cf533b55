//! The measurements and the table they print.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;

use crate::client::{plain_get, signed, Conn};
use crate::server::Server;

const STARTS: usize = 15;
const ROUNDTRIPS: usize = 5_000;
const CREATES: usize = 100;
const THROUGHPUT_FOR: Duration = Duration::from_secs(3);

pub(crate) fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

pub(crate) fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// A loopback server that answers every request with a fixed, empty 200: the floor for any
/// HTTP round trip on this machine.
fn echo_server() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                let _ = s.set_nodelay(true);
                let mut buf = vec![0u8; 64 * 1024];
                let mut pending = Vec::new();
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        pending.drain(..end + 4);
                        if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            });
        }
    });
    Ok(addr)
}

fn latencies(
    conn: &mut Conn,
    request: &[u8],
    n: usize,
    expect: u16,
) -> anyhow::Result<Vec<Duration>> {
    for _ in 0..200 {
        conn.roundtrip(request)?;
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
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

/// `request` from `connections` keep-alive connections for three seconds, each answer
/// checked to be `expect`: answers per second.
pub(crate) fn throughput(
    addr: SocketAddr,
    request: &[u8],
    connections: usize,
    expect: u16,
) -> anyhow::Result<f64> {
    let done = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..connections)
            .map(|_| {
                scope.spawn(move || -> anyhow::Result<u64> {
                    let mut conn = Conn::open(addr)?;
                    let start = Instant::now();
                    let mut n = 0u64;
                    while start.elapsed() < THROUGHPUT_FOR {
                        let status = conn.roundtrip(request)?;
                        anyhow::ensure!(status == expect, "answered {status}, not {expect}");
                        n += 1;
                    }
                    Ok(n)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| anyhow::anyhow!("client thread panicked"))?
            })
            .sum::<anyhow::Result<u64>>()
    })?;
    Ok(done as f64 / THROUGHPUT_FOR.as_secs_f64())
}

fn zip_bytes(i: usize) -> anyhow::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("app.py", zip::write::SimpleFileOptions::default())?;
    write!(w, "def handler(e, c):\n    return {i}\n")?;
    Ok(w.finish()?.into_inner())
}

fn create_body(name: &str, zip: &[u8]) -> Vec<u8> {
    serde_json::json!({
        "FunctionName": name,
        "Runtime": "provided.al2023",
        "Handler": "x",
        "Role": "arn:aws:iam::123456789012:role/bench",
        "Code": {"ZipFile": base64::engine::general_purpose::STANDARD.encode(zip)},
    })
    .to_string()
    .into_bytes()
}

/// The floor for a durable write: write a small file and fsync it, in the same directory.
fn fsync_floor(dir: &Path, n: usize) -> anyhow::Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        let mut f = std::fs::File::create(dir.join(format!("f{i}")))?;
        f.write_all(&[0u8; 512])?;
        f.sync_all()?;
        out.push(t.elapsed());
    }
    Ok(out)
}

pub fn run(binary: &Path) -> anyhow::Result<()> {
    // Start-up: spawn to /healthz 200, against fork+exec+exit of the same binary.
    let mut starts = Vec::new();
    for _ in 0..STARTS {
        let (mut s, took) = Server::start(binary)?;
        starts.push(took);
        s.stop();
    }
    let mut execs = Vec::new();
    for _ in 0..STARTS {
        let t = Instant::now();
        let status = Command::new(binary).arg("--version").output()?.status;
        anyhow::ensure!(status.success(), "--version failed");
        execs.push(t.elapsed());
    }

    let (server, _) = Server::start(binary)?;
    let addr = server.addr;
    let idle_rss = server.rss_kib()?;

    // A function to read.
    let mut conn = Conn::open(addr)?;
    let status = conn.roundtrip(&signed(
        addr,
        "POST",
        "/2015-03-31/functions",
        &create_body("bench", &zip_bytes(0)?),
    ))?;
    anyhow::ensure!(
        status == 201,
        "create failed: {}",
        String::from_utf8_lossy(conn.body())
    );

    let get_cfg = signed(
        addr,
        "GET",
        "/2015-03-31/functions/bench/configuration",
        b"",
    );
    let mut cfg_lat = latencies(&mut conn, &get_cfg, ROUNDTRIPS, 200)?;
    let health = plain_get(addr, "/healthz");
    let mut health_lat = latencies(&mut conn, &health, ROUNDTRIPS, 200)?;
    let echo = echo_server()?;
    let mut echo_conn = Conn::open(echo)?;
    let mut echo_lat = latencies(&mut echo_conn, &plain_get(echo, "/"), ROUNDTRIPS, 200)?;

    let conns = 4;
    let cfg_tput = throughput(addr, &get_cfg, conns, 200)?;
    let health_tput = throughput(addr, &health, conns, 200)?;
    let echo_tput = throughput(echo, &plain_get(echo, "/"), conns, 200)?;

    // Durable writes: CreateFunction (zip inspection, blob fsync, SQLite commit).
    let mut creates = Vec::with_capacity(CREATES);
    for i in 0..CREATES {
        let req = signed(
            addr,
            "POST",
            "/2015-03-31/functions",
            &create_body(&format!("c{i}"), &zip_bytes(i)?),
        );
        let t = Instant::now();
        let status = conn.roundtrip(&req)?;
        creates.push(t.elapsed());
        anyhow::ensure!(
            status == 201,
            "create failed: {}",
            String::from_utf8_lossy(conn.body())
        );
    }
    let floor_dir = tempfile::tempdir_in(std::env::temp_dir())?;
    let mut fsyncs = fsync_floor(floor_dir.path(), CREATES)?;
    let busy_rss = server.rss_kib().context("rss after load")?;

    println!("| figure | p50 | p99 | lower bound (same run) | bound p50 | bound p99 |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| server start to `/healthz` 200 | {} | {} (max of {STARTS}) | fork+exec of `stratus --version` | {} | {} |",
        ms(percentile(&mut starts, 0.5)),
        ms(percentile(&mut starts, 1.0)),
        ms(percentile(&mut execs, 0.5)),
        ms(percentile(&mut execs, 1.0)),
    );
    println!(
        "| GetFunctionConfiguration (SigV4 + SQLite read), 1 keep-alive connection | {} | {} | loopback HTTP echo round trip | {} | {} |",
        us(percentile(&mut cfg_lat, 0.5)),
        us(percentile(&mut cfg_lat, 0.99)),
        us(percentile(&mut echo_lat, 0.5)),
        us(percentile(&mut echo_lat, 0.99)),
    );
    println!(
        "| `GET /healthz` (server's HTTP stack alone) | {} | {} | loopback HTTP echo round trip | {} | {} |",
        us(percentile(&mut health_lat, 0.5)),
        us(percentile(&mut health_lat, 0.99)),
        us(percentile(&mut echo_lat, 0.5)),
        us(percentile(&mut echo_lat, 0.99)),
    );
    println!(
        "| CreateFunction, small zip (inspect + blob fsync + commit) | {} | {} | write + fsync of a 512 B file | {} | {} |",
        ms(percentile(&mut creates, 0.5)),
        ms(percentile(&mut creates, 0.99)),
        ms(percentile(&mut fsyncs, 0.5)),
        ms(percentile(&mut fsyncs, 0.99)),
    );
    println!();
    println!(
        "| throughput, {conns} connections, {}s | requests/s | loopback echo requests/s |",
        THROUGHPUT_FOR.as_secs()
    );
    println!("|---|---|---|");
    println!("| GetFunctionConfiguration | {cfg_tput:.0} | {echo_tput:.0} |");
    println!("| `GET /healthz` | {health_tput:.0} | {echo_tput:.0} |");
    println!();
    println!(
        "Server RSS: {:.1} MB idle after start, {:.1} MB after the runs above.",
        idle_rss as f64 / 1024.0,
        busy_rss as f64 / 1024.0
    );
    Ok(())
}
