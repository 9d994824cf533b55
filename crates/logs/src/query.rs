//! The CloudWatch Logs queries the API serves: DescribeLogGroups, DescribeLogStreams,
//! GetLogEvents and FilterLogEvents (what `aws logs tail [--follow]` calls).

use serde_json::{json, Value};

use crate::store::{Event, LogStore};

/// A page of results with its continuation token.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The response body (CloudWatch Logs JSON shape).
    pub body: Value,
}

/// Ordering of DescribeLogStreams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOrder {
    /// By name.
    Name,
    /// By last event time.
    LastEventTime,
}

/// FilterLogEvents parameters.
#[derive(Debug, Clone, Default)]
pub struct FilterRequest {
    /// Only these streams, if given.
    pub stream_names: Option<Vec<String>>,
    /// Only streams with this prefix, if given.
    pub stream_prefix: Option<String>,
    /// Epoch ms, inclusive.
    pub start_time: Option<i64>,
    /// Epoch ms, exclusive.
    pub end_time: Option<i64>,
    /// Space-separated terms that must all occur (quoted phrases kept whole).
    pub pattern: Option<String>,
    /// Most events to return.
    pub limit: usize,
    /// Where the previous page stopped.
    pub next_token: Option<String>,
}

fn terms(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            out.push(r[..end].to_owned());
            rest = r.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(rest[..end].to_owned());
            rest = rest[end..].trim_start();
        }
    }
    out.retain(|t| !t.is_empty());
    out
}

/// Returned when a group or stream does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotFound(pub &'static str);

const NO_GROUP: NotFound = NotFound("The specified log group does not exist.");
const NO_STREAM: NotFound = NotFound("The specified log stream does not exist.");

impl LogStore {
    fn arn(&self, region: &str, account: &str, group: &str) -> String {
        format!("arn:aws:logs:{region}:{account}:log-group:{group}:*")
    }

    /// DescribeLogGroups.
    pub fn describe_groups(
        &self,
        region: &str,
        account: &str,
        prefix: Option<&str>,
        limit: usize,
        token: Option<&str>,
    ) -> Page {
        let groups = self.groups.read().map(|g| {
            g.iter()
                .filter(|(n, _)| prefix.is_none_or(|p| n.starts_with(p)))
                .filter(|(n, _)| token.is_none_or(|t| n.as_str() > t))
                .take(limit + 1)
                .map(|(n, g)| {
                    let stored: usize = g.streams.values().flat_map(|s| s.events.iter()).map(|e| e.message.len()).sum();
                    let mut v = json!({"logGroupName": n, "creationTime": g.creation_time, "arn": self.arn(region, account, n), "storedBytes": stored, "metricFilterCount": 0});
                    if let Some(d) = g.retention_days {
                        v["retentionInDays"] = json!(d);
                    }
                    v
                })
                .collect::<Vec<_>>()
        });
        let mut groups = groups.unwrap_or_default();
        let mut body = json!({});
        if groups.len() > limit {
            groups.truncate(limit);
            body["nextToken"] = groups
                .last()
                .map(|g| g["logGroupName"].clone())
                .unwrap_or_default();
        }
        body["logGroups"] = Value::Array(groups);
        Page { body }
    }

    /// DescribeLogStreams.
    #[allow(clippy::too_many_arguments)]
    pub fn describe_streams(
        &self,
        region: &str,
        account: &str,
        group: &str,
        prefix: Option<&str>,
        order: StreamOrder,
        descending: bool,
        limit: usize,
        token: Option<&str>,
    ) -> Result<Page, NotFound> {
        let groups = self.groups.read().map_err(|_| NO_GROUP)?;
        let g = groups.get(group).ok_or(NO_GROUP)?;
        let mut streams: Vec<Value> = g
            .streams
            .iter()
            .filter(|(n, _)| prefix.is_none_or(|p| n.starts_with(p)))
            .map(|(n, s)| {
                let mut v = json!({"logStreamName": n, "creationTime": s.creation_time,
                    "arn": format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{n}"), "storedBytes": 0});
                if let (Some(first), Some(last)) = (s.events.front(), s.events.back()) {
                    v["firstEventTimestamp"] = json!(first.timestamp);
                    v["lastEventTimestamp"] = json!(last.timestamp);
                    v["lastIngestionTime"] = json!(last.ingestion_time);
                }
                v
            })
            .collect();
        if order == StreamOrder::LastEventTime {
            streams.sort_by_key(|v| v["lastEventTimestamp"].as_i64().unwrap_or(0));
        }
        if descending {
            streams.reverse();
        }
        let skip: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let mut page: Vec<Value> = streams.into_iter().skip(skip).take(limit + 1).collect();
        let mut body = json!({});
        if page.len() > limit {
            page.truncate(limit);
            body["nextToken"] = json!((skip + limit).to_string());
        }
        body["logStreams"] = Value::Array(page);
        Ok(Page { body })
    }

    /// GetLogEvents.
    #[allow(clippy::too_many_arguments)]
    pub fn get_events(
        &self,
        group: &str,
        stream: &str,
        start: Option<i64>,
        end: Option<i64>,
        from_head: bool,
        limit: usize,
        token: Option<&str>,
    ) -> Result<Page, NotFound> {
        let groups = self.groups.read().map_err(|_| NO_GROUP)?;
        let s = groups
            .get(group)
            .ok_or(NO_GROUP)?
            .streams
            .get(stream)
            .ok_or(NO_STREAM)?;
        let matching: Vec<&Event> = s
            .events
            .iter()
            .filter(|e| {
                start.is_none_or(|t| e.timestamp >= t) && end.is_none_or(|t| e.timestamp < t)
            })
            .collect();
        let n = matching.len();
        // Tokens are "f/<index>" (forward: next page starts there) and "b/<index>" (backward: page ends there).
        let (lo, hi) = match token.and_then(|t| t.split_once('/')) {
            Some(("f", i)) => {
                let i = i.parse().unwrap_or(n).min(n);
                (i, (i + limit).min(n))
            }
            Some(("b", i)) => {
                let i = i.parse().unwrap_or(0).min(n);
                (i.saturating_sub(limit), i)
            }
            _ if from_head => (0, limit.min(n)),
            _ => (n.saturating_sub(limit), n),
        };
        let events: Vec<Value> = matching[lo..hi]
            .iter()
            .map(|e| json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}))
            .collect();
        Ok(Page {
            body: json!({"events": events, "nextForwardToken": format!("f/{hi}"), "nextBackwardToken": format!("b/{lo}")}),
        })
    }

