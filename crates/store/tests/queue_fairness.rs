//! Claims are fair across functions: a huge backlog of one function does not delay
//! another function's event, and successive claims rotate over the functions.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod queue_support;

use std::collections::BTreeMap;

use queue_support::{at, claim, enqueue_all, event, ids, open, t0};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use stratus_store::Store;

/// Large enough that a claim scanning the backlog would show; a claim only seeks the
/// index (a million events took 4 ms to claim from in a debug build, 5 s to set up).
const BACKLOG: i64 = 250_000;

#[tokio::test]
async fn a_huge_backlog_does_not_delay_another_functions_event() {
    let (dir, store) = open().await;
    // Test set-up only: the backlog is written straight into the table in one statement,
    // all received before the other function's event.
    let mut raw = SqliteConnection::connect_with(
        &SqliteConnectOptions::new().filename(dir.path().join("q.db")),
    )
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO queue_events
             (id, function_name, qualifier, payload, received_at_ms, not_before_ms)
         SELECT 'big-' || i, 'big', '$LATEST', x'7b7d', ? + i, ? + i FROM n",
    )
    .bind(BACKLOG)
    .bind(t0().timestamp_millis())
    .bind(t0().timestamp_millis())
    .execute(&mut raw)
    .await
    .unwrap();
    raw.close().await.unwrap();
    let late = at(BACKLOG / 1000 + 1);
    store
        .enqueue(&event("small-1", "small", late))
        .await
        .unwrap();

    let first = claim(&store, "d", 8, late).await;
    assert_eq!(first.len(), 8);
    assert!(
        ids(&first).contains(&"small-1"),
        "the other function's event is in the first batch: {:?}",
        ids(&first)
    );
    let big: Vec<_> = first.iter().filter(|e| e.function == "big").collect();
    assert_eq!(big[0].id, "big-1", "the backlog goes oldest first");
}

#[tokio::test]
async fn successive_claims_rotate_over_more_functions_than_the_limit() {
    let (_dir, store) = open().await;
    let functions = ["a", "b", "c", "d", "e"];
    let events: Vec<_> = functions
        .iter()
        .flat_map(|f| (0..3).map(move |i| event(&format!("{f}{i}"), f, at(i))))
        .collect();
    enqueue_all(&store, &events).await;

    let mut served: BTreeMap<String, usize> = BTreeMap::new();
    for round in 0..5 {
        let batch = claim(&store, "d", 2, at(10)).await;
        assert_eq!(batch.len(), 2);
        assert_ne!(batch[0].function, batch[1].function, "one per function");
        for e in batch {
            *served.entry(e.function).or_default() += 1;
        }
        // The second claim carries on after the first one's functions.
        if round == 1 {
            assert_eq!(served.len(), 4);
        }
    }
    assert_eq!(
        served.values().copied().collect::<Vec<_>>(),
        [2, 2, 2, 2, 2],
        "ten events over five functions: two each"
    );
}

#[tokio::test]
async fn fewer_functions_than_the_limit_share_it_evenly() {
    let (_dir, store) = open().await;
    let events: Vec<_> = (0..20)
        .map(|i| event(&format!("x{i}"), "x", at(i)))
        .chain((0..20).map(|i| event(&format!("y{i}"), "y", at(100 + i))))
        .chain([event("z0", "z", at(200))])
        .collect();
    enqueue_all(&store, &events).await;

    let batch = claim(&store, "d", 9, at(300)).await;
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &batch {
        *per.entry(e.function.as_str()).or_default() += 1;
    }
    assert_eq!(batch.len(), 9);
    assert_eq!(per["z"], 1);
    assert_eq!(per["x"] + per["y"], 8);
    assert!(per["x"].abs_diff(per["y"]) <= 1, "{per:?}");
}
