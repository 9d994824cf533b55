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
    assert_eq!(first.next_token.as_deref(), Some("2"));
    let second = page(first.next_token.clone());
    assert_eq!(second.events[0].message, "m2");
    assert!(first.events[1].event_id < second.events[0].event_id);
    assert_eq!(first.events[0].event_id.len(), 36);
    assert_eq!(page(Some("4".into())).next_token, None);
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
