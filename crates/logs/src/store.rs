//! Log groups, streams and events: appended to disk as JSON lines by the persister, held
//! in memory for queries within a byte cap, read back from disk when not held.
//!
//! Layout: `dir/<hex group name>/<hex stream name>.jsonl`, one event per line. Logs are not
//! acknowledged writes, so appends are not fsynced; a crash may lose the last lines.
//! Opening the store reads only each file's size and first and last lines (`disk.rs`);
//! events are read when a query needs them (`stream.rs`). The group map and each group's
//! stream map are taken for reading on the common path; each stream has its own lock.

pub(crate) mod disk;
mod group;
mod memory;
pub(crate) mod stream;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, RwLock, RwLockReadGuard};

use serde::{Deserialize, Serialize};

pub(crate) use group::Group;
pub(crate) use memory::Memory;
pub use memory::DEFAULT_MEMORY_CAP_BYTES;
use stream::Stream;

use crate::persist;

/// The retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// One log event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// When it was produced, epoch ms.
    pub timestamp: i64,
    /// The line, without its newline.
    pub message: String,
    /// When it was stored, epoch ms.
    pub ingestion_time: i64,
}

/// How a store keeps logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    /// Retention of new groups, in days (None = forever).
    pub default_retention_days: Option<u32>,
    /// Most bytes of events held in memory across all streams (messages plus a fixed
    /// size per event); the least recently used streams' events are dropped first and
    /// read back from disk when queried.
    pub memory_cap_bytes: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            default_retention_days: None,
            memory_cap_bytes: DEFAULT_MEMORY_CAP_BYTES,
        }
    }
}

