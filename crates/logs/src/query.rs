//! The CloudWatch Logs queries: DescribeLogGroups, DescribeLogStreams, GetLogEvents and
//! FilterLogEvents (what `aws logs tail [--follow]` calls), with their pagination tokens.
//!
//! Tokens: DescribeLogGroups' is the last group name of the page; DescribeLogStreams' is
//! how many results came before; FilterLogEvents' is `<timestamp>/<number>/<stream>`, the
//! last event of the page (the next page holds the events after it in time, stream name,
//! number order); GetLogEvents' are `f/<index>` (forward: the next page starts there) and
//! `b/<index>` (backward: the page ends there), indexes into the events matching the time
//! range.
//!
//! Memory: a page holds at most `limit` events and about [`PAGE_BYTES`] of messages (as
//! CloudWatch answers up to 1 MB), and streams not in memory are read through one line at
//! a time, so a query costs about a page whatever the size of the streams it reads.

use std::collections::{BinaryHeap, VecDeque};
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;

use crate::api::{
    DescribeLogGroups, DescribeLogGroupsResponse, DescribeLogStreams, DescribeLogStreamsResponse,
    FilterLogEvents, FilterLogEventsResponse, FilteredEvent, GetLogEvents, GetLogEventsResponse,
    LogGroup, LogStream, LogsError, OutputEvent, SearchedLogStream, StreamOrder,
};
use crate::store::stream::Held;
use crate::store::{cutoff, now_ms, Event, LogStore};

/// Added to an event's number in its `eventId`, so that numbers of earlier runs' events
/// (negative) print as 16 digits too.
const EVENT_ID_BIAS: i64 = 1 << 52;

/// Bytes of messages a page holds at most, beyond its first event.
pub(crate) const PAGE_BYTES: usize = 1024 * 1024;

fn output(h: &Held) -> OutputEvent {
    OutputEvent {
        ingestion_time: h.event.ingestion_time,
        message: h.event.message.clone(),
        timestamp: h.event.timestamp,
    }
}

/// One event found by FilterLogEvents, ordered by its place in the answer: time, stream
/// (by index in name order), number.
struct Found {
    key: (i64, usize, i64),
    event: Event,
}

