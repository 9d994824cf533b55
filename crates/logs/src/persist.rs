//! The log persister: one thread appending events to their stream files, so that writing a
//! function's log never costs the invoke path a system call.
//!
//! The thread wakes for the first job after a quiet spell, then sleeps for
//! [`BATCH_WINDOW`] before taking everything queued meanwhile: under load, senders find it
//! asleep rather than blocked on the channel, so a send is a queue push, not a futex wake
//! and a context switch per invocation. Open files are bounded (`open_files.rs`).
//! [`Job::Flush`] answers once every job queued before it is written: queries that read a
//! stream from disk, tests and shutdown wait on it.
//!
//! The queue is bounded in bytes, not by the channel: [`Backlog`] counts the bytes of events
//! queued and not yet written, and captures stop reading a function's output while it is
//! over [`BACKLOG_CAP_BYTES`] (the function's writes then block on its full pipe), so a
//! function printing faster than the disk takes it cannot grow the queue without bound.

mod open_files;

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use crate::store::Event;
use open_files::OpenFiles;
pub(crate) use open_files::MAX_OPEN_FILES;

/// How long the persister lets jobs accumulate once woken.
const BATCH_WINDOW: Duration = Duration::from_millis(10);

/// Bytes of queued events past which the store reports itself backlogged.
pub(crate) const BACKLOG_CAP_BYTES: usize = 16 * 1024 * 1024;

/// Bytes an event counts for in the backlog: its message plus its fixed size.
pub(crate) fn queued_size(e: &Event) -> usize {
    e.message.len() + std::mem::size_of::<Event>()
}

/// Bytes of events queued for the persister and not yet written.
#[derive(Debug, Default)]
pub(crate) struct Backlog(AtomicUsize);

impl Backlog {
    pub(crate) fn add(&self, bytes: usize) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn sub(&self, bytes: usize) {
        self.0.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub(crate) fn bytes(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Whether more than [`BACKLOG_CAP_BYTES`] are queued.
    pub(crate) fn over_cap(&self) -> bool {
        self.bytes() > BACKLOG_CAP_BYTES
    }
}

/// A stream's file, shared by the store and the persister.
#[derive(Debug)]
pub(crate) struct StreamFile {
    pub path: PathBuf,
    /// Bytes written to it so far (its size).
    pub bytes: AtomicU64,
}

/// Work for the persister.
pub(crate) enum Job {
    /// Append these events to the stream file, one JSON line each; they count for the
    /// given bytes in the backlog.
    Append(Arc<StreamFile>, Vec<Event>, usize),
    /// Close open files under the directory and remove it.
    RemoveDir(PathBuf),
    /// Answer once everything queued before is written.
    Flush(mpsc::Sender<()>),
}

/// Starts the persister thread, which takes what it writes off `backlog`.
pub(crate) fn start(
    backlog: Arc<Backlog>,
) -> std::io::Result<(mpsc::Sender<Job>, thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Job>();
    let handle = thread::Builder::new()
        .name("stratus-log-persister".into())
        .spawn(move || {
            let mut files = OpenFiles::new(MAX_OPEN_FILES);
            // Ends once every sender is gone and the queue is empty.
            while let Ok(first) = rx.recv() {
                let flushing = matches!(first, Job::Flush(_));
                run(&mut files, &backlog, first);
                if !flushing {
                    thread::sleep(BATCH_WINDOW);
                }
                for job in rx.try_iter() {
                    run(&mut files, &backlog, job);
                }
            }
        })?;
    Ok((tx, handle))
}

fn run(files: &mut OpenFiles, backlog: &Backlog, job: Job) {
    match job {
        Job::Append(file, events, bytes) => {
            append(files, &file, &events);
            drop(events);
            backlog.sub(bytes);
        }
        Job::RemoveDir(dir) => {
            files.forget_under(&dir);
            if let Err(e) = fs::remove_dir_all(&dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(error = %e, dir = %dir.display(), "cannot remove log group");
                }
            }
        }
        Job::Flush(done) => {
            let _ = done.send(());
        }
    }
}

fn append(files: &mut OpenFiles, file: &StreamFile, events: &[Event]) {
    let mut text = String::new();
    for e in events {
        // One line per event, always: readers number events by line.
        match serde_json::to_string(e) {
            Ok(json) => text.push_str(&json),
            Err(_) => text.push_str("{}"),
        }
        text.push('\n');
    }
    let written = files
        .get(&file.path)
        .and_then(|f| f.write_all(text.as_bytes()));
    match written {
        Ok(()) => {
            file.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        }
        Err(e) => {
            tracing::warn!(error = %e, path = %file.path.display(), "cannot persist log lines");
        }
    }
}
