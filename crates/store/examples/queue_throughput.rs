//! Durable enqueue throughput: group commit at concurrency 64, beside its floors.
//!
//! Run with `cargo run -p stratus-store --release --example queue_throughput [events]`.
//! Every figure writes 256-byte events into a fresh database in the current directory's
//! temporary space with the store's durability (WAL, `synchronous=FULL`):
//! - fsync: `fdatasync` of a small file, alone — what one durable commit costs at least;
//! - bare, one commit per event: INSERT + COMMIT in a loop on one connection;
//! - bare, batched: 256 events per COMMIT (multi-row INSERTs of 128, as the store writes
//!   a batch), in a loop: no channel, no tasks, no waiting callers;
//! - store, one commit per event: [`Store::enqueue`] in a loop;
//! - group commit: [`GroupCommit`], with random (v4) and time-ordered (v7) request ids, with 64 concurrent callers, each waiting for its ack
//!   before sending its next event (so a batch holds at most 64).

#![allow(clippy::unwrap_used)] // a measurement tool: a panic is the report

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::Connection;
use stratus_store::queue::{GroupCommit, NewEvent};
use stratus_store::{SqliteStore, Store};

const CONCURRENCY: usize = 64;
const PAYLOAD: usize = 256;
const BARE_BATCH: usize = 256;

/// Request ids: random (uuid v4, Lambda's look) or time-ordered (uuid v7). Random ids land
/// on a different page of the id index each, so a commit writes more pages.
#[derive(Clone, Copy, PartialEq)]
enum Ids {
    V4,
    V7,
}

fn event_with(i: usize, ids: Ids) -> NewEvent {
    NewEvent {
        id: match ids {
            Ids::V4 => uuid::Uuid::new_v4(),
            Ids::V7 => uuid::Uuid::now_v7(),
        }
        .to_string(),
        function: format!("f{}", i % 8),
        qualifier: "$LATEST".into(),
        payload: vec![b'x'; PAYLOAD],
        received_at: Utc::now(),
    }
}

fn event(i: usize) -> NewEvent {
    event_with(i, Ids::V4)
}

fn report(what: &str, events: usize, took: Duration) {
    println!(
        "{what:<40} {events:>8} events {:>9.1} ms {:>10.0} /s",
        took.as_secs_f64() * 1e3,
        events as f64 / took.as_secs_f64()
    );
}

fn fsync_floor(dir: &std::path::Path, n: usize) {
    let mut f = std::fs::File::create(dir.join("fsync.bin")).unwrap();
    let started = Instant::now();
    for _ in 0..n {
        f.write_all(&[0u8; PAYLOAD]).unwrap();
        f.sync_data().unwrap();
    }
    report("fsync (write + fdatasync)", n, started.elapsed());
}

async fn bare(dir: &std::path::Path, n: usize, batch: usize, label: &str) {
    // A store opened once creates the schema; the loop then uses its own connection.
    let path = dir.join(format!("bare-{batch}.db"));
    SqliteStore::open(&path).await.unwrap().close().await;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
    let mut c = sqlx::SqliteConnection::connect_with(&options)
        .await
        .unwrap();
    let events: Vec<_> = (0..n).map(event).collect();
    let started = Instant::now();
    for chunk in events.chunks(batch) {
        let mut tx = c.begin().await.unwrap();
        // One multi-row INSERT per 128 events, as the store writes a batch.
        for rows in chunk.chunks(128) {
            let mut sql = String::from(
                "INSERT INTO queue_events
                     (id, function_name, qualifier, payload, received_at_ms, not_before_ms) VALUES ",
            );
            let values = vec!["(?,?,?,?,?,?)"; rows.len()].join(",");
            sql.push_str(&values);
            let mut query = sqlx::query(&sql);
            for e in rows {
                query = query
                    .bind(&e.id)
                    .bind(&e.function)
                    .bind(&e.qualifier)
                    .bind(&e.payload[..])
                    .bind(e.received_at.timestamp_millis())
                    .bind(e.received_at.timestamp_millis());
            }
            query.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    report(label, n, started.elapsed());
}

async fn store_loop(dir: &std::path::Path, n: usize) {
    let store = SqliteStore::open(&dir.join("store.db")).await.unwrap();
    let events: Vec<_> = (0..n).map(event).collect();
    let started = Instant::now();
    for e in &events {
        store.enqueue(e).await.unwrap();
    }
    report("store, one commit per event", n, started.elapsed());
    store.close().await;
}

async fn group(dir: &std::path::Path, n: usize, ids: Ids) {
    let name = if ids == Ids::V4 {
        "group-v4.db"
    } else {
        "group-v7.db"
    };
    let store = Arc::new(SqliteStore::open(&dir.join(name)).await.unwrap());
    let (queue, committer) = GroupCommit::start(store.clone(), 1024).unwrap();
    let per_task = n / CONCURRENCY;
    let events: Vec<Vec<NewEvent>> = (0..CONCURRENCY)
        .map(|t| {
            (0..per_task)
                .map(|i| event_with(t * per_task + i, ids))
                .collect()
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = events
        .into_iter()
        .map(|mine| {
            let queue = queue.clone();
            tokio::spawn(async move {
                for e in mine {
                    queue.enqueue(e).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    report(
        &format!(
            "group commit, concurrency {CONCURRENCY}, {} ids",
            if ids == Ids::V4 { "v4" } else { "v7" }
        ),
        per_task * CONCURRENCY,
        started.elapsed(),
    );
    drop(queue);
    tokio::task::spawn_blocking(move || committer.join())
        .await
        .unwrap();
    store.close().await;
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let slow = (n / 50).clamp(500, 5_000);
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    println!(
        "durable enqueues, WAL + synchronous=FULL, {PAYLOAD}-byte payloads, in {}",
        dir.path().display()
    );
    fsync_floor(dir.path(), slow);
    bare(dir.path(), slow, 1, "bare SQLite, one commit per event").await;
    store_loop(dir.path(), slow).await;
    bare(
        dir.path(),
        n,
        BARE_BATCH,
        "bare SQLite, 256 events per commit",
    )
    .await;
    group(dir.path(), n, Ids::V4).await;
    group(dir.path(), n, Ids::V7).await;
}
