//! Unpacked code and layer trees on the host, shared by every environment that mounts them.
//!
//! One unpack per package at a time: concurrent cold starts that need the same package (a
//! burst right after a deploy) wait for the first one's unpack instead of each unpacking it.
//! A failed unpack is not remembered, so the next cold start tries again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use stratus_artifacts::BlobStore;

use crate::failure::PlatformError;

/// Where packages come from (the blob store; a counting fake in tests).
pub(crate) trait Source: Send + Sync + 'static {
    /// Unpacks package `sha256` into `dest` (blocking).
    fn unpack(&self, sha256: &str, dest: &Path) -> Result<(), PlatformError>;
}

/// Packages read from the blob store.
struct Blobs(Arc<BlobStore>);

impl Source for Blobs {
    fn unpack(&self, sha256: &str, dest: &Path) -> Result<(), PlatformError> {
        let bytes = self.0.read(sha256).map_err(|source| PlatformError::Blob {
            sha256: sha256.to_owned(),
            source,
        })?;
        stratus_artifacts::unpack(&bytes, dest).map_err(|source| PlatformError::Unpack {
            sha256: sha256.to_owned(),
            source,
        })
    }
}

/// One package's unpack under way; callers for the same package queue on it.
type Flight = Arc<tokio::sync::Mutex<()>>;

/// Where unpacked packages live: `root/<sha256 hex>/`.
pub struct Packages {
    root: PathBuf,
    source: Arc<dyn Source>,
    flights: Mutex<HashMap<String, Flight>>,
}

impl std::fmt::Debug for Packages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packages")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Packages {
    /// Packages unpacked under `root` from `blobs`. Staging directories an earlier run left
    /// behind (it stopped mid-unpack) are removed.
    pub fn new(root: PathBuf, blobs: Arc<BlobStore>) -> Self {
        match stratus_artifacts::sweep_staging(&root) {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed interrupted package unpacks"),
            Err(e) => tracing::warn!(error = %e, "cannot sweep interrupted package unpacks"),
        }
        Self::with_source(root, Arc::new(Blobs(blobs)))
    }

    pub(crate) fn with_source(root: PathBuf, source: Arc<dyn Source>) -> Self {
        Self {
            root,
            source,
            flights: Mutex::default(),
        }
    }

    /// The unpacked tree of a package, unpacking it on first use (content-addressed, so a
    /// tree once complete never changes).
    pub async fn tree(&self, sha256_hex: &str) -> Result<PathBuf, PlatformError> {
        let dest = self.root.join(sha256_hex);
        if dest.is_dir() {
            return Ok(dest);
        }
        let flight = self.board(sha256_hex)?;
        let unpacked = async {
            let _turn = flight.lock().await;
            // The unpack this caller queued behind may have published the tree.
            if dest.is_dir() {
                return Ok(());
            }
            let source = Arc::clone(&self.source);
            let (key, target) = (sha256_hex.to_owned(), dest.clone());
            tokio::task::spawn_blocking(move || source.unpack(&key, &target))
                .await
                .map_err(PlatformError::join("unpack a package"))?
        }
        .await;
        self.land(sha256_hex, &flight);
        unpacked.map(|()| dest)
    }

    /// Joins the flight of `sha256_hex`, starting it if there is none.
    fn board(&self, sha256_hex: &str) -> Result<Flight, PlatformError> {
        let mut flights = self
            .flights
            .lock()
            .map_err(|_| PlatformError::Poisoned("package unpack"))?;
        Ok(Arc::clone(
            flights.entry(sha256_hex.to_owned()).or_default(),
        ))
    }

    /// Leaves the flight; the last one out removes it.
    fn land(&self, sha256_hex: &str, flight: &Flight) {
        if let Ok(mut flights) = self.flights.lock() {
            // The map's reference and ours: nobody else is waiting.
            if flights
                .get(sha256_hex)
                .is_some_and(|f| Arc::ptr_eq(f, flight) && Arc::strong_count(f) == 2)
            {
                flights.remove(sha256_hex);
            }
        }
    }

    /// Callers currently waiting for or running the unpack of `sha256_hex`.
    #[cfg(test)]
    fn callers(&self, sha256_hex: &str) -> usize {
        self.flights.lock().map_or(0, |f| {
            f.get(sha256_hex)
                .map_or(0, |flight| Arc::strong_count(flight) - 1)
        })
    }
}

/// Where a custom runtime's `bootstrap` is, seen from inside the sandbox.
pub fn custom_bootstrap(task_root: &Path, layers: &[PathBuf]) -> Option<&'static str> {
    if task_root.join("bootstrap").is_file() {
        Some("/var/task/bootstrap")
    } else if layers.iter().any(|l| l.join("bootstrap").is_file()) {
        Some("/opt/bootstrap")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts unpacks; each one waits until the test opens the gate, then writes a file
    /// (or fails while `failures` lasts).
    #[derive(Default)]
    struct Counting {
        unpacks: AtomicUsize,
        failures: AtomicUsize,
        gate: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
    }

    impl Source for Counting {
        fn unpack(&self, _sha256: &str, dest: &Path) -> Result<(), PlatformError> {
            self.unpacks.fetch_add(1, Ordering::SeqCst);
            if let Some(gate) = self.gate.lock().unwrap().as_ref() {
                gate.recv().unwrap();
            }
            if self
                .failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(PlatformError::Capture(std::io::Error::other("injected")));
            }
            std::fs::create_dir(dest).unwrap();
            std::fs::write(dest.join("bootstrap"), "#!/bin/sh\n").unwrap();
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_one_unpack() {
        let dir = tempfile::tempdir().unwrap();
        let source = Arc::new(Counting::default());
        let (open, gate) = std::sync::mpsc::channel();
        *source.gate.lock().unwrap() = Some(gate);
        let packages = Arc::new(Packages::with_source(
            dir.path().to_owned(),
            Arc::clone(&source) as Arc<dyn Source>,
        ));
        const CALLERS: usize = 8;
        let calls: Vec<_> = (0..CALLERS)
            .map(|_| {
                let p = Arc::clone(&packages);
                tokio::spawn(async move { p.tree("abc").await })
            })
            .collect();
        // Every caller has joined the flight before the first unpack may finish.
        crate::fake::until("every caller waits on the one unpack", || {
            packages.callers("abc") == CALLERS
        })
        .await;
        open.send(()).unwrap();
        for call in calls {
            let tree = call.await.unwrap().unwrap();
            assert!(tree.join("bootstrap").is_file());
        }
        assert_eq!(source.unpacks.load(Ordering::SeqCst), 1);
        assert_eq!(packages.callers("abc"), 0, "the flight is cleared");
        // Published: later calls do not unpack.
        packages.tree("abc").await.unwrap();
        assert_eq!(source.unpacks.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_unpack_is_retried_by_the_next_call() {
        let dir = tempfile::tempdir().unwrap();
        let source = Arc::new(Counting::default());
        source.failures.store(1, Ordering::SeqCst);
        let packages = Packages::with_source(
            dir.path().to_owned(),
            Arc::clone(&source) as Arc<dyn Source>,
        );
        assert!(packages.tree("abc").await.is_err());
        let tree = packages.tree("abc").await.unwrap();
        assert!(tree.join("bootstrap").is_file());
        assert_eq!(source.unpacks.load(Ordering::SeqCst), 2);
    }
}
