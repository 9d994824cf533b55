//! Starting and stopping a server process for a measurement.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

pub const ACCESS_KEY: &str = "AKIABENCH0000000000";
pub const SECRET: &str = "bench-secret";

/// A running server on a free loopback port.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub _data: tempfile::TempDir,
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let req = format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    let mut buf = [0u8; 16];
    s.write_all(req.as_bytes()).is_ok()
        && s.read(&mut buf)
            .is_ok_and(|n| buf[..n].starts_with(b"HTTP/1.1 200"))
}

/// The server's log filter: `warn`, or `STRATUS_BENCH_SERVER_LOG` (e.g.
/// `stratus_sandbox=debug` to see where cold starts spend their time).
fn log_filter() -> String {
    std::env::var("STRATUS_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned())
}

impl Server {
    /// Starts the server and waits until `/healthz` answers; returns it and the time taken.
    pub fn start(binary: &Path) -> anyhow::Result<(Self, Duration)> {
        Self::start_with(binary, &[])
    }

    /// [`Server::start`] with extra `stratus server` arguments.
    pub fn start_with(binary: &Path, extra: &[&str]) -> anyhow::Result<(Self, Duration)> {
        let data = tempfile::tempdir()?;
        let addr = free_addr()?;
        let started = Instant::now();
        let child = Command::new(binary)
            .args(["server", "--listen", &addr.to_string(), "--data-dir"])
            .arg(data.path())
            .args(["--log", &log_filter()])
            .args(extra)
            .env("STRATUS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("STRATUS_SECRET_ACCESS_KEY", SECRET)
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Server {
            child,
            addr,
            _data: data,
        };
        loop {
            if healthy(addr) {
                return Ok((server, started.elapsed()));
            }
            if started.elapsed() > Duration::from_secs(10) {
                server.stop();
                anyhow::bail!("server did not become healthy in 10 s");
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size in KiB, from /proc.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS")
    }

    /// Stops the server gracefully (SIGTERM), so it destroys its execution environments;
    /// SIGKILL only if it has not exited within five seconds.
    pub fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
