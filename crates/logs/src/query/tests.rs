//! The queries' tests: filtering, interleaving, paging.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::api::{DescribeLogGroups, GetLogEvents};

fn get(s: &LogStore, head: bool, limit: usize, token: Option<&str>) -> GetLogEventsResponse {
    s.get_events(&GetLogEvents {
        group: "g".into(),
        stream: "a".into(),
        start_time: None,
        end_time: None,
        start_from_head: head,
        limit,
        next_token: token.map(str::to_owned),
    })
    .unwrap()
}

#[test]
fn filter_interleaves_and_matches_terms() {
    let dir = tempfile::tempdir().unwrap();
    let s = LogStore::open(dir.path(), None).unwrap();
    s.append(
        "g",
        "a",
        &[(1, "START x".into()), (3, "hello world".into())],
    );
    s.append("g", "b", &[(2, "hello there".into())]);
    let req = FilterLogEvents {
        group: "g".into(),
        pattern: Some("hello".into()),
        limit: 10,
        ..Default::default()
    };
    let p = s.filter_events(&req).unwrap();
    let msgs: Vec<_> = p.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs, ["hello there", "hello world"]);
    assert_eq!(p.searched_log_streams.len(), 2);
    let req = FilterLogEvents {
        group: "g".into(),
        start_time: Some(3),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(s.filter_events(&req).unwrap().events.len(), 1);
    let missing = FilterLogEvents {
        group: "nope".into(),
        ..req
    };
    assert!(matches!(
        s.filter_events(&missing),
        Err(LogsError::GroupNotFound(g)) if g == "nope"
    ));
    assert_eq!(terms(r#"a "b c" d"#), ["a", "b c", "d"]);
}

#[test]
fn filter_pages_with_stable_event_ids() {
    let dir = tempfile::tempdir().unwrap();
    let s = LogStore::open(dir.path(), None).unwrap();
    let lines: Vec<(i64, String)> = (0..5).map(|i| (i, format!("m{i}"))).collect();
    s.append("g", "a", &lines);
    let page = |token: Option<String>| {
        s.filter_events(&FilterLogEvents {
            group: "g".into(),
            limit: 2,
            next_token: token,
            ..Default::default()
        })
        .unwrap()
    };
    let first = page(None);
    assert_eq!(
        first.next_token.as_deref(),
        Some("1/1/a"),
        "after m1 (time 1, number 1)"
    );
    let second = page(first.next_token.clone());
    assert_eq!(second.events[0].message, "m2");
    assert!(first.events[1].event_id < second.events[0].event_id);
    assert_eq!(first.events[0].event_id.len(), 36);
    let third = page(second.next_token.clone());
    assert_eq!(third.events.len(), 1);
    assert_eq!(third.next_token, None);
}

#[test]
fn get_events_pages_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let s = LogStore::open(dir.path(), None).unwrap();
    let lines: Vec<(i64, String)> = (0..5).map(|i| (i, format!("m{i}"))).collect();
    s.append("g", "a", &lines);
    let p = get(&s, true, 2, None);
    assert_eq!(p.events[1].message, "m1");
    let p = get(&s, true, 2, Some(&p.next_forward_token));
    assert_eq!(p.events[0].message, "m2");
    let back = get(&s, true, 2, Some(&p.next_backward_token));
    assert_eq!(back.events[0].message, "m0");
    let p = get(&s, false, 2, None);
    assert_eq!(p.events[1].message, "m4");
    let end = get(&s, true, 10, Some("f/5"));
    assert!(end.events.is_empty() && end.next_forward_token == "f/5");
}

#[test]
fn describe_groups_pages_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let s = LogStore::open(dir.path(), Some(7)).unwrap();
    for g in ["/a", "/b", "/c"] {
        s.append(g, "s", &[(now_ms(), "x".into())]);
    }
    let req = |token: Option<&str>| DescribeLogGroups {
        prefix: Some("/".into()),
        limit: 2,
        next_token: token.map(str::to_owned),
    };
    let p = s.describe_groups("r", "1", &req(None));
    assert_eq!(p.log_groups.len(), 2);
    assert_eq!(p.next_token.as_deref(), Some("/b"));
    assert_eq!(p.log_groups[0].arn, "arn:aws:logs:r:1:log-group:/a:*");
    assert_eq!(p.log_groups[0].retention_in_days, Some(7));
    let p = s.describe_groups("r", "1", &req(Some("/b")));
    assert_eq!(p.log_groups[0].log_group_name, "/c");
    assert_eq!(p.next_token, None);
}

