//! One log group: its retention and its streams, each behind its own lock so that appends
//! to different streams do not contend.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use crate::store::stream::Stream;

/// `retention` when events never expire.
const FOREVER: u64 = u64::MAX;

pub(crate) struct Group {
    pub creation_time: i64,
    retention: AtomicU64,
    streams: RwLock<BTreeMap<String, Arc<Stream>>>,
}

impl Group {
    pub(crate) fn new(creation_time: i64, retention_days: Option<u32>) -> Self {
        Self {
            creation_time,
            retention: AtomicU64::new(retention_days.map_or(FOREVER, u64::from)),
            streams: RwLock::new(BTreeMap::new()),
        }
    }

    pub(crate) fn retention_days(&self) -> Option<u32> {
        match self.retention.load(Ordering::Relaxed) {
            FOREVER => None,
            d => u32::try_from(d).ok(),
        }
    }

    pub(crate) fn set_retention_days(&self, days: Option<u32>) {
        self.retention
            .store(days.map_or(FOREVER, u64::from), Ordering::Relaxed);
    }

    /// The streams, for reading (appends to existing streams only take this).
    pub(crate) fn streams(&self) -> RwLockReadGuard<'_, BTreeMap<String, Arc<Stream>>> {
        self.streams.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn stream(&self, name: &str) -> Option<Arc<Stream>> {
        self.streams().get(name).cloned()
    }

    /// The stream, created with `make` if it does not exist.
    pub(crate) fn stream_or_insert(
        &self,
        name: &str,
        make: impl FnOnce() -> Stream,
    ) -> Arc<Stream> {
        if let Some(s) = self.stream(name) {
            return s;
        }
        let mut streams = self.streams.write().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            streams
                .entry(name.to_owned())
                .or_insert_with(|| Arc::new(make())),
        )
    }

    pub(crate) fn insert(&self, name: String, stream: Stream) {
        self.streams
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, Arc::new(stream));
    }
}
