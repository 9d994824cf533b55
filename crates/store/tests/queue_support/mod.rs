//! Helpers shared by the queue tests: a store in a temporary directory, events and times.

#![allow(dead_code)] // each test file uses its own part
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use stratus_store::queue::{ClaimRequest, NewEvent, QueuedEvent};
use stratus_store::{SqliteStore, Store};

/// A fixed origin for test clocks.
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_767_225_600_000).unwrap()
}

/// `t0` plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

/// An event for `function` received at `received`.
pub fn event(id: &str, function: &str, received: DateTime<Utc>) -> NewEvent {
    NewEvent {
        id: id.into(),
        function: function.into(),
        qualifier: "$LATEST".into(),
        payload: format!("{{\"id\":\"{id}\"}}").into_bytes(),
        received_at: received,
    }
}

/// A fresh store in a temporary directory (kept alive by the returned guard).
pub async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("q.db")).await.unwrap();
    (dir, store)
}

/// Enqueues all of `events` in one transaction.
pub async fn enqueue_all(store: &SqliteStore, events: &[NewEvent]) {
    let mut tx = store.begin().await.unwrap();
    for e in events {
        tx.enqueue(e).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Claims up to `limit` events for `owner` at `now` with a 60 s lease, and commits.
pub async fn claim(
    store: &SqliteStore,
    owner: &str,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<QueuedEvent> {
    let mut tx = store.begin().await.unwrap();
    let events = tx
        .claim(&ClaimRequest {
            owner,
            limit,
            now,
            lease: Duration::from_secs(60),
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    events
}

/// The ids of `events`, in order.
pub fn ids(events: &[QueuedEvent]) -> Vec<&str> {
    events.iter().map(|e| e.id.as_str()).collect()
}
