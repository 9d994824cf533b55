//! One log stream: its metadata, always in memory, and its events, in memory while the
//! store's memory cap allows and read back from its file when not.
//!
//! Events are numbered (`seq`) in the order they were appended, which is the order of the
//! lines in the file: events appended since the store opened count up from 0 and those of
//! earlier runs (the file's first `prefix_bytes` bytes) count down from -1. Invariant:
//! every unexpired event numbered `mem_start` or later is in `events`; earlier ones are in
//! the file only. [`ALL`] means every event is in memory. Evicting a stream drops its
//! events and moves `mem_start` to the next number. A query reads what is not in memory
//! back from the file: all of it, kept in memory again, when the file is small next to the
//! cap; otherwise one line at a time, handed to the query and dropped, so that a query's
//! memory does not grow with the stream (a function may have printed 100 MiB into it).

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::persist::StreamFile;
use crate::store::{disk, Event, LogStore, Memory};

/// `mem_start` when every event of the stream is in memory.
const ALL: i64 = i64::MIN;

/// Attempts at loading a stream back into memory before reading it through instead.
const LOAD_ATTEMPTS: usize = 4;

/// An event with its number in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Held {
    pub seq: i64,
    pub event: Event,
}

/// Bytes an event counts for against the memory cap: its message plus its fixed size.
pub(crate) fn held_size(e: &Event) -> usize {
    e.message.len() + std::mem::size_of::<Held>()
}

/// What DescribeLogStreams shows of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    pub first_timestamp: Option<i64>,
    /// Timestamp and ingestion time of the last event.
    pub last: Option<(i64, i64)>,
}

struct State {
    /// Bytes of the file written by earlier runs.
    prefix_bytes: u64,
    /// Lines in them, once counted.
    prefix_lines: Option<i64>,
    next_seq: i64,
    mem_start: i64,
    events: VecDeque<Held>,
    /// What `events` count for against the memory cap.
    held_bytes: usize,
    summary: Summary,
}

pub(crate) struct Stream {
    pub creation_time: i64,
    pub file: Arc<StreamFile>,
    /// Tick of the store's clock when last appended to or read.
    last_used: AtomicU64,
    state: Mutex<State>,
}

