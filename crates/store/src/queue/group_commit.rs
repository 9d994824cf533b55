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
//! The dispatcher's writes (its claims, and complete, release and dead-letter on leased
//! events) go the same way, so that running events does not cost a durable commit each and
//! does not queue small transactions in front of the enqueues on the store's one write
//! connection. They are applied in the batch's transaction after its enqueues (so a claim
//! sees the events committed with it), each answered with what its
//! [`QueueWrite`](crate::QueueWrite) method answered.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use chrono::{DateTime, Utc};

use super::{ClaimRequest, Failure, NewEvent, QueuedEvent, Release};
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

/// A handle to the committer; clone it freely.
#[derive(Debug, Clone)]
pub struct GroupCommit {
    sender: mpsc::Sender<Pending>,
}

/// The committer's thread.
#[derive(Debug)]
pub struct Committer(std::thread::JoinHandle<()>);

impl Committer {
    /// Waits (blocking) until the committer has answered everything sent and every
    /// [`GroupCommit`] handle is gone.
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("the queue committer panicked");
        }
    }
}

/// One write a batch carries.
#[derive(Debug)]
enum Op {
    Enqueue(NewEvent),
    Claim {
        owner: String,
        limit: usize,
        now: DateTime<Utc>,
        lease: std::time::Duration,
    },
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

/// What an operation did: for an enqueue, `Held(true)`; for a claim, the leased events;
/// for the others, whether the owner still held the event.
#[derive(Debug)]
enum Done {
    Held(bool),
    Claimed(Vec<QueuedEvent>),
}

/// An operation and its caller's answer.
#[derive(Debug)]
struct Pending {
    op: Op,
    answer: oneshot::Sender<Result<Done, GroupCommitError>>,
}

impl Done {
    fn held(self) -> bool {
        matches!(self, Done::Held(true))
    }
}

impl GroupCommit {
    /// Starts the committer on a thread of its own; each transaction holds at most
    /// `max_batch` events (at least 1). The thread ends once every handle is dropped and
    /// the operations already sent are answered.
    ///
    /// The committer is a chain of short steps, each waiting on the store (begin, write,
    /// commit): on a runtime shared with the request handlers every step would wait again
    /// behind the handlers' tasks, and batches would take several times their own cost.
    pub fn start(store: Arc<dyn Store>, max_batch: usize) -> std::io::Result<(Self, Committer)> {
        let max_batch = max_batch.max(1);
        let (sender, receiver) = mpsc::channel(max_batch.saturating_mul(2));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("stratus-queue-commit".into())
            .spawn(move || runtime.block_on(run(store, receiver, max_batch)))?;
        Ok((Self { sender }, Committer(thread)))
    }

    /// Enqueues an event; returns once the transaction holding it has committed.
    pub async fn enqueue(&self, event: NewEvent) -> Result<(), GroupCommitError> {
        self.submit(Op::Enqueue(event)).await.map(drop)
    }

    /// [`QueueWrite::claim`](crate::QueueWrite::claim), committed with a batch: the events
    /// are answered once their leases are on disk.
    pub async fn claim(
        &self,
        request: &ClaimRequest<'_>,
    ) -> Result<Vec<QueuedEvent>, GroupCommitError> {
        let done = self
            .submit(Op::Claim {
                owner: request.owner.to_owned(),
                limit: request.limit,
                now: request.now,
                lease: request.lease,
            })
            .await?;
        Ok(match done {
            Done::Claimed(events) => events,
            Done::Held(_) => Vec::new(),
        })
    }

    /// [`QueueWrite::complete`](crate::QueueWrite::complete), committed with a batch.
    pub async fn complete(&self, id: &str, owner: &str) -> Result<bool, GroupCommitError> {
        self.submit(Op::Complete {
            id: id.to_owned(),
            owner: owner.to_owned(),
        })
        .await
        .map(Done::held)
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
        .map(Done::held)
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
        .map(Done::held)
    }

    async fn submit(&self, op: Op) -> Result<Done, GroupCommitError> {
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
) -> Result<Vec<Result<Done, GroupCommitError>>, StoreError> {
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
                    Ok(Done::Held(true))
                }
            }
            op => Ok(apply(&mut *tx, op).await?),
        };
        answers.push(answer);
    }
    tx.commit().await?;
    Ok(answers)
}

/// One of the dispatcher's operations, inside the batch's transaction.
async fn apply(tx: &mut dyn WriteTx, op: &Op) -> Result<Done, StoreError> {
    let held = match op {
        Op::Enqueue(_) => true,
        Op::Claim {
            owner,
            limit,
            now,
            lease,
        } => {
            let request = ClaimRequest {
                owner,
                limit: *limit,
                now: *now,
                lease: *lease,
            };
            return Ok(Done::Claimed(tx.claim(&request).await?));
        }
        Op::Complete { id, owner } => tx.complete(id, owner).await?,
        Op::Release { id, owner, release } => tx.release(id, owner, release).await?,
        Op::DeadLetter {
            id,
            owner,
            failure,
            at,
        } => tx.dead_letter(id, owner, failure, *at).await?,
    };
    Ok(Done::Held(held))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::DateTime;

    use super::*;
    use crate::{QueueRead, SqliteStore};

    fn pending(id: &str) -> (Pending, oneshot::Receiver<Result<Done, GroupCommitError>>) {
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
        let refused = |r: &Result<Done, GroupCommitError>| matches!(r, Err(GroupCommitError::Store(e)) if matches!(**e, StoreError::Conflict(_)));
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
            .map(|mut a| a.try_recv().unwrap().unwrap().held())
            .collect();
        // b queued; a not held by the other owner, completed by its own, then gone.
        assert_eq!(answers, [true, false, true, false]);
        assert!(store.queued_event("a").await.unwrap().is_none());
        assert!(store.queued_event("b").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_claim_leases_the_events_committed_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("q.db")).await.unwrap();
        let (a, _) = pending("a");
        let (b, _) = pending("b");
        let now = DateTime::from_timestamp_millis(0).unwrap();
        let (answer, mut claimed) = oneshot::channel();
        let claim = Pending {
            op: Op::Claim {
                owner: "o".into(),
                limit: 8,
                now,
                lease: std::time::Duration::from_secs(60),
            },
            answer,
        };
        let mut batch = vec![a, claim, b];
        commit_batch(&store, &mut batch).await;
        let Done::Claimed(events) = claimed.try_recv().unwrap().unwrap() else {
            panic!("a claim is answered with events")
        };
        let mut ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["a", "b"], "the batch's enqueues come first");
        let stored = store.queued_event("a").await.unwrap().unwrap();
        assert_eq!(stored.lease.unwrap().owner, "o");
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