/// A store with a tiny memory cap holding two large streams (`a`, `b`) of `n` events each
/// of `len` bytes, interleaved in time; none of it stays in memory.
fn large(dir: &std::path::Path, n: i64, len: usize) -> LogStore {
    let s = LogStore::open_with(
        dir,
        crate::LogSettings {
            default_retention_days: None,
            memory_cap_bytes: 64 * 1024,
        },
    )
    .unwrap();
    for i in 0..n {
        let msg = |stream: &str| format!("{stream}{i:08} {}", "p".repeat(len));
        s.append("g", "a", &[(2 * i, msg("a"))]);
        s.append("g", "b", &[(2 * i + 1, msg("b"))]);
    }
    s
}

#[test]
fn pages_of_large_streams_stay_within_a_megabyte_and_miss_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (n, len) = (300, 20 * 1024); // 6 MB a stream
    let s = large(dir.path(), n, len);
    let page_bytes = |msgs: &[&str]| msgs.iter().map(|m| m.len()).sum::<usize>();
    // FilterLogEvents, page by page: every event once, in time order.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let p = s
            .filter_events(&FilterLogEvents {
                group: "g".into(),
                limit: 10_000,
                next_token: token,
                ..Default::default()
            })
            .unwrap();
        let msgs: Vec<&str> = p.events.iter().map(|e| e.message.as_str()).collect();
        assert!(
            page_bytes(&msgs) <= PAGE_BYTES,
            "{} bytes",
            page_bytes(&msgs)
        );
        seen.extend(p.events.iter().map(|e| e.timestamp));
        assert!(s.memory_held_bytes() <= 64 * 1024);
        token = p.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, (0..2 * n).collect::<Vec<_>>());
    // GetLogEvents: the newest page, then backwards to the first event, then forwards.
    let get_a = |head: bool, token: Option<&str>| {
        s.get_events(&GetLogEvents {
            group: "g".into(),
            stream: "a".into(),
            start_time: None,
            end_time: None,
            start_from_head: head,
            limit: 10_000,
            next_token: token.map(str::to_owned),
        })
        .unwrap()
    };
    let mut p = get_a(false, None);
    let mut back: Vec<String> = Vec::new();
    loop {
        let msgs: Vec<&str> = p.events.iter().map(|e| e.message.as_str()).collect();
        assert!(!msgs.is_empty() && page_bytes(&msgs) <= PAGE_BYTES);
        back.splice(0..0, msgs.iter().map(|m| m[..9].to_owned()));
        if p.next_backward_token == "b/0" {
            break;
        }
        p = get_a(false, Some(&p.next_backward_token));
    }
    let want: Vec<String> = (0..n).map(|i| format!("a{i:08}")).collect();
    assert_eq!(back, want);
    let mut p = get_a(true, None);
    let mut forward: Vec<String> = Vec::new();
    while !p.events.is_empty() {
        forward.extend(p.events.iter().map(|e| e.message[..9].to_owned()));
        p = get_a(true, Some(&p.next_forward_token));
    }
    assert_eq!(forward, want);
    assert!(s.memory_held_bytes() <= 64 * 1024);
}

#[test]
fn one_event_larger_than_a_page_still_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = large(dir.path(), 3, PAGE_BYTES + 10);
    let p = s
        .filter_events(&FilterLogEvents {
            group: "g".into(),
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(p.events.len(), 1);
    assert!(p.next_token.is_some());
    let p = get(&s, true, 100, None);
    assert_eq!(p.events.len(), 1);
    assert_eq!(p.next_forward_token, "f/1");
}
