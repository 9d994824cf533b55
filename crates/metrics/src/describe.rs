//! HELP text and units for every metric (`metrics::describe_*`), so each renders with it.

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};

use crate::names::*;

/// Registers the description of every metric with the installed recorder.
pub fn describe() {
    describe_counter!(
        INVOCATIONS,
        "Invocations that reached a runtime, function errors included, throttles not."
    );
    describe_counter!(
        ERRORS,
        "Invocations that ended in a function error: handler error, timeout, crash, init failure."
    );
    describe_counter!(THROTTLES, "Invocations refused for concurrency (429).");
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Handler time of invocations (Lambda's Duration)."
    );
    describe_counter!(COLD_STARTS, "Execution environments created.");
    describe_histogram!(
        INIT_DURATION,
        Unit::Seconds,
        "Runtime start to its first /next on a cold start (Lambda's Init Duration)."
    );
    describe_histogram!(
        SANDBOX_SETUP,
        Unit::Seconds,
        "Sandbox setup on a cold start, until the runtime was started."
    );
    describe_gauge!(
        CONCURRENT_EXECUTIONS,
        "Invocations of the function running now."
    );
    describe_gauge!(
        ACCOUNT_CONCURRENT_EXECUTIONS,
        "Invocations running now, account-wide."
    );
    describe_gauge!(
        UNRESERVED_CONCURRENT_EXECUTIONS,
        "Invocations running now of functions without reserved concurrency."
    );
    describe_gauge!(
        PROVISIONED_CONCURRENCY_UTILIZATION,
        "Provisioned environments in use over those allocated."
    );
    describe_counter!(ASYNC_EVENTS_RECEIVED, "Asynchronous events accepted.");
    describe_histogram!(
        ASYNC_EVENT_AGE,
        Unit::Seconds,
        "Time from an async event's receipt to its invocation."
    );
    describe_counter!(
        ASYNC_EVENTS_DROPPED,
        "Asynchronous events dropped without running to success, by condition."
    );
    describe_counter!(
        DEAD_LETTER_ERRORS,
        "Failed deliveries of async events to a dead-letter target."
    );
    describe_counter!(
        DESTINATION_DELIVERY_FAILURES,
        "Failed deliveries of invocation records to a destination."
    );
    describe_gauge!(
        ASYNC_QUEUE_DEPTH,
        "Asynchronous events queued for the function, leased or not."
    );
    describe_gauge!(
        ASYNC_OLDEST_EVENT_AGE,
        Unit::Seconds,
        "Age of the function's oldest queued async event (0 with none queued)."
    );
    describe_gauge!(
        ENVIRONMENTS,
        "Live execution environments by state: busy, idle or frozen."
    );
    describe_gauge!(
        SPARE_SANDBOXES,
        "Sandboxes spawned ahead of cold starts, ready now."
    );
    describe_gauge!(
        ENVIRONMENT_MEMORY_HELD,
        Unit::Bytes,
        "Host memory live environments hold: the sum of their functions' MemorySize."
    );
    describe_gauge!(
        ENVIRONMENT_MEMORY_LIMIT,
        Unit::Bytes,
        "Host memory environments may hold in all (host memory times --memory-overcommit)."
    );
    describe_gauge!(
        FUNCTION_UIDS,
        "Function uids of --function-uids: held by live environments, or free."
    );
    describe_gauge!(
        RESIDENT_MEMORY,
        Unit::Bytes,
        "Resident memory of the server process."
    );
}
