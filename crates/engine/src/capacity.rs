//! Host memory admission: every live environment holds its function's `MemorySize` against
//! a limit (the host's memory times an overcommit factor, a server setting), so that a
//! burst cannot commit the host past what it was told it may.
//!
//! A cold start that does not fit first evicts idle on-demand environments, least recently
//! used first ([`crate::pool::Pool::evict_oldest`]); only when nothing idle is left to evict
//! is the invocation throttled (429, as Lambda throttles), never a 500. Provisioned
//! environments hold their memory like any other and are never evicted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The memory environments may hold, and what they hold now.
#[derive(Debug)]
pub struct Capacity {
    limit_mb: u64,
    held_mb: AtomicU64,
}

/// One environment's share of [`Capacity`]; given back when dropped (with its environment).
#[derive(Debug)]
pub struct MemoryLease {
    capacity: Arc<Capacity>,
    mb: u64,
}

impl Drop for MemoryLease {
    fn drop(&mut self) {
        self.capacity.held_mb.fetch_sub(self.mb, Ordering::AcqRel);
    }
}

impl Capacity {
    /// Environments may hold `limit_mb` in all.
    pub fn new(limit_mb: u64) -> Arc<Self> {
        Arc::new(Self {
            limit_mb,
            held_mb: AtomicU64::new(0),
        })
    }

    /// Takes `mb` when it fits under the limit.
    pub fn try_take(self: &Arc<Self>, mb: u64) -> Option<MemoryLease> {
        self.held_mb
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(mb).filter(|after| *after <= self.limit_mb)
            })
            .ok()
            .map(|_| MemoryLease {
                capacity: Arc::clone(self),
                mb,
            })
    }

    /// What environments hold now, in MB.
    pub fn held_mb(&self) -> u64 {
        self.held_mb.load(Ordering::Acquire)
    }

    /// The limit, in MB.
    pub fn limit_mb(&self) -> u64 {
        self.limit_mb
    }
}

/// The host's memory in MB (`MemTotal` of `/proc/meminfo`), if it can be read.
pub fn host_memory_mb() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn leases_fit_under_the_limit_and_come_back_when_dropped() {
        let c = Capacity::new(300);
        let a = c.try_take(128).unwrap();
        let b = c.try_take(128).unwrap();
        assert!(c.try_take(128).is_none(), "384 > 300");
        assert_eq!(c.held_mb(), 256);
        drop(a);
        let _c = c.try_take(172).unwrap();
        assert_eq!(c.held_mb(), 300);
        drop(b);
        assert_eq!(c.held_mb(), 172);
    }

    #[test]
    fn the_host_memory_is_read() {
        assert!(host_memory_mb().is_some_and(|mb| mb > 0));
    }
}
