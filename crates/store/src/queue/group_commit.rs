//! Group commit: concurrent enqueues share one transaction, and so one fsync.
//!
//! A durable commit costs an fsync (a fraction of a millisecond), so one commit per event
//! caps enqueues at a few thousand a second. [`GroupCommit`] hands each event, with a
//! oneshot for its answer, to a committer task over a bounded channel. The task takes
//! everything waiting (up to a batch limit), writes it in one transaction and commits;
//! events arriving meanwhile wait in the channel and form the next batch, so batches grow
//! with the load and an idle queue commits a lone event at once.
//!
//! Every caller is answered only after the commit that holds its event returned: `Ok`
//! means the event is on disk. A failed commit (or a failure to begin) answers every
//! caller of the batch with the error, and nothing of the batch is stored. The batch is
//! written with [`QueueWrite::enqueue_batch`](crate::QueueWrite::enqueue_batch) (on
//! SQLite, a few multi-row INSERTs); an event refused on its own (its id is queued
//! already) is answered with [`StoreError::Conflict`] while the rest of its batch commits.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::NewEvent;
use crate::{Store, StoreError};

/// Why a group-committed enqueue was not acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GroupCommitError {
    /// the event was not stored
    #[error("the event was not stored: {0}")]
    Store(#[source] Arc<StoreError>),
    /// the queue committer has stopped
    #[error("the queue committer has stopped")]
    Stopped,
}

/// A handle to the committer task; clone it freely. The task ends once every handle is
/// dropped and the events already sent are answered.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    sender: mpsc::Sender<Pending>,
}

#[derive(Debug)]
struct Pending {
    event: NewEvent,
    answer: oneshot::Sender<Result<(), GroupCommitError>>,
}

impl GroupCommit {
    /// Starts the committer task on the current runtime; each transaction holds at most
    /// `max_batch` events (at least 1).
    pub fn start(store: Arc<dyn Store>, max_batch: usize) -> (Self, JoinHandle<()>) {
        let max_batch = max_batch.max(1);
        let (sender, receiver) = mpsc::channel(max_batch.saturating_mul(2));
        let task = tokio::spawn(run(store, receiver, max_batch));
        (Self { sender }, task)
    }

    /// Enqueues an event; returns once the transaction holding it has committed.
    pub async fn enqueue(&self, event: NewEvent) -> Result<(), GroupCommitError> {
        let (answer, answered) = oneshot::channel();
        self.sender
            .send(Pending { event, answer })
            .await
            .map_err(|_| GroupCommitError::Stopped)?;
        answered.await.map_err(|_| GroupCommitError::Stopped)?
    }
}

async fn run(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<Pending>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut batch, max_batch).await > 0 {
        commit_batch(&*store, &mut batch).await;
    }
}

/// Writes and commits the batch, answering (and draining) every caller in it.
async fn commit_batch(store: &dyn Store, batch: &mut Vec<Pending>) {
    match write(store, batch).await {
        Ok(refused) => {
            tracing::trace!(
                events = batch.len(),
                refused = refused.len(),
                "queue group commit"
            );
            let mut refused = refused.into_iter().peekable();
            for (i, p) in batch.drain(..).enumerate() {
                let answer = if refused.next_if_eq(&i).is_some() {
                    tracing::debug!(event = %p.event.id, "event refused by the queue: id taken");
                    Err(GroupCommitError::Store(Arc::new(StoreError::Conflict(
                        format!("event {}", p.event.id),
                    ))))
                } else {
                    Ok(())
                };
                // A caller that stopped waiting is not told; its event is stored.
                let _ = p.answer.send(answer);
            }
        }
        Err(error) => {
            tracing::warn!(events = batch.len(), %error, "queue group commit failed");
            let error = Arc::new(error);
            for p in batch.drain(..) {
                let _ = p
                    .answer
                    .send(Err(GroupCommitError::Store(Arc::clone(&error))));
            }
        }
    }
}

/// One transaction holding the batch: the indices of the events refused (ids taken).
async fn write(store: &dyn Store, batch: &[Pending]) -> Result<Vec<usize>, StoreError> {
    let events: Vec<&NewEvent> = batch.iter().map(|p| &p.event).collect();
    let mut tx = store.begin().await?;
    let refused = tx.enqueue_batch(&events).await?;
    tx.commit().await?;
    Ok(refused)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::DateTime;

    use super::*;
    use crate::{QueueRead, SqliteStore};

    fn pending(id: &str) -> (Pending, oneshot::Receiver<Result<(), GroupCommitError>>) {
        let (answer, answered) = oneshot::channel();
        let event = NewEvent {
            id: id.into(),
            function: "f".into(),
            qualifier: "$LATEST".into(),
            payload: b"{}".to_vec(),
            received_at: DateTime::from_timestamp_millis(0).unwrap(),
        };
        (Pending { event, answer }, answered)
    }

    #[tokio::test]
    async fn one_batch_with_a_duplicate_stores_the_others_and_refuses_only_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("q.db")).await.unwrap();
        let (taken, _) = pending("taken");
        store.enqueue(&taken.event).await.unwrap();

        let (mut batch, mut answers) = (Vec::new(), Vec::new());
        for id in ["a", "b", "taken", "c", "a"] {
            let (p, answered) = pending(id);
            batch.push(p);
            answers.push(answered);
        }
        commit_batch(&store, &mut batch).await;
        assert!(batch.is_empty());
        let answers: Vec<_> = answers
            .into_iter()
            .map(|mut a| a.try_recv().unwrap())
            .collect();
        let refused = |r: &Result<(), GroupCommitError>| matches!(r, Err(GroupCommitError::Store(e)) if matches!(**e, StoreError::Conflict(_)));
        assert!(answers[0].is_ok() && answers[1].is_ok() && answers[3].is_ok());
        assert!(refused(&answers[2]), "{:?}", answers[2]);
        assert!(
            refused(&answers[4]),
            "the second `a` of the batch: {:?}",
            answers[4]
        );
        assert_eq!(store.queue_depth("f").await.unwrap(), 4);
    }

    #[tokio::test]
    async fn a_batch_that_cannot_commit_answers_everyone_and_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let store = SqliteStore::open(&path).await.unwrap();
        store.close().await;
        let (mut batch, mut answers) = (Vec::new(), Vec::new());
        for id in ["a", "b", "c"] {
            let (p, answered) = pending(id);
            batch.push(p);
            answers.push(answered);
        }
        commit_batch(&store, &mut batch).await;
        for mut a in answers {
            assert!(matches!(
                a.try_recv().unwrap(),
                Err(GroupCommitError::Store(_))
            ));
        }
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(store.queue_depth("f").await.unwrap(), 0);
    }
}
