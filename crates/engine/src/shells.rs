//! Spare sandboxes: shells spawned ahead of cold starts.
//!
//! Spawning a sandbox (cgroups, clone into fresh namespaces, placing it in its cgroups,
//! exec of init) costs several milliseconds, most of it in the kernel: the first write to a
//! `cgroup.procs` after a quiet spell waits for an RCU grace period (about 10 ms here). A
//! few shells are therefore kept ready, with their Runtime API listener already bound in
//! their network namespace, and a cold start only assigns one (design §4: sandbox ready in
//! 5 ms). Each one taken is replaced in the background once its cold start is done; when a
//! burst empties the spares, the cold start spawns its own. Spares also come with Lambda's
//! default `/tmp` (512 MB) mounted, which saves attaching and mounting an image on the
//! cold start of every function that keeps the default.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use stratus_sandbox::{HostConfig, Shell};

use crate::failure::PlatformError;
use crate::tmp_images::TmpImages;

/// The `/tmp` size spare shells mount ahead: Lambda's default EphemeralStorage.
const SPARE_TMP_MB: u32 = 512;

/// Where the Runtime API listens inside every sandbox (`AWS_LAMBDA_RUNTIME_API`).
pub(crate) const RUNTIME_API: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    9001,
));

/// A shell and its Runtime API listener.
pub(crate) type Spare = (Shell, TcpListener);

/// The spare shells.
#[derive(Debug)]
pub(crate) struct Shells {
    host: HostConfig,
    tmp_images: Option<Arc<TmpImages>>,
    target: usize,
    spare: Mutex<Vec<Spare>>,
    /// Spawns under way in the background.
    pending: AtomicUsize,
}

impl Shells {
    /// Keeps `target` shells ready (none when 0).
    pub(crate) fn new(
        host: HostConfig,
        tmp_images: Option<Arc<TmpImages>>,
        target: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            host,
            tmp_images,
            target,
            spare: Mutex::default(),
            pending: AtomicUsize::new(0),
        })
    }

    fn spawn(&self) -> Result<Spare, PlatformError> {
        let image = match &self.tmp_images {
            Some(images) => Some(images.make(SPARE_TMP_MB)?),
            None => None,
        };
        let tmp = image.as_deref().map(|p| (p, SPARE_TMP_MB));
        let shell = Shell::spawn(&self.host, tmp).map_err(|e| {
            if let Some(p) = &image {
                let _ = std::fs::remove_file(p);
            }
            PlatformError::sandbox("spawn")(e)
        })?;
        let listener = shell
            .bind_tcp(RUNTIME_API)
            .map_err(PlatformError::sandbox("bind"))?;
        Ok((shell, listener))
    }

    /// Spares ready to be assigned.
    pub(crate) fn ready(&self) -> usize {
        self.spare.lock().map_or(0, |s| s.len())
    }

    /// Starts background spawns until ready plus pending shells reach the target.
    pub(crate) fn refill(self: &Arc<Self>) {
        loop {
            let pending = self.pending.load(Ordering::Acquire);
            if self.ready() + pending >= self.target {
                return;
            }
            if self
                .pending
                .compare_exchange(pending, pending + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                continue;
            }
            let me = Arc::clone(self);
            tokio::task::spawn_blocking(move || {
                let made = me.spawn();
                me.pending.fetch_sub(1, Ordering::AcqRel);
                match made {
                    Ok(spare) => match me.spare.lock() {
                        Ok(mut s) if s.len() < me.target => s.push(spare),
                        _ => drop(spare),
                    },
                    Err(e) => tracing::warn!(error = %e, "cannot spawn a spare sandbox"),
                }
            });
        }
    }

    /// A ready shell, or one spawned now when none is. The caller calls [`Shells::refill`]
    /// once its cold start is done: a spawn places a process in cgroups, which stalls every
    /// fork on the host for a moment, the runtime's own included.
    pub(crate) async fn take(self: &Arc<Self>) -> Result<Spare, PlatformError> {
        let ready = loop {
            let Some(mut spare) = self.spare.lock().ok().and_then(|mut s| s.pop()) else {
                break None;
            };
            if spare.0.is_alive() {
                break Some(spare);
            }
            // Killed while it waited (by an operator, say): reaped above, cleaned up here.
            tracing::warn!(
                pid = spare.0.pid(),
                "a spare sandbox had died; discarding it"
            );
            tokio::task::spawn_blocking(move || drop(spare));
        };
        let spare = match ready {
            Some(spare) => spare,
            None => {
                let me = Arc::clone(self);
                tokio::task::spawn_blocking(move || me.spawn())
                    .await
                    .map_err(PlatformError::join("spawn a sandbox"))??
            }
        };
        Ok(spare)
    }

    /// Returns an unassigned shell taken by a cold start that failed before using it.
    pub(crate) fn give_back(&self, spare: Spare) {
        let extra = match self.spare.lock() {
            Ok(mut s) if s.len() < self.target.max(1) => {
                s.push(spare);
                None
            }
            _ => Some(spare),
        };
        if let Some(spare) = extra {
            // Dropping kills and reaps it: not on an async worker.
            tokio::task::spawn_blocking(move || drop(spare));
        }
    }

    /// Removes the spares (shutdown); dropping them kills them.
    pub(crate) fn drain(&self) -> Vec<Spare> {
        self.spare
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}
