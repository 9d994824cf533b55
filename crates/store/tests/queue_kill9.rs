//! Durability under `kill -9`: every event whose group-committed enqueue was acknowledged
//! is in the database after the process enqueueing it was killed mid-stream.
//!
//! The test binary runs itself again as the child (selected by [`CHILD_DB`]): the child
//! enqueues from many tasks through [`GroupCommit`] and prints `ACK <id>` after each
//! acknowledgement; the parent reads those lines, SIGKILLs the child while enqueues are in
//! flight, reads what was printed before it died, reopens the database and looks for
//! every acknowledged id.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use chrono::Utc;
use stratus_store::queue::{GroupCommit, NewEvent, QueueRead};
use stratus_store::SqliteStore;

/// Set in the child: the database it enqueues into.
const CHILD_DB: &str = "STRATUS_STORE_KILL9_CHILD_DB";
/// Acknowledgements the parent waits for before it kills the child.
const ACKS_BEFORE_KILL: usize = 3000;

/// The child's work; a no-op when the test suite runs normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill9_child_enqueues_until_killed() {
    let Some(db) = std::env::var_os(CHILD_DB) else {
        return;
    };
    let store = Arc::new(SqliteStore::open(Path::new(&db)).await.unwrap());
    let (queue, _committer) = GroupCommit::start(store, 512).unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|t| {
            let queue = queue.clone();
            tokio::spawn(async move {
                loop {
                    let id = uuid::Uuid::new_v4().to_string();
                    let event = NewEvent {
                        id: id.clone(),
                        function: format!("f{}", t % 3),
                        qualifier: "$LATEST".into(),
                        payload: vec![b'x'; 256],
                        received_at: Utc::now(),
                    };
                    queue.enqueue(event).await.unwrap();
                    println!("ACK {id}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[test]
fn every_acknowledged_enqueue_survives_kill_9() {
    if std::env::var_os(CHILD_DB).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill9_child_enqueues_until_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });

    let mut acked = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.len() < ACKS_BEFORE_KILL {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = received
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("child gave {} acks, then {e}", acked.len()));
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Lines printed before the kill: acknowledged too.
    for line in received.iter() {
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
        }
    }
    reader.join().unwrap();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&db).await.unwrap();
        let mut missing = Vec::new();
        for id in &acked {
            if store.queued_event(id).await.unwrap().is_none() {
                missing.push(id);
            }
        }
        assert!(
            missing.is_empty(),
            "{} of {} acknowledged events lost, e.g. {:?}",
            missing.len(),
            acked.len(),
            &missing[..missing.len().min(5)]
        );
        let depth: u64 = {
            let mut total = 0;
            for f in ["f0", "f1", "f2"] {
                total += store.queue_depth(f).await.unwrap();
            }
            total
        };
        assert!(depth >= acked.len() as u64);
        eprintln!(
            "kill -9: {} acknowledged, all present; {} stored",
            acked.len(),
            depth
        );
    });
}
