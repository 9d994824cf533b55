//! Group commit: every concurrent caller is answered after the commit holding its event,
//! a refused event does not fail its batch, and a failed transaction answers everyone.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod queue_support;

use std::sync::Arc;

use queue_support::{event, open, t0};
use stratus_store::queue::{GroupCommit, GroupCommitError, QueueRead};
use stratus_store::{Store, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_callers_are_all_answered_and_all_stored() {
    let (_dir, store) = open().await;
    let store = Arc::new(store);
    let (queue, committer) = GroupCommit::start(store.clone(), 256).unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let queue = queue.clone();
            tokio::spawn(async move {
                for i in 0..40 {
                    let id = format!("t{t}-{i}");
                    queue
                        .enqueue(event(&id, &format!("f{}", t % 4), t0()))
                        .await?;
                }
                Ok::<_, GroupCommitError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    for f in 0..4 {
        assert_eq!(store.queue_depth(&format!("f{f}")).await.unwrap(), 16 * 40);
    }
    assert!(store.queued_event("t63-39").await.unwrap().is_some());
    drop(queue);
    tokio::task::spawn_blocking(move || committer.join())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_event_fails_alone_and_its_batch_is_stored() {
    let (_dir, store) = open().await;
    store.enqueue(&event("taken", "f", t0())).await.unwrap();
    let store = Arc::new(store);
    let (queue, _committer) = GroupCommit::start(store.clone(), 64).unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let queue = queue.clone();
            let id = if i == 16 {
                "taken".into()
            } else {
                format!("e{i}")
            };
            tokio::spawn(async move { (id.clone(), queue.enqueue(event(&id, "g", t0())).await) })
        })
        .collect();
    for task in tasks {
        let (id, answer) = task.await.unwrap();
        if id == "taken" {
            match answer {
                Err(GroupCommitError::Store(e)) => {
                    assert!(matches!(*e, StoreError::Conflict(_)), "{e}")
                }
                other => panic!("duplicate id answered {other:?}"),
            }
        } else {
            answer.unwrap();
            assert!(store.queued_event(&id).await.unwrap().is_some(), "{id}");
        }
    }
    assert_eq!(store.queue_depth("g").await.unwrap(), 31);
    assert_eq!(store.queue_depth("f").await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_transaction_answers_every_caller_with_the_error() {
    let (dir, store) = open().await;
    let store = Arc::new(store);
    let (queue, _committer) = GroupCommit::start(store.clone(), 64).unwrap();
    store.close().await; // every begin now fails
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let queue = queue.clone();
            tokio::spawn(async move { queue.enqueue(event(&format!("e{i}"), "f", t0())).await })
        })
        .collect();
    for task in tasks {
        assert!(matches!(
            task.await.unwrap(),
            Err(GroupCommitError::Store(_))
        ));
    }
    let reopened = stratus_store::SqliteStore::open(&dir.path().join("q.db"))
        .await
        .unwrap();
    assert_eq!(reopened.queue_depth("f").await.unwrap(), 0);
}
