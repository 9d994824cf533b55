//! Log groups, streams and events: in memory for queries, appended to disk as JSON lines.
//!
//! Layout: `dir/<hex group name>/<hex stream name>.jsonl`, one event per line. Logs are not
//! acknowledged writes, so appends are not fsynced; a crash may lose the last lines.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::persist;

/// The retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Most events kept in memory per stream; older ones are dropped first.
pub const MAX_EVENTS_PER_STREAM: usize = 100_000;

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

pub(crate) struct Stream {
    pub creation_time: i64,
    pub events: VecDeque<Event>,
    /// Its file, computed once.
    pub path: Arc<PathBuf>,
}

pub(crate) struct Group {
    pub creation_time: i64,
    pub retention_days: Option<u32>,
    pub streams: BTreeMap<String, Stream>,
}

/// All log groups.
pub struct LogStore {
    dir: PathBuf,
    default_retention_days: Option<u32>,
    pub(crate) groups: RwLock<BTreeMap<String, Group>>,
    /// Appends to disk happen on the persister thread, off the invoke path.
    persister: std::sync::Mutex<std::sync::mpsc::Sender<persist::Job>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for LogStore {
    fn drop(&mut self) {
        // Closing the channel ends the persister once it has written everything queued.
        let (closed, _) = std::sync::mpsc::channel();
        if let Ok(mut tx) = self.persister.lock() {
            *tx = closed;
        }
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

fn cutoff(retention_days: Option<u32>, now: i64) -> Option<i64> {
    retention_days.map(|d| now - i64::from(d) * 86_400_000)
}

impl LogStore {
    /// Opens the store in `dir`, loading what earlier runs kept (minus expired events).
    pub fn open(dir: &Path, default_retention_days: Option<u32>) -> std::io::Result<Self> {
        fs::create_dir_all(dir)?;
        let now = now_ms();
        let mut groups = BTreeMap::new();
        for gdir in fs::read_dir(dir)?.flatten() {
            let Some(gname) = gdir.file_name().to_str().and_then(unhex_name) else {
                continue;
            };
            let mut group = Group {
                creation_time: now,
                retention_days: default_retention_days,
                streams: BTreeMap::new(),
            };
            let limit = cutoff(group.retention_days, now);
            for sfile in fs::read_dir(gdir.path())?.flatten() {
                let fname = sfile.file_name();
                let Some(sname) = fname
                    .to_str()
                    .and_then(|f| f.strip_suffix(".jsonl"))
                    .and_then(unhex_name)
                else {
                    continue;
                };
                let mut events = VecDeque::new();
                for line in BufReader::new(File::open(sfile.path())?).lines() {
                    if let Ok(e) = serde_json::from_str::<Event>(&line?) {
                        if limit.is_none_or(|c| e.timestamp >= c) {
                            events.push_back(e);
                        }
                    }
                }
                while events.len() > MAX_EVENTS_PER_STREAM {
                    events.pop_front();
                }
                let creation_time = events.front().map_or(now, |e| e.timestamp);
                group.creation_time = group.creation_time.min(creation_time);
                group.streams.insert(
                    sname,
                    Stream {
                        creation_time,
                        events,
                        path: Arc::new(sfile.path()),
                    },
                );
            }
            groups.insert(gname, group);
        }
        let (tx, writer) = persist::start()?;
        Ok(Self {
            dir: dir.to_owned(),
            default_retention_days,
            groups: RwLock::new(groups),
            persister: std::sync::Mutex::new(tx),
            writer: Some(writer),
        })
    }

    /// Appends lines (timestamp, message) to a stream, creating group and stream as needed.
    pub fn append(&self, group: &str, stream: &str, lines: &[(i64, String)]) {
        if lines.is_empty() {
            return;
        }
        let now = now_ms();
        let Ok(mut groups) = self.groups.write() else {
            return;
        };
        if !groups.contains_key(group) {
            groups.insert(
                group.to_owned(),
                Group {
                    creation_time: now,
                    retention_days: self.default_retention_days,
                    streams: BTreeMap::new(),
                },
            );
        }
        let Some(g) = groups.get_mut(group) else {
            return;
        };
        let limit = cutoff(g.retention_days, now);
        if !g.streams.contains_key(stream) {
            let path = self
                .dir
                .join(hex_name(group))
                .join(format!("{}.jsonl", hex_name(stream)));
            g.streams.insert(
                stream.to_owned(),
                Stream {
                    creation_time: now,
                    events: VecDeque::new(),
                    path: Arc::new(path),
                },
            );
        }
        let Some(s) = g.streams.get_mut(stream) else {
            return;
        };
        let mut fresh = Vec::with_capacity(lines.len());
        for (ts, msg) in lines {
            let e = Event {
                timestamp: *ts,
                message: msg.clone(),
                ingestion_time: now,
            };
            fresh.push(e.clone());
            s.events.push_back(e);
        }
        while s.events.len() > MAX_EVENTS_PER_STREAM
            || limit.is_some_and(|c| s.events.front().is_some_and(|e| e.timestamp < c))
        {
            s.events.pop_front();
        }
        let path = Arc::clone(&s.path);
        self.persist(persist::Job::Append(path, fresh));
    }

    fn persist(&self, job: persist::Job) {
        if let Ok(tx) = self.persister.lock() {
            if tx.send(job).is_err() {
                tracing::warn!("log persister gone; lines kept in memory only");
            }
        }
    }

    /// Sets a group's retention (None = never expire); false if the group does not exist.
    pub fn set_retention(&self, group: &str, days: Option<u32>) -> bool {
        let Ok(mut groups) = self.groups.write() else {
            return false;
        };
        match groups.get_mut(group) {
            Some(g) => {
                g.retention_days = days;
                true
            }
            None => false,
        }
    }

    /// Deletes a group and its files; false if it did not exist.
    pub fn delete_group(&self, group: &str) -> bool {
        let existed = self
            .groups
            .write()
            .map(|mut g| g.remove(group).is_some())
            .unwrap_or(false);
        self.persist(persist::Job::RemoveDir(self.dir.join(hex_name(group))));
        existed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_reopen_and_retention_applies() {
        let dir = tempfile::tempdir().unwrap();
        let now = now_ms();
        {
            let s = LogStore::open(dir.path(), None).unwrap();
            s.append(
                "/aws/lambda/f",
                "2026/11/22/[$LATEST]ab",
                &[(now, "hello".into()), (now - 3 * 86_400_000, "old".into())],
            );
        }
        let s = LogStore::open(dir.path(), None).unwrap();
        let g = s.groups.read().unwrap();
        let events = &g["/aws/lambda/f"].streams["2026/11/22/[$LATEST]ab"].events;
        assert_eq!(events.len(), 2);
        drop(g);
        let s = LogStore::open(dir.path(), Some(1)).unwrap();
        let g = s.groups.read().unwrap();
        let events = &g["/aws/lambda/f"].streams["2026/11/22/[$LATEST]ab"].events;
        assert_eq!(
            events
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            ["hello"]
        );
    }

    #[test]
    fn names_round_trip_through_hex() {
        assert_eq!(
            unhex_name(&hex_name("/aws/lambda/x[$LATEST]")).unwrap(),
            "/aws/lambda/x[$LATEST]"
        );
    }
}
