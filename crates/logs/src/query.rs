//! The CloudWatch Logs queries: DescribeLogGroups, DescribeLogStreams, GetLogEvents and
//! FilterLogEvents (what `aws logs tail [--follow]` calls), with their pagination tokens.
//!
//! Tokens: DescribeLogGroups' is the last group name of the page; DescribeLogStreams' and
//! FilterLogEvents' are how many results came before; GetLogEvents' are `f/<index>`
//! (forward: the next page starts there) and `b/<index>` (backward: the page ends there),
//! indexes into the events matching the time range.

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
        let (events, lo, hi) = s.with_events(self, limit, |all| {
            let matching: Vec<&Held> = all
                .filter(|h| in_range(&h.event, req.start_time, req.end_time))
                .collect();
            let n = matching.len();
            let (lo, hi) = match req.next_token.as_deref().and_then(|t| t.split_once('/')) {
                Some(("f", i)) => {
                    let i = i.parse().unwrap_or(n).min(n);
                    (i, (i + req.limit).min(n))
                }
                Some(("b", i)) => {
                    let i = i.parse().unwrap_or(0).min(n);
                    (i.saturating_sub(req.limit), i)
                }
                _ if req.start_from_head => (0, req.limit.min(n)),
                _ => (n.saturating_sub(req.limit), n),
            };
            let events: Vec<OutputEvent> = matching[lo..hi]
                .iter()
                .map(|h| OutputEvent {
                    ingestion_time: h.event.ingestion_time,
                    message: h.event.message.clone(),
                    timestamp: h.event.timestamp,
                })
                .collect();
            (events, lo, hi)
        });
        Ok(GetLogEventsResponse {
            events,
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
        let mut found: Vec<(i64, usize, i64, Event)> = Vec::new();
        let mut searched = Vec::with_capacity(streams.len());
        for (i, (name, s)) in streams.iter().enumerate() {
            searched.push(SearchedLogStream {
                log_stream_name: name.clone(),
                searched_completely: true,
            });
            s.with_events(self, limit, |all| {
                for h in all {
                    if in_range(&h.event, req.start_time, req.end_time)
                        && terms.iter().all(|t| h.event.message.contains(t.as_str()))
                    {
                        found.push((h.event.timestamp, i, h.seq, h.event.clone()));
                    }
                }
            });
        }
        // Streams are in name order, so (time, stream index, number) orders as (time, name, number).
        found.sort_by_key(|f| (f.0, f.1, f.2));
        let skip: usize = req
            .next_token
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let limit = req.limit.max(1);
        let more = found.len() > skip + limit;
        let events = found
            .into_iter()
            .skip(skip)
            .take(limit)
            .map(|(ts, i, seq, e)| FilteredEvent {
                event_id: format!("{ts:020}{:016}", seq + EVENT_ID_BIAS),
                ingestion_time: e.ingestion_time,
                log_stream_name: streams[i].0.clone(),
                message: e.message,
                timestamp: ts,
            })
            .collect();
        Ok(FilterLogEventsResponse {
            events,
            next_token: more.then(|| (skip + limit).to_string()),
            searched_log_streams: searched,
        })
    }
}

#[cfg(test)]
mod tests;
