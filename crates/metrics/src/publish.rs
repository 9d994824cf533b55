//! Setting the gauges that are read at scrape time. A function that had a series before
//! and has nothing now is set to zero (the facade cannot remove a series), so a scrape
//! never shows a stale count.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use metrics::gauge;
use stratus_engine::{EngineGauges, ProvisionedUsage};
use stratus_store::queue::FunctionQueueStats;

use crate::names::*;

/// Functions with series from earlier scrapes.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    concurrency: HashSet<String>,
    queue: HashSet<String>,
    provisioned: HashSet<(String, String)>,
}

/// Sets `name{function}` to `value(f)` for every function in `now`, and to zero for those
/// seen before and absent now.
fn per_function<'a, T: 'a>(
    seen: &mut HashSet<String>,
    now: impl IntoIterator<Item = (&'a str, T)>,
    mut set: impl FnMut(&str, Option<T>),
) {
    let mut current = HashSet::new();
    for (function, value) in now {
        set(function, Some(value));
        current.insert(function.to_owned());
    }
    for gone in seen.difference(&current) {
        set(gone, None);
    }
    seen.extend(current);
}

/// The engine's concurrency and environments.
pub(crate) fn engine(g: &EngineGauges, seen: &mut Seen) {
    gauge!(ACCOUNT_CONCURRENT_EXECUTIONS).set(g.concurrent_executions as f64);
    gauge!(UNRESERVED_CONCURRENT_EXECUTIONS).set(g.unreserved_concurrent_executions as f64);
    per_function(
        &mut seen.concurrency,
        g.per_function.iter().map(|(f, n)| (f.as_str(), *n)),
        |f, n| gauge!(CONCURRENT_EXECUTIONS, "function" => f.to_owned()).set(n.unwrap_or(0) as f64),
    );
    for (state, n) in [("busy", g.busy), ("idle", g.idle), ("frozen", g.frozen)] {
        gauge!(ENVIRONMENTS, "state" => state).set(n as f64);
    }
    gauge!(SPARE_SANDBOXES).set(g.spare_sandboxes as f64);
    gauge!(FUNCTION_UIDS, "state" => "held").set(g.uids_held as f64);
    gauge!(FUNCTION_UIDS, "state" => "free").set(g.uids.saturating_sub(g.uids_held) as f64);
    gauge!(ENVIRONMENT_MEMORY_HELD).set((g.memory_held_mb * 1024 * 1024) as f64);
    gauge!(ENVIRONMENT_MEMORY_LIMIT).set((g.memory_limit_mb.saturating_mul(1024 * 1024)) as f64);
}

/// The async queue's depth and oldest event per function, as of `now`.
pub(crate) fn queue(stats: &[FunctionQueueStats], now: DateTime<Utc>, seen: &mut Seen) {
    per_function(
        &mut seen.queue,
        stats.iter().map(|s| (s.function.as_str(), s)),
        |f, s| {
            let (depth, age) = s.map_or((0, 0.0), |s| {
                let age = (now - s.oldest_received_at).num_milliseconds().max(0);
                (s.depth, age as f64 / 1000.0)
            });
            gauge!(ASYNC_QUEUE_DEPTH, "function" => f.to_owned()).set(depth as f64);
            gauge!(ASYNC_OLDEST_EVENT_AGE, "function" => f.to_owned()).set(age);
        },
    );
}

/// The server's resident memory, when known.
pub(crate) fn memory(bytes: Option<u64>) {
    if let Some(b) = bytes {
        gauge!(RESIDENT_MEMORY).set(b as f64);
    }
}

/// ProvisionedConcurrencyUtilization per function and resource (`name:qualifier`, as
/// Lambda's Resource dimension): environments in use over those allocated, 0 when none is
/// allocated or the config is gone.
pub(crate) fn provisioned(usage: &[ProvisionedUsage], seen: &mut Seen) {
    let mut current = HashSet::new();
    for u in usage {
        let resource = format!("{}:{}", u.function, u.qualifier);
        let ratio = if u.allocated == 0 {
            0.0
        } else {
            u.in_use as f64 / u.allocated as f64
        };
        gauge!(PROVISIONED_CONCURRENCY_UTILIZATION, "function" => u.function.clone(), "resource" => resource.clone())
            .set(ratio);
        current.insert((u.function.clone(), resource));
    }
    for (function, resource) in seen.provisioned.difference(&current) {
        gauge!(PROVISIONED_CONCURRENCY_UTILIZATION, "function" => function.clone(), "resource" => resource.clone())
            .set(0.0);
    }
    seen.provisioned.extend(current);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Duration;

    use super::*;

    fn lines(text: &str, name: &str) -> Vec<String> {
        let mut l: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .map(str::to_owned)
            .collect();
        l.sort();
        l
    }

    #[test]
    fn engine_gauges_render_and_go_to_zero_when_gone() {
        let recorder = crate::recorder().unwrap();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            crate::describe();
            let mut seen = Seen::default();
            let g = EngineGauges {
                concurrent_executions: 3,
                unreserved_concurrent_executions: 1,
                per_function: vec![("a".into(), 2), ("b".into(), 1)],
                busy: 3,
                idle: 1,
                frozen: 4,
                spare_sandboxes: 2,
                memory_held_mb: 256,
                memory_limit_mb: 1024,
                uids_held: 3,
                uids: 10,
            };
            engine(&g, &mut seen);
            let text = handle.render();
            assert_eq!(
                lines(&text, CONCURRENT_EXECUTIONS),
                [
                    "stratus_concurrent_executions{function=\"a\"} 2",
                    "stratus_concurrent_executions{function=\"b\"} 1"
                ],
                "{text}"
            );
            assert_eq!(
                lines(&text, ENVIRONMENTS),
                [
                    "stratus_environments{state=\"busy\"} 3",
                    "stratus_environments{state=\"frozen\"} 4",
                    "stratus_environments{state=\"idle\"} 1"
                ]
            );
            assert_eq!(
                lines(&text, ACCOUNT_CONCURRENT_EXECUTIONS),
                ["stratus_account_concurrent_executions 3"]
            );
            assert_eq!(
                lines(&text, UNRESERVED_CONCURRENT_EXECUTIONS),
                ["stratus_unreserved_concurrent_executions 1"]
            );
            assert_eq!(lines(&text, SPARE_SANDBOXES), ["stratus_spare_sandboxes 2"]);
            assert_eq!(
                lines(&text, FUNCTION_UIDS),
                [
                    "stratus_function_uids{state=\"free\"} 7",
                    "stratus_function_uids{state=\"held\"} 3"
                ]
            );
            assert_eq!(
                lines(&text, ENVIRONMENT_MEMORY_HELD),
                ["stratus_environment_memory_held_bytes 268435456"]
            );
            assert!(
                text.contains("# HELP stratus_environments Live execution environments"),
                "{text}"
            );
            assert!(text.contains("# TYPE stratus_environments gauge"), "{text}");

            engine(
                &EngineGauges {
                    per_function: vec![("b".into(), 5)],
                    ..EngineGauges::default()
                },
                &mut seen,
            );
            let text = handle.render();
            assert_eq!(
                lines(&text, CONCURRENT_EXECUTIONS),
                [
                    "stratus_concurrent_executions{function=\"a\"} 0",
                    "stratus_concurrent_executions{function=\"b\"} 5"
                ]
            );
        });
    }

    #[test]
    fn provisioned_utilization_is_in_use_over_allocated_and_zero_when_gone() {
        let recorder = crate::recorder().unwrap();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let mut seen = Seen::default();
            let usage = |qualifier: &str, allocated, in_use| ProvisionedUsage {
                function: "p".into(),
                qualifier: qualifier.into(),
                requested: 4,
                allocated,
                in_use,
            };
            provisioned(&[usage("live", 4, 1), usage("2", 0, 0)], &mut seen);
            let text = handle.render();
            assert_eq!(
                lines(&text, PROVISIONED_CONCURRENCY_UTILIZATION),
                [
                    "stratus_provisioned_concurrency_utilization{function=\"p\",resource=\"p:2\"} 0",
                    "stratus_provisioned_concurrency_utilization{function=\"p\",resource=\"p:live\"} 0.25"
                ],
                "{text}"
            );
            provisioned(&[usage("2", 2, 2)], &mut seen);
            let text = handle.render();
            assert_eq!(
                lines(&text, PROVISIONED_CONCURRENCY_UTILIZATION),
                [
                    "stratus_provisioned_concurrency_utilization{function=\"p\",resource=\"p:2\"} 1",
                    "stratus_provisioned_concurrency_utilization{function=\"p\",resource=\"p:live\"} 0"
                ],
                "{text}"
            );
        });
    }

    #[test]
    fn queue_depth_and_oldest_age_per_function() {
        let recorder = crate::recorder().unwrap();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let mut seen = Seen::default();
            let now = Utc::now();
            let stats = [FunctionQueueStats {
                function: "q".into(),
                depth: 7,
                oldest_received_at: now - Duration::milliseconds(1500),
            }];
            queue(&stats, now, &mut seen);
            let text = handle.render();
            assert_eq!(
                lines(&text, ASYNC_QUEUE_DEPTH),
                ["stratus_async_queue_depth{function=\"q\"} 7"]
            );
            assert_eq!(
                lines(&text, ASYNC_OLDEST_EVENT_AGE),
                ["stratus_async_oldest_event_age_seconds{function=\"q\"} 1.5"]
            );
            queue(&[], now, &mut seen);
            let text = handle.render();
            assert_eq!(
                lines(&text, ASYNC_QUEUE_DEPTH),
                ["stratus_async_queue_depth{function=\"q\"} 0"]
            );
            assert_eq!(
                lines(&text, ASYNC_OLDEST_EVENT_AGE),
                ["stratus_async_oldest_event_age_seconds{function=\"q\"} 0"]
            );
        });
    }

    #[test]
    fn dispatcher_metrics_render_with_help_and_buckets() {
        let recorder = crate::recorder().unwrap();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            crate::describe();
            metrics::counter!(ASYNC_EVENTS_DROPPED, "function" => "d", "condition" => "EventAgeExceeded").increment(2);
            metrics::histogram!(ASYNC_EVENT_AGE, "function" => "d").record(42.0);
            memory(Some(4096));
            let text = handle.render();
            assert!(
                text.contains(
                    "# HELP stratus_async_events_dropped_total Asynchronous events dropped"
                ),
                "{text}"
            );
            assert_eq!(
                lines(&text, ASYNC_EVENTS_DROPPED),
                ["stratus_async_events_dropped_total{function=\"d\",condition=\"EventAgeExceeded\"} 2"]
            );
            // Event ages have their own buckets, up to six hours.
            assert!(
                text.contains("stratus_async_event_age_seconds_bucket{function=\"d\",le=\"60\"} 1"),
                "{text}"
            );
            assert!(
                text.contains("stratus_async_event_age_seconds_bucket{function=\"d\",le=\"30\"} 0"),
                "{text}"
            );
            assert!(
                text.contains(
                    "stratus_async_event_age_seconds_bucket{function=\"d\",le=\"21600\"} 1"
                ),
                "{text}"
            );
            assert!(
                text.contains("stratus_async_event_age_seconds_count{function=\"d\"} 1"),
                "{text}"
            );
            assert_eq!(
                lines(&text, RESIDENT_MEMORY),
                ["stratus_process_resident_memory_bytes 4096"]
            );
            // A metric described but never recorded renders nothing.
            assert!(
                !text.contains(PROVISIONED_CONCURRENCY_UTILIZATION),
                "{text}"
            );
        });
    }
}
