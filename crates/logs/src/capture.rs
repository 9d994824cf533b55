//! Draining an environment's stdout and stderr into its log stream, never blocking it for
//! long and never holding more than a small, fixed amount of its output in memory.
//!
//! Two reader tasks read the pipes as soon as they are readable and split the bytes into
//! lines (`capture/buffer.rs`). The engine adds the platform lines around each invocation:
//! [`Capture::begin`] adds START, [`Capture::finish`] reads whatever the pipes still hold
//! (so output written before the runtime answered is never missed), adds END and REPORT
//! and appends the invocation's lines to the stream in one go. In between, once more than
//! [`SPILL_AT`] bytes of lines are held, the reader moves them to the sink at once (in
//! order: under the same lock), so a function printing a lot is written to disk as it
//! prints rather than held until its invocation ends.
//!
//! Bounds: per window (init, then each invocation from its START to the next START) at
//! most the target's `invocation_limit` bytes of output are kept; the rest is counted and
//! discarded, and one truncation line says how much and why. While the sink's disk writes
//! lag ([`LogSink::backlogged`]) the readers stop reading, so the function's writes block
//! on its full pipe (back-pressure) instead of memory growing; they never stop for good,
//! so a function blocked on a write always gets going again, and [`Capture::finish`] reads
//! the pipes itself, so an invocation never waits for a reader.
//!
//! Both pipes reaching end-of-file means every process of the environment is gone; if no
//! invocation is running then, what is left is appended to the stream.

mod buffer;

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::unix::pipe;
use tokio::sync::watch;

pub use buffer::{MAX_LINE_BYTES, SPILL_AT};

use crate::platform;
use crate::sink::LogSink;
use buffer::Buffer;

/// Default of [`Target::invocation_limit`]: 100 MiB of output per invocation.
pub const DEFAULT_INVOCATION_LIMIT_BYTES: u64 = 100 * 1024 * 1024;

/// What a reader task reads at once.
const READ_CHUNK: usize = 64 * 1024;
/// Chunks a reader takes under one lock before letting others in.
const CHUNKS_PER_ROUND: usize = 8;
/// Most bytes [`Capture::finish`] reads from a pipe: more than a pipe holds (1 MiB at most
/// for an unprivileged writer), so it empties it without chasing a writer that never stops.
const FINISH_READ_LIMIT: usize = 2 * 1024 * 1024;
/// How often a reader held back by a backlogged sink looks again.
const BACKLOG_POLL: Duration = Duration::from_millis(2);

/// Where an environment's output goes.
pub struct Target {
    /// The log store (or a test's recorder).
    pub sink: Arc<dyn LogSink>,
    /// The function's log group.
    pub group: String,
    /// The environment's log stream.
    pub stream: String,
    /// Most bytes of output kept per invocation (and during init); the rest is dropped.
    pub invocation_limit: u64,
    /// Lines the stream starts with, before anything the environment prints (INIT_START).
    pub opening: Vec<(i64, String)>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("group", &self.group)
            .field("stream", &self.stream)
            .field("invocation_limit", &self.invocation_limit)
            .finish_non_exhaustive()
    }
}

struct Inner {
    pipes: [pipe::Receiver; 2],
    buffer: Mutex<Buffer>,
    sink: Arc<dyn LogSink>,
    group: String,
    stream: String,
}

impl Inner {
    fn buffer(&self) -> MutexGuard<'_, Buffer> {
        // A panic while holding the lock leaves lines that are still lines.
        self.buffer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn append(&self, lines: &[(i64, String)]) {
        if !lines.is_empty() {
            self.sink.append(&self.group, &self.stream, lines);
        }
    }

    /// Takes `data` read from pipe `which`, moving lines to the sink whenever too many are
    /// held. Called with the buffer locked, so lines reach the sink in order.
    fn feed(&self, b: &mut Buffer, which: usize, data: &[u8]) {
        let now = chrono::Utc::now().timestamp_millis();
        b.feed(which, data, now, &mut |lines| self.append(&lines));
    }
}

/// The output of one environment.
#[derive(Clone)]
pub struct Capture {
    inner: Arc<Inner>,
    closed: watch::Receiver<u8>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Capture(..)")
    }
}

