//! Group commit: concurrent queue writes share one transaction, and so one fsync.
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
//!
//! The dispatcher's writes on leased events (complete, release, dead-letter) go the same
//! way, so that running events does not cost a durable commit each and does not queue
//! single-row transactions in front of the enqueues on the store's one write connection.
//! They are applied in the batch's transaction after its enqueues, each answered with what
//! its [`QueueWrite`](crate::QueueWrite) method answered.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use chrono::{DateTime, Utc};

use super::{Failure, NewEvent, Release};
use crate::{Store, StoreError, WriteTx};

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

/// One write a batch carries.
#[derive(Debug)]
enum Op {
    Enqueue(NewEvent),
    Complete {
        id: String,
        owner: String,
    },
    Release {
        id: String,
        owner: String,
        release: Release,
    },
    DeadLetter {
        id: String,
        owner: String,
        failure: Failure,
        at: DateTime<Utc>,
    },
}

/// An operation and its caller's answer: for an enqueue, `true`; for the others, whether
/// the owner still held the event.
#[derive(Debug)]
struct Pending {
    op: Op,
    answer: oneshot::Sender<Result<bool, GroupCommitError>>,
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
        self.submit(Op::Enqueue(event)).await.map(drop)
    }

    /// [`QueueWrite::complete`](crate::QueueWrite::complete), committed with a batch.
    pub async fn complete(&self, id: &str, owner: &str) -> Result<bool, GroupCommitError> {
        self.submit(Op::Complete {
            id: id.to_owned(),
            owner: owner.to_owned(),
        })
        .await
    }

    /// [`QueueWrite::release`](crate::QueueWrite::release), committed with a batch.
    pub async fn release(
        &self,
        id: &str,
        owner: &str,
        release: Release,
    ) -> Result<bool, GroupCommitError> {
        self.submit(Op::Release {
            id: id.to_owned(),
            owner: owner.to_owned(),
            release,
        })
        .await
    }

    /// [`QueueWrite::dead_letter`](crate::QueueWrite::dead_letter), committed with a batch.
    pub async fn dead_letter(
        &self,
        id: &str,
        owner: &str,
        failure: Failure,
        at: DateTime<Utc>,
    ) -> Result<bool, GroupCommitError> {
        self.submit(Op::DeadLetter {
            id: id.to_owned(),
            owner: owner.to_owned(),
            failure,
            at,
        })
        .await
    }

    async fn submit(&self, op: Op) -> Result<bool, GroupCommitError> {
        let (answer, answered) = oneshot::channel();
        self.sender
            .send(Pending { op, answer })
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
        Ok(answers) => {
            tracing::trace!(ops = batch.len(), "queue group commit");
            for (p, answer) in batch.drain(..).zip(answers) {
                if let Err(GroupCommitError::Store(_)) = &answer {
                    if let Op::Enqueue(e) = &p.op {
                        tracing::debug!(event = %e.id, "event refused by the queue: id taken");
                    }
                }
                // A caller that stopped waiting is not told; its write is committed.
                let _ = p.answer.send(answer);
            }
        }
        Err(error) => {
            tracing::warn!(ops = batch.len(), %error, "queue group commit failed");
            let error = Arc::new(error);
            for p in batch.drain(..) {
                let _ = p
                    .answer
                    .send(Err(GroupCommitError::Store(Arc::clone(&error))));
            }
        }
    }
}

/// One transaction holding the batch: its enqueues in one go, then the other operations
/// in order. Answers each operation's result, in the batch's order.
async fn write(
    store: &dyn Store,
    batch: &[Pending],
) -> Result<Vec<Result<bool, GroupCommitError>>, StoreError> {
    let events: Vec<&NewEvent> = batch
        .iter()
        .filter_map(|p| match &p.op {
            Op::Enqueue(e) => Some(e),
            _ => None,
        })
        .collect();
    let mut tx = store.begin().await?;
    let mut refused = if events.is_empty() {
        Vec::new()
    } else {
        tx.enqueue_batch(&events).await?
    }
    .into_iter()
    .peekable();
    let mut answers = Vec::with_capacity(batch.len());
    let mut nth_event = 0;
    for p in batch {
        let answer = match &p.op {
            Op::Enqueue(e) => {
                let taken = refused.next_if_eq(&nth_event).is_some();
                nth_event += 1;
                if taken {
                    Err(GroupCommitError::Store(Arc::new(StoreError::Conflict(
                        format!("event {}", e.id),
                    ))))
                } else {
                    Ok(true)
                }
            }
            op => Ok(apply(&mut *tx, op).await?),
        };
        answers.push(answer);
    }
    tx.commit().await?;
    Ok(answers)
}

/// One operation on a leased event, inside the batch's transaction.
async fn apply(tx: &mut dyn WriteTx, op: &Op) -> Result<bool, StoreError> {
    match op {
        Op::Enqueue(_) => Ok(true),
        Op::Complete { id, owner } => tx.complete(id, owner).await,
        Op::Release { id, owner, release } => tx.release(id, owner, release).await,
        Op::DeadLetter {
            id,
            owner,
            failure,
            at,
        } => tx.dead_letter(id, owner, failure, *at).await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::DateTime;

    use super::*;
    use crate::{QueueRead, SqliteStore};

    fn pending(id: &str) -> (Pending, oneshot::Receiver<Result<bool, GroupCommitError>>) {
        let (answer, answered) = oneshot::channel();
        let event = NewEvent {
            id: id.into(),
            function: "f".into(),
            qualifier: "$LATEST".into(),
            payload: b"{}".to_vec(),
            received_at: DateTime::from_timestamp_millis(0).unwrap(),
        };
        (
            Pending {
                op: Op::Enqueue(event),
                answer,
            },
            answered,
        )
    }

    #[tokio::test]
    async fn one_batch_with_a_duplicate_stores_the_others_and_refuses_only_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("q.db")).await.unwrap();
        let (taken, _) = pending("taken");
        let Op::Enqueue(taken_event) = &taken.op else {
            unreachable!()
        };
        store.enqueue(taken_event).await.unwrap();

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
        let refused = |r: &Result<bool, GroupCommitError>| matches!(r, Err(GroupCommitError::Store(e)) if matches!(**e, StoreError::Conflict(_)));
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
    async fn a_batch_carries_the_dispatchers_writes_beside_enqueues() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("q.db")).await.unwrap();
        let (a, _) = pending("a");
        let Op::Enqueue(a_event) = &a.op else {
            unreachable!()
        };
        store.enqueue(a_event).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let claimed = tx
            .claim(&crate::queue::ClaimRequest {
                owner: "o",
                limit: 1,
                now: a_event.received_at,
                lease: std::time::Duration::from_secs(60),
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.len(), 1);

        let (b, b_answer) = pending("b");
        let mut batch = vec![b];
        let mut answers = vec![b_answer];
        for owner in ["someone else", "o", "o"] {
            let (answer, answered) = oneshot::channel();
            batch.push(Pending {
                op: Op::Complete {
                    id: "a".into(),
                    owner: owner.into(),
                },
                answer,
            });
            answers.push(answered);
        }
        commit_batch(&store, &mut batch).await;
        let answers: Vec<bool> = answers
            .into_iter()
            .map(|mut a| a.try_recv().unwrap().unwrap())
            .collect();
        // b queued; a not held by the other owner, completed by its own, then gone.
        assert_eq!(answers, [true, false, true, false]);
        assert!(store.queued_event("a").await.unwrap().is_none());
        assert!(store.queued_event("b").await.unwrap().is_some());
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