/// All log groups.
pub struct LogStore {
    dir: PathBuf,
    settings: LogSettings,
    groups: RwLock<BTreeMap<String, Arc<Group>>>,
    pub(crate) memory: Memory,
    /// Appends to disk happen on the persister thread, off the invoke path.
    persister: Option<mpsc::Sender<persist::Job>>,
    /// Bytes queued for the persister and not yet written.
    backlog: Arc<persist::Backlog>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for LogStore {
    fn drop(&mut self) {
        // Closing the channel ends the persister once it has written everything queued.
        self.persister = None;
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl std::fmt::Debug for LogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStore").field("dir", &self.dir).finish()
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn hex_name(name: &str) -> String {
    name.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex_name(hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The oldest timestamp a group with this retention keeps at `now`.
pub(crate) fn cutoff(retention_days: Option<u32>, now: i64) -> Option<i64> {
    retention_days.map(|d| now - i64::from(d) * 86_400_000)
}

impl LogStore {
    /// Opens the store in `dir` with the default memory cap.
    pub fn open(dir: &Path, default_retention_days: Option<u32>) -> std::io::Result<Self> {
        Self::open_with(
            dir,
            LogSettings {
                default_retention_days,
                ..LogSettings::default()
            },
        )
    }

    /// Opens the store in `dir`, learning the groups and streams earlier runs left (their
    /// events stay on disk until a query reads them).
    pub fn open_with(dir: &Path, settings: LogSettings) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        let now = now_ms();
        let mut groups = BTreeMap::new();
        for gdir in fs::read_dir(dir)?.flatten() {
            let Some(gname) = gdir.file_name().to_str().and_then(unhex_name) else {
                continue;
            };
            let mut streams = Vec::new();
            for sfile in fs::read_dir(gdir.path())?.flatten() {
                let fname = sfile.file_name();
                let Some(sname) = fname
                    .to_str()
                    .and_then(|f| f.strip_suffix(".jsonl"))
                    .and_then(unhex_name)
                else {
                    continue;
                };
                let path = sfile.path();
                let meta = disk::scan(&path)?;
                let created = meta.first_timestamp.unwrap_or(now);
                streams.push((sname, Stream::new(path, meta, created)));
            }
            let created = streams.iter().map(|(_, s)| s.creation_time).min();
            let group = Group::new(created.unwrap_or(now), settings.default_retention_days);
            for (name, stream) in streams {
                group.insert(name, stream);
            }
            groups.insert(gname, Arc::new(group));
        }
        let backlog = Arc::new(persist::Backlog::default());
        let (tx, writer) = persist::start(Arc::clone(&backlog))?;
        Ok(Self {
            dir: dir.to_owned(),
            settings,
            groups: RwLock::new(groups),
            memory: Memory::new(settings.memory_cap_bytes),
            persister: Some(tx),
            backlog,
            writer: Some(writer),
        })
    }

    pub(crate) fn groups(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<Group>>> {
        self.groups.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn group(&self, name: &str) -> Option<Arc<Group>> {
        self.groups().get(name).cloned()
    }

    fn group_or_insert(&self, name: &str, now: i64) -> Arc<Group> {
        if let Some(g) = self.group(name) {
            return g;
        }
        let mut groups = self.groups.write().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            groups
                .entry(name.to_owned())
                .or_insert_with(|| Arc::new(Group::new(now, self.settings.default_retention_days))),
        )
    }

    /// Appends lines (timestamp, message) to a stream, creating group and stream as needed.
    /// Never does file I/O: the persister writes the lines.
    pub fn append(&self, group: &str, stream: &str, lines: &[(i64, String)]) {
        if lines.is_empty() {
            return;
        }
        let now = now_ms();
        let g = self.group_or_insert(group, now);
        let s = g.stream_or_insert(stream, || {
            let path = self
                .dir
                .join(hex_name(group))
                .join(format!("{}.jsonl", hex_name(stream)));
            Stream::new(path, disk::FileMeta::default(), now)
        });
        let limit = cutoff(g.retention_days(), now);
        s.push(lines, now, limit, &self.memory, |file, events| {
            let bytes = events.iter().map(persist::queued_size).sum();
            self.backlog.add(bytes);
            if !self.persist(persist::Job::Append(file, events, bytes)) {
                self.backlog.sub(bytes);
            }
        });
        self.enforce_memory_cap();
    }

    /// Queues a job for the persister; false if it is gone.
    fn persist(&self, job: persist::Job) -> bool {
        let sent = self
            .persister
            .as_ref()
            .is_some_and(|tx| tx.send(job).is_ok());
        if !sent {
            tracing::warn!("log persister gone; lines kept in memory only");
        }
        sent
    }

    /// Bytes of events queued for writing to disk and not written yet.
    pub fn backlog_bytes(&self) -> usize {
        self.backlog.bytes()
    }

    /// Whether the disk writes lag too far behind the appends (more than
    /// 16 MiB queued): captures wait before reading more output.
    pub fn backlogged(&self) -> bool {
        self.backlog.over_cap()
    }

    /// Waits until the persister has written everything queued so far.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        self.persist(persist::Job::Flush(done));
        let _ = wait.recv();
    }

    /// Bytes of events held in memory now (see [`LogSettings::memory_cap_bytes`]).
    pub fn memory_held_bytes(&self) -> usize {
        self.memory.held()
    }

    /// Drops the least recently used streams' events from memory until the held bytes
    /// are back under the cap (with some room to spare).
    pub(crate) fn enforce_memory_cap(&self) {
        if !self.memory.over_cap() {
            return;
        }
        let _evicting = self.memory.evicting();
        if !self.memory.over_cap() {
            return;
        }
        // Stamps are read once: appends and queries move them during the sort.
        let mut streams: Vec<(u64, Arc<Stream>)> = self
            .groups()
            .values()
            .flat_map(|g| {
                g.streams()
                    .values()
                    .map(|s| (s.last_used(), Arc::clone(s)))
                    .collect::<Vec<_>>()
            })
            .collect();
        streams.sort_by_key(|(used, _)| *used);
        let low = self.memory.low_water();
        for (_, s) in streams {
            if self.memory.held() <= low {
                break;
            }
            s.evict(&self.memory);
        }
    }

    /// Sets a group's retention (None = never expire); false if the group does not exist.
    pub fn set_retention(&self, group: &str, days: Option<u32>) -> bool {
        match self.group(group) {
            Some(g) => {
                g.set_retention_days(days);
                true
            }
            None => false,
        }
    }

    /// Deletes a group and its files; false if it did not exist.
    pub fn delete_group(&self, group: &str) -> bool {
        let removed = self
            .groups
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(group);
        if let Some(g) = &removed {
            for s in g.streams().values() {
                s.evict(&self.memory);
            }
        }
        self.persist(persist::Job::RemoveDir(self.dir.join(hex_name(group))));
        removed.is_some()
    }
}

#[cfg(test)]
mod tests;