/// Reads what pipe `which` holds now (at most [`FINISH_READ_LIMIT`]) into `b`.
///
/// Reads the (non-blocking) descriptor directly: tokio's `try_read` answers "would block"
/// until the reactor has seen readiness, and a finish must see bytes the runtime wrote a
/// moment ago.
fn read_available(inner: &Inner, b: &mut Buffer, which: usize, buf: &mut [u8]) {
    let fd = inner.pipes[which].as_raw_fd();
    let mut left = FINISH_READ_LIMIT;
    while left > 0 {
        match nix::unistd::read(fd, buf) {
            Ok(0) => return,
            Ok(n) => {
                inner.feed(b, which, &buf[..n]);
                left = left.saturating_sub(n);
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}

/// The reader task's read: through tokio, so that "would block" re-arms readiness. Reads
/// a bounded number of chunks under the lock; true at end-of-file.
fn read_ready(inner: &Inner, which: usize, buf: &mut [u8]) -> bool {
    let mut b = inner.buffer();
    for _ in 0..CHUNKS_PER_ROUND {
        match inner.pipes[which].try_read(buf) {
            Ok(0) => return true,
            Ok(n) => inner.feed(&mut b, which, &buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
    false
}

/// One pipe's reader: reads until end-of-file, pausing while the sink is backlogged.
async fn read_pipe(inner: Arc<Inner>, which: usize) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        // Output past the limit is discarded, not written: no reason to hold it back.
        while inner.sink.backlogged() && !inner.buffer().discarding() {
            tokio::time::sleep(BACKLOG_POLL).await;
        }
        if inner.pipes[which].readable().await.is_err() || read_ready(&inner, which, &mut buf) {
            break;
        }
    }
    let mut b = inner.buffer();
    if let Some(lines) = b.closed(which) {
        inner.append(&lines);
    }
}

impl Capture {
    /// Starts draining the two pipes into `target` (must be called inside a tokio runtime).
    pub fn start(stdout: OwnedFd, stderr: OwnedFd, target: Target) -> io::Result<Self> {
        let inner = Arc::new(Inner {
            pipes: [
                pipe::Receiver::from_owned_fd(stdout)?,
                pipe::Receiver::from_owned_fd(stderr)?,
            ],
            buffer: Mutex::new(Buffer::new(target.invocation_limit, target.opening)),
            sink: target.sink,
            group: target.group,
            stream: target.stream,
        });
        let (closed_tx, closed) = watch::channel(0u8);
        let closed_tx = Arc::new(closed_tx);
        for which in 0..2 {
            let inner = Arc::clone(&inner);
            let closed_tx = Arc::clone(&closed_tx);
            tokio::spawn(async move {
                read_pipe(inner, which).await;
                closed_tx.send_modify(|n| *n += 1);
            });
        }
        Ok(Self { inner, closed })
    }

    /// The start of an invocation: adds its `start` line, stamped now (after what was
    /// printed since the last one), and gives it the full per-invocation limit.
    pub fn begin(&self, start: String) {
        let now = chrono::Utc::now().timestamp_millis();
        self.inner.buffer().begin((now, start));
    }

    /// The end of invocation `request_id`: reads what the pipes hold, adds a truncation
    /// line if output was dropped, then the `trailer` lines (END, REPORT; stamped once the
    /// output is read, so that timestamps never go back), and appends every line held to
    /// the stream. With `last` (the environment is about to be destroyed), an
    /// unfinished last line is taken too and later output is discarded. With `tail`,
    /// returns the last 4 KB of the lines appended (`X-Amz-Log-Result`).
    pub fn finish(
        &self,
        request_id: &str,
        last: bool,
        trailer: impl IntoIterator<Item = String>,
        tail: bool,
    ) -> Option<String> {
        let mut buf = [0u8; 16 * 1024];
        let mut b = self.inner.buffer();
        for which in 0..2 {
            read_available(&self.inner, &mut b, which, &mut buf);
        }
        b.end(request_id, last);
        let now = chrono::Utc::now().timestamp_millis();
        for line in trailer {
            b.push((now, line));
        }
        let tail = tail.then(|| platform::tail(b.lines()));
        self.inner.append(b.lines());
        b.clear();
        tail
    }

    /// Appends the complete lines held now to the stream, without reading the pipes (a
    /// provisioned environment's INIT_START and init output, once it is ready).
    pub fn flush(&self) {
        let mut b = self.inner.buffer();
        self.inner.append(b.lines());
        b.clear();
    }

    /// Everything held and in the pipes now, unfinished lines included, for a runtime that
    /// failed to initialise; later output is discarded.
    pub fn take_all(&self) -> Vec<(i64, String)> {
        let mut buf = [0u8; 16 * 1024];
        let mut b = self.inner.buffer();
        for which in 0..2 {
            read_available(&self.inner, &mut b, which, &mut buf);
        }
        b.take_all()
    }

    /// Bytes of output held in memory now (lines and unfinished lines).
    pub fn held_bytes(&self) -> usize {
        self.inner.buffer().held_bytes()
    }

    /// Resolves once both pipes are closed: every process of the environment has exited.
    pub async fn closed(&self) {
        let mut rx = self.closed.clone();
        let _ = rx.wait_for(|n| *n >= 2).await;
    }

    /// True once both pipes are closed.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow() >= 2
    }
}

#[cfg(test)]
mod tests;
