//! Per-environment users: every live environment runs as a uid of its own, taken from a
//! configured range (as Firecracker's jailer runs each microVM as its own user), so that no
//! per-user kernel limit (inotify instances and watches, processes, POSIX message queue
//! bytes, pending signals) is shared between tenants.
//!
//! An environment holds its [`UidLease`] for its whole life (the field is declared after
//! its sandbox, so the sandbox is killed before the uid is given back, on every path), and
//! a uid is never held by two live environments. Its group id is the same number. Released
//! uids go to the back of the free list, so a uid is reused as late as possible. When the
//! range is exhausted a cold start evicts the least recently used idle environment, waiting
//! for its kill, and is throttled when nothing idle is left (see
//! [`crate::Inner::hold_uid`]).

use std::collections::VecDeque;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};

/// The default range: 4,096 uids from 1,000,000 — above the login range (1000–60000),
/// `nobody` (65534) and the first subordinate-id blocks `useradd` hands out from 100,000,
/// and more than the default account concurrency of 1,000 with room for idle environments.
pub const DEFAULT_UIDS: RangeInclusive<u32> = 1_000_000..=1_004_095;

/// The uids environments may run as, and which of them are free.
#[derive(Debug)]
pub struct Uids {
    range: RangeInclusive<u32>,
    free: Mutex<VecDeque<u32>>,
}

/// One environment's uid; given back when dropped (with its environment, after its
/// sandbox was killed).
#[derive(Debug)]
pub struct UidLease {
    uids: Arc<Uids>,
    uid: u32,
}

impl UidLease {
    /// The uid (and gid) the environment runs as.
    pub fn uid(&self) -> u32 {
        self.uid
    }
}

impl Drop for UidLease {
    fn drop(&mut self) {
        if let Ok(mut free) = self.uids.free.lock() {
            free.push_back(self.uid);
        }
    }
}

impl Uids {
    /// Every uid of `range` free.
    pub fn new(range: RangeInclusive<u32>) -> Arc<Self> {
        Arc::new(Self {
            free: Mutex::new(range.clone().collect()),
            range,
        })
    }

    /// A free uid, if any is left.
    pub fn try_take(self: &Arc<Self>) -> Option<UidLease> {
        let uid = self.free.lock().ok()?.pop_front()?;
        Some(UidLease {
            uids: Arc::clone(self),
            uid,
        })
    }

    /// Uids held by live environments right now.
    pub fn held(&self) -> usize {
        let free = self.free.lock().map_or(0, |f| f.len());
        self.size().saturating_sub(free)
    }

    /// How many uids the range holds.
    pub fn size(&self) -> usize {
        self.range.clone().count()
    }

    /// The range.
    pub fn range(&self) -> RangeInclusive<u32> {
        self.range.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn uids_are_unique_while_held_and_reused_last() {
        let uids = Uids::new(10..=12);
        let a = uids.try_take().unwrap();
        let b = uids.try_take().unwrap();
        let c = uids.try_take().unwrap();
        assert_eq!([a.uid(), b.uid(), c.uid()], [10, 11, 12]);
        assert!(uids.try_take().is_none());
        assert_eq!(uids.held(), 3);
        drop(b);
        assert_eq!(uids.held(), 2);
        let d = uids.try_take().unwrap();
        assert_eq!(d.uid(), 11);
        drop(a);
        drop(c);
        // 10 was given back before 12: it comes out first.
        assert_eq!(uids.try_take().unwrap().uid(), 10);
    }
}
