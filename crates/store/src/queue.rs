//! The durable queue of asynchronous invocations, and its dead letters.
//!
//! The queue is a part of the store sharing its transactions:
//! - [`QueueWrite`] is the queue part of a [`WriteTx`](crate::WriteTx) (a supertrait of it,
//!   beside [`MetadataWrite`](crate::MetadataWrite)): an enqueue is durable once its
//!   transaction commits, and an event's outcome and its removal commit together;
//! - [`QueueRead`] is the committed view, a supertrait of [`Store`](crate::Store) beside
//!   [`MetadataRead`](crate::MetadataRead);
//! - [`GroupCommit`] batches concurrent enqueues into one transaction, so that durable
//!   enqueues are not limited to one fsync each.
//!
//! An event's life: enqueued (runnable from its receive time) → claimed (leased to one
//! owner until the lease expires) → completed (deleted), released (back to the queue with
//! a not-before time, maybe counting a retry) or dead-lettered (moved to the dead letters
//! in one step). A lease that expires makes the event runnable again: claims take expired
//! leases as free, so a dispatcher that died loses nothing. Dead letters are redriven back
//! into the queue, one or a function's all at once, with their retries reset.
//!
//! Every operation takes the current time as a parameter (no clock inside), so tests
//! drive time explicitly. The per-event settings (retries, maximum age, destinations) are
//! the function's event-invoke config, read when needed, and not stored with events.
//!
//! Claims are fair across functions: a claim takes the runnable events round-robin over
//! the functions that have any, oldest-ready first within each, and the next claim starts
//! after the last function served, so one function's backlog never delays another's
//! events. This crate knows queue records, not Lambda's retry rules: the dispatcher decides
//! when to release, how long to back off and when to dead-letter.

mod dead_letter;
mod event;
mod group_commit;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreError;

pub use dead_letter::{DeadLetter, Failure};
pub use event::{ClaimRequest, FunctionQueueStats, Lease, NewEvent, QueuedEvent, Release};
pub use group_commit::{GroupCommit, GroupCommitError};

/// The queue part of a write transaction.
///
/// Operations on a leased event name the lease owner and do nothing (answering `false`)
/// when that owner no longer holds the event: it was completed, or its lease expired and
/// another owner claimed it.
#[async_trait]
pub trait QueueWrite: Send {
    /// Adds an event, runnable from its receive time; durable when the transaction commits.
    /// [`StoreError::Conflict`] if an event with this id is queued already.
    async fn enqueue(&mut self, event: &NewEvent) -> Result<(), StoreError>;

    /// Adds many events at once, as [`QueueWrite::enqueue`] each would; answers the
    /// indices of the events refused because their id is queued already (or repeats an
    /// earlier event of `events`). Backends override it to write a batch in few statements.
    async fn enqueue_batch(&mut self, events: &[&NewEvent]) -> Result<Vec<usize>, StoreError> {
        let mut refused = Vec::new();
        for (i, event) in events.iter().enumerate() {
            match self.enqueue(event).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => refused.push(i),
                Err(e) => return Err(e),
            }
        }
        Ok(refused)
    }

    /// Leases up to `limit` runnable events (due by `now`, lease absent or expired) to
    /// `owner` until `now + lease`, fairly across functions (see the module documentation).
    async fn claim(&mut self, request: &ClaimRequest<'_>) -> Result<Vec<QueuedEvent>, StoreError>;

    /// Deletes an event leased by `owner` (it ran to an end that needs nothing more).
    async fn complete(&mut self, id: &str, owner: &str) -> Result<bool, StoreError>;

    /// Ends `owner`'s lease and puts the event back with a back-off, maybe counting a retry.
    async fn release(
        &mut self,
        id: &str,
        owner: &str,
        release: &Release,
    ) -> Result<bool, StoreError>;

    /// Ends every lease that expires at or before `now`; answers how many. Claims treat
    /// expired leases as free anyway; this makes the stored state say so. A single-node
    /// server starting up may pass a time past any lease it could have granted: every lease
    /// in its database then belongs to a process that is gone.
    async fn expire_leases(&mut self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Moves an event leased by `owner` to the dead letters, in one step.
    async fn dead_letter(
        &mut self,
        id: &str,
        owner: &str,
        failure: &Failure,
        failed_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Puts one dead letter back in the queue, received at `now` with no retries used;
    /// false if there is none with this id.
    async fn redrive(&mut self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Puts every dead letter of a function back in the queue, as [`QueueWrite::redrive`]
    /// does; answers how many.
    async fn redrive_function(
        &mut self,
        function: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Deletes one dead letter; false if there is none with this id.
    async fn discard_dead_letter(&mut self, id: &str) -> Result<bool, StoreError>;
}

/// Committed reads of the queue and the dead letters.
#[async_trait]
pub trait QueueRead: Send + Sync {
    /// One queued event.
    async fn queued_event(&self, id: &str) -> Result<Option<QueuedEvent>, StoreError>;

    /// Events queued for a function (leased or not).
    async fn queue_depth(&self, function: &str) -> Result<u64, StoreError>;

    /// Depth and oldest receive time of every function with queued events, by name. It
    /// visits every queued event: meant for a metrics scrape, not a hot path.
    async fn queue_stats(&self) -> Result<Vec<FunctionQueueStats>, StoreError>;

    /// One dead letter.
    async fn dead_letter(&self, id: &str) -> Result<Option<DeadLetter>, StoreError>;

    /// A function's dead letters in the order they failed, after position `after` (a
    /// [`DeadLetter::seq`] from the previous page); at most `limit`.
    async fn dead_letters(
        &self,
        function: &str,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError>;
}