impl PartialEq for Found {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Found {}

impl PartialOrd for Found {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Found {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// The position a FilterLogEvents token names: timestamp, number and stream of the last
/// event returned.
fn parse_position(token: &str) -> Option<(i64, i64, &str)> {
    let mut parts = token.splitn(3, '/');
    let ts = parts.next()?.parse().ok()?;
    let seq = parts.next()?.parse().ok()?;
    Some((ts, seq, parts.next()?))
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

fn in_range(e: &Event, start: Option<i64>, end: Option<i64>) -> bool {
    start.is_none_or(|t| e.timestamp >= t) && end.is_none_or(|t| e.timestamp < t)
}

impl LogStore {
    /// DescribeLogGroups.
    pub fn describe_groups(
        &self,
        region: &str,
        account: &str,
        req: &DescribeLogGroups,
    ) -> DescribeLogGroupsResponse {
        let mut groups: Vec<LogGroup> = self
            .groups()
            .iter()
            .filter(|(n, _)| req.prefix.as_deref().is_none_or(|p| n.starts_with(p)))
            .filter(|(n, _)| req.next_token.as_deref().is_none_or(|t| n.as_str() > t))
            .take(req.limit + 1)
            .map(|(n, g)| LogGroup {
                arn: format!("arn:aws:logs:{region}:{account}:log-group:{n}:*"),
                creation_time: g.creation_time,
                log_group_name: n.clone(),
                metric_filter_count: 0,
                retention_in_days: g.retention_days(),
                stored_bytes: g
                    .streams()
                    .values()
                    .map(|s| s.file.bytes.load(Ordering::Relaxed))
                    .sum(),
            })
            .collect();
        let mut next_token = None;
        if groups.len() > req.limit {
            groups.truncate(req.limit);
            next_token = groups.last().map(|g| g.log_group_name.clone());
        }
        DescribeLogGroupsResponse {
            log_groups: groups,
            next_token,
        }
    }

    /// DescribeLogStreams.
    pub fn describe_streams(
        &self,
        region: &str,
        account: &str,
        req: &DescribeLogStreams,
    ) -> Result<DescribeLogStreamsResponse, LogsError> {
        let group = &req.group;
        let g = self
            .group(group)
            .ok_or_else(|| LogsError::GroupNotFound(group.clone()))?;
        let mut streams: Vec<LogStream> = g
            .streams()
            .iter()
            .filter(|(n, _)| req.prefix.as_deref().is_none_or(|p| n.starts_with(p)))
            .map(|(n, s)| {
                let summary = s.summary();
                let ends = summary.first_timestamp.zip(summary.last);
                LogStream {
                    arn: format!(
                        "arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{n}"
                    ),
                    creation_time: s.creation_time,
                    first_event_timestamp: ends.map(|(first, _)| first),
                    last_event_timestamp: ends.map(|(_, (last, _))| last),
                    last_ingestion_time: ends.map(|(_, (_, ingested))| ingested),
                    log_stream_name: n.clone(),
                    stored_bytes: 0,
                }
            })
            .collect();
        if req.order == StreamOrder::LastEventTime {
            streams.sort_by_key(|s| s.last_event_timestamp.unwrap_or(0));
        }
        if req.descending {
            streams.reverse();
        }
        let skip: usize = req
            .next_token
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let mut page: Vec<LogStream> = streams.into_iter().skip(skip).take(req.limit + 1).collect();
        let mut next_token = None;
        if page.len() > req.limit {
            page.truncate(req.limit);
            next_token = Some((skip + req.limit).to_string());
        }
        Ok(DescribeLogStreamsResponse {
            log_streams: page,
            next_token,
        })
    }

    /// GetLogEvents.
    pub fn get_events(&self, req: &GetLogEvents) -> Result<GetLogEventsResponse, LogsError> {
        let g = self
            .group(&req.group)
            .ok_or_else(|| LogsError::GroupNotFound(req.group.clone()))?;
        let s = g
            .stream(&req.stream)
            .ok_or_else(|| LogsError::StreamNotFound {
                group: req.group.clone(),
                stream: req.stream.clone(),
            })?;
        let limit = cutoff(g.retention_days(), now_ms());
        let wanted = |h: &Held| in_range(&h.event, req.start_time, req.end_time);
        let token = req.next_token.as_deref().and_then(|t| t.split_once('/'));
        let backward_to = match token {
            Some(("f", _)) => None,
            Some(("b", i)) => Some(i.parse().unwrap_or(0)),
            _ if req.start_from_head => None,
            _ => Some(usize::MAX),
        };
        // Matching events seen, and the page.
        let mut n = 0usize;
        let mut page: VecDeque<OutputEvent> = VecDeque::new();
        let mut bytes = 0usize;
        let (lo, hi) = match backward_to {
            // The page ends before index `to` (or at the end): the last events before it.
            Some(to) => {
                s.for_each_event(self, limit, |h| {
                    if !wanted(h) {
                        return ControlFlow::Continue(());
                    }
                    if n == to {
                        return ControlFlow::Break(());
                    }
                    n += 1;
                    bytes += h.event.message.len();
                    page.push_back(output(h));
                    while page.len() > req.limit || (bytes > PAGE_BYTES && page.len() > 1) {
                        if let Some(old) = page.pop_front() {
                            bytes -= old.message.len();
                        }
                    }
                    ControlFlow::Continue(())
                });
                (n - page.len(), n)
            }
            // The page starts at index `from`: the first events from it on.
            None => {
                let from = match token {
                    Some((_, i)) => i.parse().unwrap_or(usize::MAX),
                    None => 0,
                };
                s.for_each_event(self, limit, |h| {
                    if !wanted(h) {
                        return ControlFlow::Continue(());
                    }
                    n += 1;
                    if n <= from {
                        return ControlFlow::Continue(());
                    }
                    let len = h.event.message.len();
                    if page.len() == req.limit || (!page.is_empty() && bytes + len > PAGE_BYTES) {
                        return ControlFlow::Break(());
                    }
                    bytes += len;
                    page.push_back(output(h));
                    ControlFlow::Continue(())
                });
                let lo = from.min(n);
                (lo, lo + page.len())
            }
        };
        Ok(GetLogEventsResponse {
            events: page.into(),
            next_backward_token: format!("b/{lo}"),
            next_forward_token: format!("f/{hi}"),
        })
    }

    /// FilterLogEvents: events from matching streams, interleaved by time.
    pub fn filter_events(
        &self,
        req: &FilterLogEvents,
    ) -> Result<FilterLogEventsResponse, LogsError> {
        let g = self
            .group(&req.group)
            .ok_or_else(|| LogsError::GroupNotFound(req.group.clone()))?;
        let limit = cutoff(g.retention_days(), now_ms());
        let terms = req.pattern.as_deref().map(terms).unwrap_or_default();
        let streams: Vec<_> = g
            .streams()
            .iter()
            .filter(|(name, _)| {
                req.stream_names
                    .as_ref()
                    .is_none_or(|names| names.contains(name))
                    && req
                        .stream_prefix
                        .as_deref()
                        .is_none_or(|p| name.starts_with(p))
            })
            .map(|(name, s)| (name.clone(), std::sync::Arc::clone(s)))
            .collect();
        let after = req.next_token.as_deref().and_then(parse_position);
        let page_size = req.limit.max(1);
        // The first events after the token, at most a page: a max-heap, so that the last
        // one goes when a better one comes.
        let mut page: BinaryHeap<Found> = BinaryHeap::new();
        let mut bytes = 0usize;
        let mut more = false;
        let mut searched = Vec::with_capacity(streams.len());
        for (i, (name, s)) in streams.iter().enumerate() {
            searched.push(SearchedLogStream {
                log_stream_name: name.clone(),
                searched_completely: true,
            });
            s.for_each_event(self, limit, |h| {
                let e = &h.event;
                if !in_range(e, req.start_time, req.end_time)
                    || !terms.iter().all(|t| e.message.contains(t.as_str()))
                    || after.is_some_and(|a| (e.timestamp, name.as_str(), h.seq) <= (a.0, a.2, a.1))
                {
                    return ControlFlow::Continue(());
                }
                let key = (e.timestamp, i, h.seq);
                if page.len() == page_size && page.peek().is_some_and(|last| last.key < key) {
                    more = true;
                    return ControlFlow::Continue(());
                }
                bytes += e.message.len();
                page.push(Found {
                    key,
                    event: e.clone(),
                });
                // The last event goes when the page is full without it.
                while let Some(last) = page.peek() {
                    let without = bytes - last.event.message.len();
                    if page.len() <= page_size && (page.len() == 1 || without < PAGE_BYTES) {
                        break;
                    }
                    bytes = without;
                    page.pop();
                    more = true;
                }
                ControlFlow::Continue(())
            });
        }
        let mut events: Vec<FilteredEvent> = Vec::with_capacity(page.len());
        let (mut taken, mut last) = (0usize, None);
        for f in page.into_sorted_vec() {
            let len = f.event.message.len();
            if !events.is_empty() && taken + len > PAGE_BYTES {
                more = true;
                break;
            }
            taken += len;
            let (ts, i, seq) = f.key;
            last = Some(f.key);
            events.push(FilteredEvent {
                event_id: format!("{ts:020}{:016}", seq + EVENT_ID_BIAS),
                ingestion_time: f.event.ingestion_time,
                log_stream_name: streams[i].0.clone(),
                message: f.event.message,
                timestamp: ts,
            });
        }
        let next_token = last
            .filter(|_| more)
            .map(|(ts, i, seq)| format!("{ts}/{seq}/{}", streams[i].0));
        Ok(FilterLogEventsResponse {
            events,
            next_token,
            searched_log_streams: searched,
        })
    }
}

#[cfg(test)]
mod tests;
