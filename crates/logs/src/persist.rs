//! The log persister: one thread appending events to their stream files, so that writing a
//! function's log never costs the invoke path a system call.
//!
//! The thread wakes for the first job after a quiet spell, then sleeps for
//! [`BATCH_WINDOW`] before taking everything queued meanwhile: under load, senders find it
//! asleep rather than blocked on the channel, so a send is a queue push, not a futex wake
//! and a context switch per invocation.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use crate::store::Event;

/// How long the persister lets jobs accumulate once woken.
const BATCH_WINDOW: Duration = Duration::from_millis(10);

/// Work for the persister.
pub(crate) enum Job {
    /// Append these events to the stream file at the path.
    Append(Arc<PathBuf>, Vec<Event>),
    /// Forget open files under the directory and remove it.
    RemoveDir(PathBuf),
}

/// Starts the persister thread.
pub(crate) fn start() -> std::io::Result<(mpsc::Sender<Job>, thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Job>();
    let handle = thread::Builder::new()
        .name("stratus-log-persister".into())
        .spawn(move || {
            let mut files: HashMap<PathBuf, File> = HashMap::new();
            // Ends once every sender is gone and the queue is empty.
            while let Ok(first) = rx.recv() {
                run(&mut files, first);
                thread::sleep(BATCH_WINDOW);
                for job in rx.try_iter() {
                    run(&mut files, job);
                }
            }
        })?;
    Ok((tx, handle))
}

fn run(files: &mut HashMap<PathBuf, File>, job: Job) {
    match job {
        Job::Append(path, events) => append(files, &path, &events),
        Job::RemoveDir(dir) => {
            files.retain(|p, _| !p.starts_with(&dir));
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

fn append(files: &mut HashMap<PathBuf, File>, path: &Arc<PathBuf>, events: &[Event]) {
    let mut text = String::new();
    for e in events {
        if let Ok(json) = serde_json::to_string(e) {
            text.push_str(&json);
            text.push('\n');
        }
    }
    if !files.contains_key(path.as_path()) {
        let opened = path
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| {
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path.as_path())
            });
        match opened {
            Ok(f) => {
                files.insert(path.to_path_buf(), f);
            }
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "cannot persist log stream");
                return;
            }
        }
    }
    if let Some(f) = files.get_mut(path.as_path()) {
        if let Err(e) = f.write_all(text.as_bytes()) {
            tracing::warn!(error = %e, path = %path.display(), "cannot persist log lines");
        }
    }
}