    /// FilterLogEvents: events from matching streams, interleaved by time.
    pub fn filter_events(&self, group: &str, req: &FilterRequest) -> Result<Page, NotFound> {
        let groups = self.groups.read().map_err(|_| NO_GROUP)?;
        let g = groups.get(group).ok_or(NO_GROUP)?;
        let terms = req.pattern.as_deref().map(terms).unwrap_or_default();
        let mut found: Vec<(i64, &str, usize, &Event)> = Vec::new();
        let mut searched = Vec::new();
        for (name, s) in &g.streams {
            if req
                .stream_names
                .as_ref()
                .is_some_and(|names| !names.contains(name))
                || req
                    .stream_prefix
                    .as_ref()
                    .is_some_and(|p| !name.starts_with(p.as_str()))
            {
                continue;
            }
            searched.push(json!({"logStreamName": name, "searchedCompletely": true}));
            for (i, e) in s.events.iter().enumerate() {
                if req.start_time.is_some_and(|t| e.timestamp < t)
                    || req.end_time.is_some_and(|t| e.timestamp >= t)
                {
                    continue;
                }
                if terms.iter().all(|t| e.message.contains(t.as_str())) {
                    found.push((e.timestamp, name, i, e));
                }
            }
        }
        found.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        let skip: usize = req
            .next_token
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let limit = req.limit.max(1);
        let page: Vec<Value> = found
            .iter()
            .skip(skip)
            .take(limit)
            .map(|(ts, name, i, e)| {
                json!({"logStreamName": name, "timestamp": ts, "message": e.message,
                       "ingestionTime": e.ingestion_time, "eventId": format!("{ts:020}{i:016}")})
            })
            .collect();
        let mut body = json!({"events": page, "searchedLogStreams": searched});
        if found.len() > skip + limit {
            body["nextToken"] = json!((skip + limit).to_string());
        }
        Ok(Page { body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let req = FilterRequest {
            pattern: Some("hello".into()),
            limit: 10,
            ..Default::default()
        };
        let p = s.filter_events("g", &req).unwrap();
        let msgs: Vec<_> = p.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(msgs, ["hello there", "hello world"]);
        let req = FilterRequest {
            start_time: Some(3),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            s.filter_events("g", &req).unwrap().body["events"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert!(s.filter_events("nope", &req).is_err());
        assert_eq!(terms(r#"a "b c" d"#), ["a", "b c", "d"]);
    }

    #[test]
    fn get_events_pages_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let s = LogStore::open(dir.path(), None).unwrap();
        let lines: Vec<(i64, String)> = (0..5).map(|i| (i, format!("m{i}"))).collect();
        s.append("g", "a", &lines);
        let p = s.get_events("g", "a", None, None, true, 2, None).unwrap();
        assert_eq!(p.body["events"][1]["message"], "m1");
        let next = p.body["nextForwardToken"].as_str().unwrap().to_owned();
        let p = s
            .get_events("g", "a", None, None, true, 2, Some(&next))
            .unwrap();
        assert_eq!(p.body["events"][0]["message"], "m2");
        let p = s.get_events("g", "a", None, None, false, 2, None).unwrap();
        assert_eq!(p.body["events"][1]["message"], "m4");
    }
}