impl Stream {
    /// A stream with its file at `path`, of which opening the store learnt `meta`.
    pub(crate) fn new(path: PathBuf, meta: disk::FileMeta, creation_time: i64) -> Self {
        Self {
            creation_time,
            file: Arc::new(StreamFile {
                path,
                bytes: AtomicU64::new(meta.bytes),
            }),
            last_used: AtomicU64::new(0),
            state: Mutex::new(State {
                prefix_bytes: meta.bytes,
                prefix_lines: (meta.bytes == 0).then_some(0),
                next_seq: 0,
                mem_start: if meta.bytes == 0 { ALL } else { 0 },
                events: VecDeque::new(),
                held_bytes: 0,
                summary: Summary {
                    first_timestamp: meta.first_timestamp,
                    last: meta.last,
                },
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state usable: every update is a push,
        // a pop or a swap.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    pub(crate) fn summary(&self) -> Summary {
        self.state().summary
    }

    /// Appends the lines, drops events older than `cutoff` from memory, and hands the new
    /// events to `persist` while still holding the stream (so files keep append order).
    /// The memory count changes under the stream's lock, so it never runs below zero.
    pub(crate) fn push(
        &self,
        lines: &[(i64, String)],
        now: i64,
        cutoff: Option<i64>,
        memory: &Memory,
        persist: impl FnOnce(Arc<StreamFile>, Vec<Event>),
    ) {
        self.last_used.store(memory.tick(), Ordering::Relaxed);
        let mut fresh = Vec::with_capacity(lines.len());
        let mut st = self.state();
        let mut added = 0;
        for (ts, msg) in lines {
            let event = Event {
                timestamp: *ts,
                message: msg.clone(),
                ingestion_time: now,
            };
            added += held_size(&event);
            let seq = st.next_seq;
            st.next_seq += 1;
            st.events.push_back(Held {
                seq,
                event: event.clone(),
            });
            fresh.push(event);
        }
        if let Some((first, last)) = lines.first().zip(lines.last()) {
            st.summary.first_timestamp.get_or_insert(first.0);
            st.summary.last = Some((last.0, now));
        }
        st.held_bytes += added;
        let mut freed = 0;
        while let Some(front) = st.events.front() {
            if cutoff.is_none_or(|c| front.event.timestamp >= c) {
                break;
            }
            freed += held_size(&front.event);
            st.events.pop_front();
        }
        st.held_bytes -= freed;
        if freed > 0 && st.mem_start == ALL {
            st.summary.first_timestamp = st.events.front().map(|h| h.event.timestamp);
        }
        memory.add(added);
        memory.sub(freed);
        persist(Arc::clone(&self.file), fresh);
    }

    /// Drops the events held in memory.
    pub(crate) fn evict(&self, memory: &Memory) {
        let mut st = self.state();
        st.mem_start = st.next_seq;
        st.events = VecDeque::new();
        memory.sub(std::mem::take(&mut st.held_bytes));
    }

    /// Calls `f` with every event at or after `cutoff`, in append order, until it breaks.
    /// Events not in memory are read back from the file first: into memory if the stream
    /// fits in a small share of the cap, else one at a time as `f` goes.
    pub(crate) fn for_each_event(
        &self,
        store: &LogStore,
        cutoff: Option<i64>,
        mut f: impl FnMut(&Held) -> ControlFlow<()>,
    ) {
        self.last_used.store(store.memory.tick(), Ordering::Relaxed);
        let live = |h: &&Held| cutoff.is_none_or(|c| h.event.timestamp >= c);
        self.load(store, cutoff);
        // Numbers below `next` have been handed to `f`.
        let mut next = i64::MIN;
        loop {
            let (prefix_bytes, prefix_lines, mem_start) = {
                let st = self.state();
                if st.mem_start <= next {
                    // Everything from `next` on is in memory (`ALL` is the lowest number).
                    let mut rest = st.events.iter().filter(|h| h.seq >= next).filter(live);
                    let _ = rest.try_for_each(&mut f);
                    return;
                }
                (st.prefix_bytes, st.prefix_lines, st.mem_start)
            };
            let Some(prefix_lines) = self.prefix_lines(prefix_bytes, prefix_lines) else {
                next = mem_start;
                continue;
            };
            // Everything numbered below `mem_start` was queued before it was set: once the
            // persister has flushed, it is in the file.
            store.flush();
            match disk::for_each(
                &self.file.path,
                prefix_lines,
                next,
                mem_start,
                cutoff,
                |h| f(&h),
            ) {
                Ok((ControlFlow::Break(()), _)) => return,
                Ok((ControlFlow::Continue(()), lines)) if lines < mem_start => {
                    tracing::warn!(path = %self.file.path.display(), "log stream file is missing lines");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, path = %self.file.path.display(), "cannot read log stream");
                }
            }
            next = mem_start;
        }
    }

    /// The number of lines earlier runs wrote, counted once (None if the file cannot be
    /// read: the events on disk are skipped then).
    fn prefix_lines(&self, prefix_bytes: u64, known: Option<i64>) -> Option<i64> {
        if known.is_some() {
            return known;
        }
        match disk::prefix_lines(&self.file.path, prefix_bytes) {
            Ok(n) => {
                self.state().prefix_lines = Some(n);
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, path = %self.file.path.display(), "cannot read log stream");
                None
            }
        }
    }

    /// Reads the events that are only on disk back into memory, when the whole stream
    /// fits in half the cap (judged by its file's size first, so a large file is not read
    /// only to be dropped).
    fn load(&self, store: &LogStore, cutoff: Option<i64>) {
        let room = store.memory.cap() / 2;
        for _ in 0..LOAD_ATTEMPTS {
            let (prefix_bytes, prefix_lines, need, held) = {
                let st = self.state();
                if st.mem_start == ALL {
                    return;
                }
                (
                    st.prefix_bytes,
                    st.prefix_lines,
                    st.mem_start,
                    st.held_bytes,
                )
            };
            let on_disk =
                usize::try_from(self.file.bytes.load(Ordering::Relaxed)).unwrap_or(usize::MAX);
            if held.saturating_add(on_disk) > room {
                return;
            }
            let Some(prefix_lines) = self.prefix_lines(prefix_bytes, prefix_lines) else {
                return;
            };
            store.flush();
            let read = match disk::read(&self.file.path, prefix_lines, need, cutoff) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, path = %self.file.path.display(), "cannot read log stream");
                    return;
                }
            };
            let mut st = self.state();
            if st.mem_start != need {
                continue; // loaded or evicted meanwhile
            }
            if read.lines_after_prefix < need {
                tracing::warn!(path = %self.file.path.display(), "log stream file is missing lines");
            }
            let disk_bytes: usize = read.events.iter().map(|h| held_size(&h.event)).sum();
            if st.held_bytes + disk_bytes > room {
                return;
            }
            let mut all = VecDeque::from(read.events);
            all.append(&mut st.events);
            st.events = all;
            st.held_bytes += disk_bytes;
            st.mem_start = ALL;
            store.memory.add(disk_bytes);
            drop(st);
            store.enforce_memory_cap();
            return;
        }
    }
}
