//! The store's tests: persistence, retention, bounded open files and memory, concurrency.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::*;
use crate::api::{DescribeLogStreams, FilterLogEvents, GetLogEvents, StreamOrder};
use crate::persist::MAX_OPEN_FILES;

/// Every message of a stream, oldest first, through GetLogEvents.
fn messages(s: &LogStore, group: &str, stream: &str) -> Vec<String> {
    let r = s
        .get_events(&GetLogEvents {
            group: group.into(),
            stream: stream.into(),
            start_time: None,
            end_time: None,
            start_from_head: true,
            limit: 10_000,
            next_token: None,
        })
        .unwrap();
    r.events.into_iter().map(|e| e.message).collect()
}

fn filtered(s: &LogStore, group: &str) -> Vec<(String, String)> {
    let r = s
        .filter_events(&FilterLogEvents {
            group: group.into(),
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    r.events
        .into_iter()
        .map(|e| (e.log_stream_name, e.message))
        .collect()
}

fn small(cap: usize) -> LogSettings {
    LogSettings {
        default_retention_days: None,
        memory_cap_bytes: cap,
    }
}

#[test]
fn events_survive_reopen_and_retention_applies() {
    let dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    let (g, st) = ("/aws/lambda/f", "2026/11/22/[$LATEST]ab");
    {
        let s = LogStore::open(dir.path(), None).unwrap();
        s.append(
            g,
            st,
            &[(now - 3 * 86_400_000, "old".into()), (now, "hello".into())],
        );
    }
    let s = LogStore::open(dir.path(), None).unwrap();
    assert_eq!(s.memory_held_bytes(), 0, "opening reads no events");
    assert_eq!(messages(&s, g, st), ["old", "hello"]);
    drop(s);
    let s = LogStore::open(dir.path(), Some(1)).unwrap();
    assert_eq!(messages(&s, g, st), ["hello"]);
    assert!(s.set_retention(g, None));
    assert_eq!(messages(&s, g, st), ["hello"], "expired events stay gone");
}

#[test]
fn names_round_trip_through_hex() {
    assert_eq!(
        unhex_name(&hex_name("/aws/lambda/x[$LATEST]")).unwrap(),
        "/aws/lambda/x[$LATEST]"
    );
}

/// Open descriptors of this process on files under `dir`.
fn open_files_under(dir: &Path) -> usize {
    let dir = dir.canonicalize().unwrap();
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|fd| fs::read_link(fd.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .count()
}

#[test]
fn persister_keeps_a_bounded_number_of_files_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = LogStore::open(dir.path(), None).unwrap();
    let streams = MAX_OPEN_FILES * 2 + 10;
    for i in 0..streams {
        s.append("g", &format!("s{i}"), &[(1, format!("line {i}"))]);
    }
    s.flush();
    let open = open_files_under(dir.path());
    assert!(open <= MAX_OPEN_FILES, "{open} files open");
    // Closed files are reopened for appending: nothing is lost or overwritten.
    s.append("g", "s0", &[(2, "again".into())]);
    s.flush();
    drop(s);
    let s = LogStore::open(dir.path(), None).unwrap();
    assert_eq!(messages(&s, "g", "s0"), ["line 0", "again"]);
    assert_eq!(messages(&s, "g", &format!("s{}", streams - 1)).len(), 1);
}

#[test]
fn memory_stays_under_the_cap_and_queries_stay_complete() {
    let dir = tempfile::tempdir().unwrap();
    let cap = 32 * 1024;
    let (streams, per_stream) = (30, 40);
    let line = |s: usize, n: usize| format!("stream {s} line {n} {}", "x".repeat(80));
    let check = |store: &LogStore| {
        for s in 0..streams {
            let want: Vec<String> = (0..per_stream).map(|n| line(s, n)).collect();
            assert_eq!(messages(store, "g", &format!("s{s:02}")), want);
            assert!(store.memory_held_bytes() <= cap);
        }
        let all = filtered(store, "g");
        assert_eq!(all.len(), streams * per_stream);
        assert!(store.memory_held_bytes() <= cap);
    };
    {
        let store = LogStore::open_with(dir.path(), small(cap)).unwrap();
        for n in 0..per_stream {
            for s in 0..streams {
                store.append("g", &format!("s{s:02}"), &[(n as i64, line(s, n))]);
                assert!(store.memory_held_bytes() <= cap);
            }
        }
        check(&store);
    }
    let store = LogStore::open_with(dir.path(), small(cap)).unwrap();
    assert_eq!(store.memory_held_bytes(), 0);
    check(&store);
    // Streams from disk take appends after their earlier lines, evicted or not.
    for s in 0..streams {
        store.append("g", &format!("s{s:02}"), &[(99, "late".into())]);
    }
    for s in 0..streams {
        let got = messages(&store, "g", &format!("s{s:02}"));
        assert_eq!(got.len(), per_stream + 1);
        assert_eq!(got.last().unwrap(), "late");
    }
}

#[test]
fn a_cap_too_small_for_any_stream_still_answers_everything_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open_with(dir.path(), small(1)).unwrap();
    for n in 0..50 {
        store.append("g", "a", &[(n, format!("a{n}"))]);
        store.append("g", "b", &[(n, format!("b{n}"))]);
    }
    assert_eq!(store.memory_held_bytes(), 0);
    let want: Vec<String> = (0..50).map(|n| format!("a{n}")).collect();
    assert_eq!(messages(&store, "g", "a"), want);
    assert_eq!(filtered(&store, "g").len(), 100);
    let d = store
        .describe_streams(
            "r",
            "1",
            &DescribeLogStreams {
                group: "g".into(),
                prefix: None,
                order: StreamOrder::LastEventTime,
                descending: false,
                limit: 10,
                next_token: None,
            },
        )
        .unwrap();
    assert_eq!(d.log_streams.len(), 2);
    assert_eq!(d.log_streams[0].first_event_timestamp, Some(0));
    assert_eq!(d.log_streams[0].last_event_timestamp, Some(49));
}

#[test]
fn concurrent_appends_and_queries_lose_and_reorder_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Small enough that streams are evicted and read back while appends go on.
    let store = Arc::new(LogStore::open_with(dir.path(), small(64 * 1024)).unwrap());
    let (writers, streams_each, appends) = (6, 8, 60);
    let done = Arc::new(AtomicBool::new(false));
    let queries: Vec<_> = (0..2)
        .map(|q| {
            let (store, done) = (Arc::clone(&store), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut rounds = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) || rounds == 0 {
                    rounds += 1;
                    let group = format!("g{}", q % 2);
                    if store.group(&group).is_none() {
                        continue;
                    }
                    // Within a stream, events come back in append order.
                    let mut last: std::collections::HashMap<String, i64> = Default::default();
                    for (stream, msg) in filtered(&store, &group) {
                        let n: i64 = msg.rsplit(' ').next().unwrap().parse().unwrap();
                        let prev = last.insert(stream.clone(), n);
                        assert!(prev.is_none_or(|p| p < n), "{stream}: {prev:?} then {n}");
                    }
                }
            })
        })
        .collect();
    let writers: Vec<_> = (0..writers)
        .map(|w| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for n in 0..appends {
                    for s in 0..streams_each {
                        let lines: Vec<(i64, String)> = (0..2)
                            .map(|k| (n, format!("w{w} s{s} {}", n * 2 + k)))
                            .collect();
                        store.append(&format!("g{}", w % 2), &format!("w{w}-s{s}"), &lines);
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for q in queries {
        q.join().unwrap();
    }
    assert!(store.memory_held_bytes() <= 64 * 1024);
    for w in 0..6 {
        for s in 0..streams_each {
            let want: Vec<String> = (0..appends * 2).map(|n| format!("w{w} s{s} {n}")).collect();
            assert_eq!(
                messages(&store, &format!("g{}", w % 2), &format!("w{w}-s{s}")),
                want
            );
        }
    }
}
