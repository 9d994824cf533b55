//! Every queue operation against a real SQLite file: enqueue, claim and leases, complete,
//! release with back-off, lease expiry, dead letters and redrive, depth and age.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod queue_support;

use queue_support::{at, claim, enqueue_all, event, ids, open, t0};
use stratus_store::queue::{Failure, Lease, QueueRead, Release};
use stratus_store::{SqliteStore, Store, StoreError};

fn failure() -> Failure {
    Failure {
        condition: "RetriesExhausted".into(),
        error_type: Some("Unhandled".into()),
        error_message: Some("boom".into()),
    }
}

#[tokio::test]
async fn committed_enqueues_survive_reopen_and_rolled_back_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store.enqueue(&event("kept", "f", t0())).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.enqueue(&event("dropped", "f", t0())).await.unwrap();
        drop(tx);
        assert!(matches!(
            store.enqueue(&event("kept", "g", t0())).await,
            Err(StoreError::Conflict(_))
        ));
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let kept = store.queued_event("kept").await.unwrap().unwrap();
    assert_eq!(kept.function, "f");
    assert_eq!(kept.qualifier, "$LATEST");
    assert_eq!(kept.payload, br#"{"id":"kept"}"#);
    assert_eq!((kept.received_at, kept.not_before), (t0(), t0()));
    assert_eq!((kept.attempts, kept.lease), (0, None));
    assert!(store.queued_event("dropped").await.unwrap().is_none());
}

#[tokio::test]
async fn a_claim_leases_due_events_once_and_only_the_owner_completes_them() {
    let (_dir, store) = open().await;
    enqueue_all(
        &store,
        &[
            event("a", "f", at(0)),
            event("b", "f", at(1)),
            event("later", "f", at(100)),
        ],
    )
    .await;

    let first = claim(&store, "d1", 10, at(10)).await;
    assert_eq!(ids(&first), ["a", "b"], "oldest first, none not yet due");
    assert_eq!(
        first[0].lease,
        Some(Lease {
            owner: "d1".into(),
            expires_at: at(70)
        })
    );
    assert!(claim(&store, "d2", 10, at(20)).await.is_empty(), "leased");

    let mut tx = store.begin().await.unwrap();
    assert!(!tx.complete("a", "d2").await.unwrap(), "not d2's lease");
    assert!(tx.complete("a", "d1").await.unwrap());
    assert!(!tx.complete("a", "d1").await.unwrap(), "already gone");
    tx.commit().await.unwrap();
    assert!(store.queued_event("a").await.unwrap().is_none());
    assert!(store.queued_event("b").await.unwrap().is_some());
}

#[tokio::test]
async fn an_expired_lease_makes_the_event_runnable_again_for_another_owner() {
    let (_dir, store) = open().await;
    store.enqueue(&event("e", "f", at(0))).await.unwrap();
    assert_eq!(claim(&store, "dead", 1, at(0)).await.len(), 1);

    assert!(claim(&store, "alive", 1, at(59)).await.is_empty());
    let again = claim(&store, "alive", 1, at(60)).await;
    assert_eq!(ids(&again), ["e"]);
    assert_eq!(again[0].lease.as_ref().unwrap().owner, "alive");

    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.complete("e", "dead").await.unwrap(),
        "the old owner lost it"
    );
    assert!(tx.complete("e", "alive").await.unwrap());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn expire_leases_frees_only_leases_that_ended() {
    let (_dir, store) = open().await;
    enqueue_all(
        &store,
        &[event("old", "f", at(0)), event("new", "f", at(0))],
    )
    .await;
    claim(&store, "d", 1, at(0)).await; // old: lease until 60
    claim(&store, "d", 1, at(30)).await; // new: lease until 90

    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.expire_leases(at(60)).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(
        store.queued_event("old").await.unwrap().unwrap().lease,
        None
    );
    assert!(store
        .queued_event("new")
        .await
        .unwrap()
        .unwrap()
        .lease
        .is_some());
}

