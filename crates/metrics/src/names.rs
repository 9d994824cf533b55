//! Every metric Stratus exposes, by name. The engine's are defined beside the code that
//! records them ([`stratus_engine::metric_names`]) and re-exported here.

pub use stratus_engine::metric_names::{
    COLD_STARTS, DURATION, ERRORS, INIT_DURATION, INVOCATIONS, SANDBOX_SETUP, THROTTLES,
};

/// Gauge `{function}`: invocations of the function running now.
pub const CONCURRENT_EXECUTIONS: &str = "stratus_concurrent_executions";
/// Gauge: invocations running now, account-wide.
pub const ACCOUNT_CONCURRENT_EXECUTIONS: &str = "stratus_account_concurrent_executions";
/// Gauge: invocations running now of functions without reserved concurrency.
pub const UNRESERVED_CONCURRENT_EXECUTIONS: &str = "stratus_unreserved_concurrent_executions";
/// Gauge `{function,resource}`: provisioned environments in use over those allocated.
pub const PROVISIONED_CONCURRENCY_UTILIZATION: &str = "stratus_provisioned_concurrency_utilization";

/// Counter `{function}`: async events accepted (recorded by the dispatcher).
pub const ASYNC_EVENTS_RECEIVED: &str = "stratus_async_events_received_total";
/// Histogram `{function}`: receive to run of async events, seconds (the dispatcher).
pub const ASYNC_EVENT_AGE: &str = "stratus_async_event_age_seconds";
/// Counter `{function,condition}`: async events dropped (the dispatcher).
pub const ASYNC_EVENTS_DROPPED: &str = "stratus_async_events_dropped_total";
/// Counter `{function}`: failed deliveries to a dead-letter target (the dispatcher).
pub const DEAD_LETTER_ERRORS: &str = "stratus_dead_letter_errors_total";
/// Counter `{function}`: failed deliveries to a destination (the dispatcher).
pub const DESTINATION_DELIVERY_FAILURES: &str = "stratus_destination_delivery_failures_total";
/// Gauge `{function}`: events in the async queue (read from the store at scrape time).
pub const ASYNC_QUEUE_DEPTH: &str = "stratus_async_queue_depth";
/// Gauge `{function}`: age of the oldest queued event, seconds (0 with none queued).
pub const ASYNC_OLDEST_EVENT_AGE: &str = "stratus_async_oldest_event_age_seconds";

/// Gauge `{state}`: live environments, `busy`, `idle` or `frozen`.
pub const ENVIRONMENTS: &str = "stratus_environments";
/// Gauge: sandboxes spawned ahead of cold starts, ready now.
pub const SPARE_SANDBOXES: &str = "stratus_spare_sandboxes";
/// Gauge: host memory live environments hold (their functions' MemorySize), bytes.
pub const ENVIRONMENT_MEMORY_HELD: &str = "stratus_environment_memory_held_bytes";
/// Gauge: host memory environments may hold in all (host memory times the overcommit).
pub const ENVIRONMENT_MEMORY_LIMIT: &str = "stratus_environment_memory_limit_bytes";
/// Gauge `{state}`: function uids (`--function-uids`), `held` by live environments or `free`.
pub const FUNCTION_UIDS: &str = "stratus_function_uids";
/// Gauge: the server's resident memory, bytes.
pub const RESIDENT_MEMORY: &str = "stratus_process_resident_memory_bytes";
