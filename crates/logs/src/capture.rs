//! Draining an environment's stdout and stderr without ever blocking it.
//!
//! Two reader tasks read the pipes as soon as they are readable and split the bytes into
//! lines held in memory (bounded: the oldest lines go first). The engine takes the lines at
//! invocation boundaries with [`Capture::drain`], which first reads whatever is already in
//! the pipes, so output written before the runtime answered is never missed. Both pipes
//! reaching end-of-file means every process of the environment is gone.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use tokio::net::unix::pipe;
use tokio::sync::watch;

/// Most lines buffered between drains.
pub const MAX_BUFFERED_LINES: usize = 10_000;
/// Longest line kept; longer ones are split.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

#[derive(Default)]
struct Buffer {
    partial: [Vec<u8>; 2],
    lines: Vec<(i64, String)>,
    dropped: usize,
}

impl Buffer {
    fn push_line(&mut self, bytes: &[u8]) {
        let line = String::from_utf8_lossy(bytes)
            .trim_end_matches('\r')
            .to_owned();
        if self.lines.len() >= MAX_BUFFERED_LINES {
            self.lines.remove(0);
            self.dropped += 1;
        }
        self.lines
            .push((chrono::Utc::now().timestamp_millis(), line));
    }

    fn feed(&mut self, which: usize, mut data: &[u8]) {
        while let Some(nl) = data.iter().position(|b| *b == b'\n') {
            let mut line = std::mem::take(&mut self.partial[which]);
            line.extend_from_slice(&data[..nl]);
            self.push_line(&line);
            data = &data[nl + 1..];
        }
        self.partial[which].extend_from_slice(data);
        if self.partial[which].len() >= MAX_LINE_BYTES {
            let line = std::mem::take(&mut self.partial[which]);
            self.push_line(&line);
        }
    }

    fn flush_partials(&mut self) {
        for which in 0..2 {
            if !self.partial[which].is_empty() {
                let line = std::mem::take(&mut self.partial[which]);
                self.push_line(&line);
            }
        }
    }
}

struct Inner {
    pipes: [pipe::Receiver; 2],
    buffer: Mutex<Buffer>,
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

/// Reads everything available now from pipe `which`; true at end-of-file.
///
/// Reads the (non-blocking) descriptor directly: tokio's `try_read` answers "would block"
/// until the reactor has seen readiness, and a drain must see bytes the runtime wrote a
/// moment ago. Reading and buffering happen under one lock so chunks stay in order.
fn read_available(inner: &Inner, which: usize, buf: &mut [u8]) -> bool {
    let fd = inner.pipes[which].as_raw_fd();
    let Ok(mut b) = inner.buffer.lock() else {
        return true;
    };
    loop {
        match nix::unistd::read(fd, buf) {
            Ok(0) => return true,
            Ok(n) => b.feed(which, &buf[..n]),
            Err(nix::errno::Errno::EAGAIN) => return false,
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return true,
        }
    }
}

/// The reader task's read: through tokio, so that "would block" re-arms readiness.
fn read_ready(inner: &Inner, which: usize, buf: &mut [u8]) -> bool {
    let Ok(mut b) = inner.buffer.lock() else {
        return true;
    };
    loop {
        match inner.pipes[which].try_read(buf) {
            Ok(0) => return true,
            Ok(n) => b.feed(which, &buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

impl Capture {
    /// Starts draining the two pipes (must be called inside a tokio runtime).
    pub fn start(stdout: OwnedFd, stderr: OwnedFd) -> io::Result<Self> {
        let inner = Arc::new(Inner {
            pipes: [
                pipe::Receiver::from_owned_fd(stdout)?,
                pipe::Receiver::from_owned_fd(stderr)?,
            ],
            buffer: Mutex::new(Buffer::default()),
        });
        let (closed_tx, closed) = watch::channel(0u8);
        let closed_tx = Arc::new(closed_tx);
        for which in 0..2 {
            let inner = Arc::clone(&inner);
            let closed_tx = Arc::clone(&closed_tx);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    if inner.pipes[which].readable().await.is_err()
                        || read_ready(&inner, which, &mut buf)
                    {
                        closed_tx.send_modify(|n| *n += 1);
                        return;
                    }
                }
            });
        }
        Ok(Self { inner, closed })
    }

    /// Takes every complete line so far (reading what the pipes hold first). With `all`,
    /// an unfinished last line is taken too.
    pub fn drain(&self, all: bool) -> Vec<(i64, String)> {
        let mut buf = [0u8; 16 * 1024];
        for which in 0..2 {
            read_available(&self.inner, which, &mut buf);
        }
        self.take(all)
    }

    /// Takes the complete lines the reader tasks have collected, without reading the pipes
    /// (for output written while the environment was idle: the reader tasks have had time).
    pub fn take_collected(&self) -> Vec<(i64, String)> {
        self.take(false)
    }

    fn take(&self, all: bool) -> Vec<(i64, String)> {
        let Ok(mut b) = self.inner.buffer.lock() else {
            return Vec::new();
        };
        if all {
            b.flush_partials();
        }
        if b.dropped > 0 {
            let dropped = std::mem::take(&mut b.dropped);
            tracing::warn!(
                dropped,
                "function log lines dropped: nobody drained them in time"
            );
        }
        std::mem::take(&mut b.lines)
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
mod tests {
    use super::*;
    use std::io::Write;

    #[tokio::test]
    async fn lines_are_split_and_eof_is_seen() {
        let (out_rx, out_tx) = std::io::pipe().unwrap();
        let (err_rx, err_tx) = std::io::pipe().unwrap();
        let cap = Capture::start(OwnedFd::from(out_rx), OwnedFd::from(err_rx)).unwrap();
        let mut out = std::fs::File::from(OwnedFd::from(out_tx));
        let mut err = std::fs::File::from(OwnedFd::from(err_tx));
        out.write_all(b"one\ntw").unwrap();
        err.write_all(b"oops\n").unwrap();
        let lines: Vec<String> = cap.drain(false).into_iter().map(|(_, l)| l).collect();
        assert!(
            lines.contains(&"one".to_string()) && lines.contains(&"oops".to_string()),
            "{lines:?}"
        );
        out.write_all(b"o\n").unwrap();
        assert_eq!(
            cap.drain(false)
                .into_iter()
                .map(|(_, l)| l)
                .collect::<Vec<_>>(),
            ["two"]
        );
        assert!(!cap.is_closed());
        drop(out);
        drop(err);
        tokio::time::timeout(std::time::Duration::from_secs(5), cap.closed())
            .await
            .unwrap();
    }
}
