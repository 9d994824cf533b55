//! The dead-letter API's rules over a real SQLite file, seeded through the store's queue.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use stratus_model::ErrorKind;
use stratus_store::queue::{ClaimRequest, Failure, NewEvent};
use stratus_store::Store;
use support::Harness;

/// Enqueues, claims and dead-letters one event of `function`.
async fn seed(store: &dyn Store, function: &str, id: &str, payload: &[u8]) {
    let mut tx = store.begin().await.unwrap();
    tx.enqueue(&NewEvent {
        id: id.into(),
        function: function.into(),
        qualifier: "$LATEST".into(),
        payload: payload.to_vec(),
        received_at: Utc::now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let claimed = tx
        .claim(&ClaimRequest {
            owner: "test",
            limit: 100,
            now: Utc::now(),
            lease: Duration::from_secs(60),
        })
        .await
        .unwrap();
    assert!(claimed.iter().any(|e| e.id == id));
    for e in claimed {
        let failure = Failure {
            condition: "RetriesExhausted".into(),
            error_type: Some("ValueError".into()),
            error_message: Some(format!("boom {}", e.id)),
        };
        assert!(tx
            .dead_letter(&e.id, "test", &failure, Utc::now())
            .await
            .unwrap());
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn dead_letters_are_listed_in_pages_and_shown_with_their_event() {
    let h = Harness::new().await;
    h.create("f", "x").await;
    h.create("g", "x").await;
    for i in 0..3 {
        seed(
            &*h.store,
            "f",
            &format!("id-{i}"),
            format!("{{\"n\":{i}}}").as_bytes(),
        )
        .await;
    }
    seed(&*h.store, "g", "other", b"{}").await;

    let page = h
        .control
        .list_dead_letters("f", None, Some(2))
        .await
        .unwrap();
    let ids: Vec<&str> = page
        .dead_letters
        .iter()
        .map(|d| d.request_id.as_str())
        .collect();
    assert_eq!(ids, ["id-0", "id-1"]);
    let first = &page.dead_letters[0];
    assert_eq!(first.function_name, "f");
    assert_eq!(first.condition, "RetriesExhausted");
    assert_eq!(first.error_type.as_deref(), Some("ValueError"));
    assert_eq!(first.error_message.as_deref(), Some("boom id-0"));
    assert_eq!(first.payload_size, 7);
    let rest = h
        .control
        .list_dead_letters("f", page.next_marker, Some(2))
        .await
        .unwrap();
    assert_eq!(rest.dead_letters.len(), 1);
    assert_eq!(rest.dead_letters[0].request_id, "id-2");
    assert!(rest.next_marker.is_none());

    let shown = h.control.get_dead_letter("f", "id-1").await.unwrap();
    assert_eq!(shown.payload, r#"{"n":1}"#);
    assert_eq!(shown.summary.qualifier, "$LATEST");
}

#[tokio::test]
async fn unknown_functions_and_ids_are_not_found() {
    let h = Harness::new().await;
    h.create("f", "x").await;
    h.create("g", "x").await;
    seed(&*h.store, "g", "of-g", b"{}").await;
    let e = h
        .control
        .list_dead_letters("nope", None, None)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceNotFound);
    assert!(e.message.starts_with("Function not found"), "{}", e.message);
    for e in [
        h.control.get_dead_letter("f", "missing").await.unwrap_err(),
        // Another function's dead letter is not reachable through f.
        h.control.get_dead_letter("f", "of-g").await.unwrap_err(),
        h.control
            .redrive_dead_letter("f", "of-g")
            .await
            .unwrap_err(),
        h.control
            .delete_dead_letter("f", "missing")
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        assert!(
            e.message.starts_with("Dead letter not found"),
            "{}",
            e.message
        );
    }
    assert!(h.store.dead_letter("of-g").await.unwrap().is_some());
    let e = h
        .control
        .list_dead_letters("f", Some("not-a-number".into()), None)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidParameterValue);
}

#[tokio::test]
async fn redrive_puts_events_back_in_the_queue_and_wakes_the_dispatcher() {
    let h = Harness::new().await;
    h.create("f", "x").await;
    for id in ["a", "b", "c"] {
        seed(&*h.store, "f", id, b"{\"k\":1}").await;
    }
    let woken = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = woken.clone();
    h.control
        .on_redrive(Arc::new(move |f: &str| seen.lock().unwrap().push(f.into())));

    let one = h.control.redrive_dead_letter("f", "b").await.unwrap();
    assert_eq!(one.redriven, 1);
    let queued = h.store.queued_event("b").await.unwrap().unwrap();
    assert_eq!(
        (queued.attempts, queued.payload.as_slice()),
        (0, &b"{\"k\":1}"[..])
    );
    assert!(h.store.dead_letter("b").await.unwrap().is_none());
    assert_eq!(*woken.lock().unwrap(), ["f"]);

    let all = h.control.redrive_dead_letters("f").await.unwrap();
    assert_eq!(all.redriven, 2);
    assert_eq!(h.store.queue_depth("f").await.unwrap(), 3);
    assert!(h
        .control
        .list_dead_letters("f", None, None)
        .await
        .unwrap()
        .dead_letters
        .is_empty());
    assert_eq!(woken.lock().unwrap().len(), 2);

    // Nothing left: redriving all answers 0 and wakes no one.
    assert_eq!(
        h.control.redrive_dead_letters("f").await.unwrap().redriven,
        0
    );
    assert_eq!(woken.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_redrive_survives_reopening_the_database() {
    let h = Harness::new().await;
    h.create("f", "x").await;
    seed(&*h.store, "f", "durable", b"{}").await;
    h.control.redrive_dead_letter("f", "durable").await.unwrap();
    let reopened = h.reopen().await;
    assert!(reopened.queued_event("durable").await.unwrap().is_some());
    assert!(reopened.dead_letter("durable").await.unwrap().is_none());
}

#[tokio::test]
async fn delete_discards_one_dead_letter() {
    let h = Harness::new().await;
    h.create("f", "x").await;
    seed(&*h.store, "f", "gone", b"{}").await;
    seed(&*h.store, "f", "kept", b"{}").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    h.control.on_redrive(Arc::new(move |_: &str| {
        c.fetch_add(1, Ordering::SeqCst);
    }));
    h.control.delete_dead_letter("f", "gone").await.unwrap();
    assert!(h.store.dead_letter("gone").await.unwrap().is_none());
    assert!(h.store.queued_event("gone").await.unwrap().is_none());
    assert!(h.store.dead_letter("kept").await.unwrap().is_some());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}
