//! The dispatcher's loop: claim what can run now, run each event on its own task, wait for
//! an enqueue, a finished run or the poll timer, and stop claiming on shutdown.

use std::sync::Arc;
use std::time::Duration;

use stratus_store::queue::{GroupCommit, GroupCommitError};
use stratus_store::{Store, StoreError};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinHandle;

use crate::handle::Core;
use crate::{Clock, DispatchSettings, Finish, Invoker};

/// The dispatcher, before its loop runs: tests drive it one claim at a time.
pub struct Dispatch {
    core: Arc<Core>,
}

impl std::fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatch")
            .field("owner", &self.core.owner)
            .finish()
    }
}

/// How long after the start any lease left in the store is ended: past every lease this
/// server's dispatchers can have granted.
const LEASES_LEFT_BEHIND: Duration = Duration::from_secs(30 * 24 * 3600);

impl Dispatch {
    /// A dispatcher with a new owner id over the store's queue.
    /// `commit` is the store's group commit (the one the accept path enqueues through):
    /// the ends and releases of events share its transactions.
    pub fn new(
        store: Arc<dyn Store>,
        commit: GroupCommit,
        invoker: Arc<dyn Invoker>,
        finish: Arc<dyn Finish>,
        clock: Arc<dyn Clock>,
        settings: DispatchSettings,
    ) -> Self {
        Self {
            core: Arc::new(Core::new(store, commit, invoker, finish, clock, settings)),
        }
    }

    /// This dispatcher's lease owner id (unique per process).
    pub fn owner(&self) -> &str {
        &self.core.owner
    }

    /// Ends every lease in the store: on a single node they belong to a process that is
    /// gone (killed while running events), whose events are runnable again now. Answers
    /// how many there were.
    pub async fn recover_leases(&self) -> Result<u64, StoreError> {
        let horizon = chrono::TimeDelta::from_std(LEASES_LEFT_BEHIND).unwrap_or_default();
        let now = self.core.clock.now();
        let mut tx = self.core.store.begin().await?;
        let ended = tx
            .expire_leases(now.checked_add_signed(horizon).unwrap_or(now))
            .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Claims what is due (up to the concurrency) and runs it all to its next state;
    /// answers how many events it claimed.
    pub async fn run_due(&self) -> Result<usize, GroupCommitError> {
        let events = self
            .core
            .claim(self.core.settings.concurrency.max(1))
            .await?;
        let n = events.len();
        let runs: Vec<_> = events
            .into_iter()
            .map(|e| {
                let core = Arc::clone(&self.core);
                tokio::spawn(async move { core.handle(e).await })
            })
            .collect();
        for run in runs {
            if let Err(e) = run.await {
                tracing::error!(error = %e, "async event task failed");
            }
        }
        Ok(n)
    }

    /// Starts the loop on the current runtime; `wake` is notified on each enqueue.
    pub fn spawn(self, wake: Arc<Notify>) -> Running {
        let (stop, stopped) = watch::channel(false);
        let permits = Arc::new(Semaphore::new(self.core.settings.concurrency.max(1)));
        let task = tokio::spawn(run(
            Arc::clone(&self.core),
            wake,
            Arc::clone(&permits),
            stopped,
        ));
        Running {
            stop,
            task,
            permits,
            concurrency: self.core.settings.concurrency.max(1),
        }
    }
}

/// The running loop's handle.
#[derive(Debug)]
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    permits: Arc<Semaphore>,
    concurrency: usize,
}

impl Running {
    /// Stops claiming and waits up to `limit` for the running events to reach their next
    /// state; those still running then keep their leases, which the next start ends.
    pub async fn shutdown(self, limit: Duration) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the async dispatcher loop failed");
        }
        let all = u32::try_from(self.concurrency).unwrap_or(u32::MAX);
        match tokio::time::timeout(limit, self.permits.acquire_many(all)).await {
            Ok(_) => tracing::info!("async dispatcher stopped"),
            Err(_) => tracing::warn!(
                running = self.concurrency - self.permits.available_permits(),
                "async events still running at shutdown; they run again after the restart"
            ),
        }
    }
}

async fn run(
    core: Arc<Core>,
    wake: Arc<Notify>,
    permits: Arc<Semaphore>,
    mut stopped: watch::Receiver<bool>,
) {
    tracing::info!(owner = %core.owner, concurrency = core.settings.concurrency, "async dispatcher started");
    loop {
        if *stopped.borrow() {
            return;
        }
        let free = permits.available_permits();
        if free > 0 {
            match core.claim(free).await {
                Ok(events) => {
                    for event in events {
                        // Only this loop takes permits, and it claimed no more than were free.
                        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                            tracing::error!(request_id = %event.id, "no free run slot for a claimed event; its lease will expire");
                            continue;
                        };
                        let (core, wake) = (Arc::clone(&core), Arc::clone(&wake));
                        tokio::spawn(async move {
                            core.handle(event).await;
                            drop(permit);
                            wake.notify_one();
                        });
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot claim async events"),
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(core.settings.poll_interval) => {}
            changed = stopped.changed() => {
                // The handle is gone without a shutdown: stop too.
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}