#[tokio::test]
async fn release_backs_off_and_counts_only_function_errors() {
    let (_dir, store) = open().await;
    store.enqueue(&event("e", "f", at(0))).await.unwrap();

    claim(&store, "d", 1, at(0)).await;
    let mut tx = store.begin().await.unwrap();
    let throttled = Release {
        not_before: at(5),
        count_attempt: false,
    };
    assert!(!tx.release("e", "other", &throttled).await.unwrap());
    assert!(tx.release("e", "d", &throttled).await.unwrap());
    tx.commit().await.unwrap();
    let e = store.queued_event("e").await.unwrap().unwrap();
    assert_eq!((e.attempts, e.not_before, e.lease), (0, at(5), None));
    assert!(claim(&store, "d", 1, at(4)).await.is_empty(), "backing off");

    claim(&store, "d", 1, at(5)).await;
    let mut tx = store.begin().await.unwrap();
    let errored = Release {
        not_before: at(65),
        count_attempt: true,
    };
    assert!(tx.release("e", "d", &errored).await.unwrap());
    tx.commit().await.unwrap();
    let e = store.queued_event("e").await.unwrap().unwrap();
    assert_eq!((e.attempts, e.not_before), (1, at(65)));
    let again = claim(&store, "d", 1, at(65)).await;
    assert_eq!(again[0].attempts, 1);
}

