//! The log persister: one thread appending events to their stream files, so that writing a
//! function's log never costs the invoke path a system call.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

use crate::store::Event;

/// Work for the persister.
pub(crate) enum Job {
    /// Append these events to the stream file at the path.
    Append(PathBuf, Vec<Event>),
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
            for job in rx {
                match job {
                    Job::Append(path, events) => append(&mut files, path, &events),
                    Job::RemoveDir(dir) => {
                        files.retain(|p, _| !p.starts_with(&dir));
                        let _ = fs::remove_dir_all(&dir);
                    }
                }
            }
        })?;
    Ok((tx, handle))
}

fn append(files: &mut HashMap<PathBuf, File>, path: PathBuf, events: &[Event]) {
    let mut text = String::new();
    for e in events {
        if let Ok(json) = serde_json::to_string(e) {
            text.push_str(&json);
            text.push('\n');
        }
    }
    if !files.contains_key(&path) {
        let opened = path
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| OpenOptions::new().create(true).append(true).open(&path));
        match opened {
            Ok(f) => {
                files.insert(path.clone(), f);
            }
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "cannot persist log stream");
                return;
            }
        }
    }
    if let Some(f) = files.get_mut(&path) {
        if let Err(e) = f.write_all(text.as_bytes()) {
            tracing::warn!(error = %e, path = %path.display(), "cannot persist log lines");
        }
    }
}
