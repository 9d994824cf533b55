//! The store's budget for events held in memory: a byte count against a cap, and a clock
//! that stamps streams when used so that eviction drops the least recently used first.
//!
//! Appends only add to the count (atomics, no lock). Whoever takes the count over the cap
//! evicts, under one lock so that two appenders do not both evict, down to
//! [`LOW_WATER`] of the cap, so that eviction is rare rather than once per append.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Default cap on event bytes held in memory.
pub const DEFAULT_MEMORY_CAP_BYTES: usize = 64 * 1024 * 1024;

/// Eviction stops once the held bytes are at most this fraction (in quarters) of the cap.
const LOW_WATER: usize = 3;

#[derive(Debug)]
pub(crate) struct Memory {
    cap: usize,
    held: AtomicUsize,
    clock: AtomicU64,
    evicting: Mutex<()>,
}

impl Memory {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            held: AtomicUsize::new(0),
            clock: AtomicU64::new(1),
            evicting: Mutex::new(()),
        }
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// The next tick of the use clock.
    pub(crate) fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn add(&self, bytes: usize) {
        self.held.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn sub(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub(crate) fn over_cap(&self) -> bool {
        self.held() > self.cap
    }

    /// Where eviction stops.
    pub(crate) fn low_water(&self) -> usize {
        self.cap / 4 * LOW_WATER
    }

    /// The eviction lock.
    pub(crate) fn evicting(&self) -> MutexGuard<'_, ()> {
        self.evicting.lock().unwrap_or_else(|p| p.into_inner())
    }
}