#[tokio::test]
async fn dead_lettering_moves_the_event_whole_and_only_for_its_owner() {
    let (_dir, store) = open().await;
    store.enqueue(&event("e", "f", at(0))).await.unwrap();
    claim(&store, "d", 1, at(0)).await;
    let mut tx = store.begin().await.unwrap();
    tx.release(
        "e",
        "d",
        &Release {
            not_before: at(1),
            count_attempt: true,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    claim(&store, "d", 1, at(1)).await;

    let mut tx = store.begin().await.unwrap();
    assert!(!tx
        .dead_letter("e", "other", &failure(), at(2))
        .await
        .unwrap());
    assert!(tx.dead_letter("e", "d", &failure(), at(2)).await.unwrap());
    tx.commit().await.unwrap();

    assert!(store.queued_event("e").await.unwrap().is_none());
    let dl = store.dead_letter("e").await.unwrap().unwrap();
    assert_eq!(
        (dl.function.as_str(), dl.qualifier.as_str()),
        ("f", "$LATEST")
    );
    assert_eq!(dl.payload, br#"{"id":"e"}"#);
    assert_eq!(
        (dl.received_at, dl.failed_at, dl.attempts),
        (at(0), at(2), 1)
    );
    assert_eq!(dl.failure, failure());
}

#[tokio::test]
async fn dead_letters_list_by_function_in_pages() {
    let (_dir, store) = open().await;
    let events: Vec<_> = (0..5)
        .map(|i| event(&format!("f{i}"), "f", at(i)))
        .chain([event("g0", "g", at(0))])
        .collect();
    enqueue_all(&store, &events).await;
    let claimed = claim(&store, "d", 10, at(10)).await;
    let mut tx = store.begin().await.unwrap();
    for e in &claimed {
        tx.dead_letter(&e.id, "d", &failure(), at(11))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.dead_letters("f", after, 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        after = page.last().map(|d| d.seq);
        seen.extend(page.into_iter().map(|d| d.id));
    }
    seen.sort();
    assert_eq!(seen, ["f0", "f1", "f2", "f3", "f4"]);
    let g = store.dead_letters("g", None, 10).await.unwrap();
    assert_eq!(g.len(), 1);
    assert!(store
        .dead_letters("none", None, 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn redrive_puts_dead_letters_back_with_retries_reset() {
    let (_dir, store) = open().await;
    let events: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|id| event(id, "f", at(0)))
        .chain([event("other", "g", at(0))])
        .collect();
    enqueue_all(&store, &events).await;
    let claimed = claim(&store, "d", 10, at(0)).await;
    let mut tx = store.begin().await.unwrap();
    for e in &claimed {
        tx.release(
            &e.id,
            "d",
            &Release {
                not_before: at(1),
                count_attempt: true,
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let claimed = claim(&store, "d", 10, at(1)).await;
    let mut tx = store.begin().await.unwrap();
    for e in &claimed {
        tx.dead_letter(&e.id, "d", &failure(), at(2)).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert!(tx.redrive("a", at(100)).await.unwrap());
    assert!(!tx.redrive("a", at(100)).await.unwrap(), "no longer dead");
    assert_eq!(tx.redrive_function("f", at(200)).await.unwrap(), 2);
    assert!(tx.discard_dead_letter("other").await.unwrap());
    assert!(!tx.discard_dead_letter("other").await.unwrap());
    tx.commit().await.unwrap();

    let a = store.queued_event("a").await.unwrap().unwrap();
    assert_eq!(
        (a.attempts, a.received_at, a.not_before),
        (0, at(100), at(100))
    );
    assert_eq!(a.payload, br#"{"id":"a"}"#);
    let b = store.queued_event("b").await.unwrap().unwrap();
    assert_eq!((b.attempts, b.received_at, b.lease), (0, at(200), None));
    assert!(store.dead_letters("f", None, 10).await.unwrap().is_empty());
    assert!(store.dead_letter("other").await.unwrap().is_none());
    assert_eq!(ids(&claim(&store, "d", 10, at(200)).await), ["a", "b", "c"]);
}

#[tokio::test]
async fn a_redrive_that_conflicts_rolls_back_whole() {
    let (_dir, store) = open().await;
    enqueue_all(&store, &[event("x", "f", at(0)), event("y", "f", at(0))]).await;
    let claimed = claim(&store, "d", 10, at(0)).await;
    let mut tx = store.begin().await.unwrap();
    for e in &claimed {
        tx.dead_letter(&e.id, "d", &failure(), at(1)).await.unwrap();
    }
    tx.commit().await.unwrap();
    // An event with a dead letter's id is queued again (a client retried with its id).
    store.enqueue(&event("y", "f", at(2))).await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        tx.redrive_function("f", at(3)).await,
        Err(StoreError::Conflict(_))
    ));
    drop(tx);
    assert_eq!(store.dead_letters("f", None, 10).await.unwrap().len(), 2);
    assert!(store.queued_event("x").await.unwrap().is_none());
}

#[tokio::test]
async fn depth_and_oldest_age_per_function() {
    let (_dir, store) = open().await;
    enqueue_all(
        &store,
        &[
            event("f1", "f", at(5)),
            event("f2", "f", at(3)),
            event("g1", "g", at(7)),
        ],
    )
    .await;
    claim(&store, "d", 1, at(10)).await; // leased events still count
    assert_eq!(store.queue_depth("f").await.unwrap(), 2);
    assert_eq!(store.queue_depth("none").await.unwrap(), 0);
    let stats = store.queue_stats().await.unwrap();
    let summary: Vec<_> = stats
        .iter()
        .map(|s| (s.function.as_str(), s.depth, s.oldest_received_at))
        .collect();
    assert_eq!(summary, [("f", 2, at(3)), ("g", 1, at(7))]);
}

#[tokio::test]
async fn a_batch_enqueue_refuses_only_taken_and_repeated_ids_across_statements() {
    let (_dir, store) = open().await;
    store.enqueue(&event("taken", "f", at(0))).await.unwrap();
    let mut events: Vec<_> = (0..300)
        .map(|i| event(&format!("e{i}"), "f", at(i)))
        .collect();
    events[200] = event("e0", "f", at(200)); // repeats the first, in a later INSERT
    events[250] = event("taken", "f", at(250));
    let refs: Vec<_> = events.iter().collect();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.enqueue_batch(&refs).await.unwrap(), [200, 250]);
    tx.commit().await.unwrap();
    assert_eq!(store.queue_depth("f").await.unwrap(), 299);
    let e0 = store.queued_event("e0").await.unwrap().unwrap();
    assert_eq!(
        e0.received_at,
        at(0),
        "the first of the repeated id is kept"
    );
    let e299 = store.queued_event("e299").await.unwrap().unwrap();
    assert_eq!(
        (e299.payload, e299.not_before),
        (br#"{"id":"e299"}"#.to_vec(), at(299))
    );
}
