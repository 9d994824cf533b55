//! What the invoke path records, through the `metrics` facade (rendered as Prometheus text
//! by `stratus-metrics` at `/metrics`), and the gauges it reports when scraped.
//!
//! The warm path pays atomic adds only: each environment caches its metric handles (cheap
//! clones over the recorder's atomics) for the resource it was last invoked through, so a
//! warm invoke through the same alias or version looks up no labels, allocates nothing and
//! takes no lock. Gauges (concurrency, environments) are not kept on the invoke path at
//! all: [`Engine::gauges`] reads them from admission and the pool when a scrape asks.
//!
//! Labels follow Lambda's dimensions: `function` (FunctionName), `resource` (Resource: the
//! function as invoked, `name` or `name:qualifier`) and `executed_version`
//! (ExecutedVersion: the version that ran).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ::metrics::{counter, histogram, Counter, Histogram};
use stratus_model::Version;

use crate::seams::Backend;
use crate::Engine;

/// Metric names the engine records.
pub mod names {
    /// Invocations that reached a runtime (function errors included, throttles not).
    pub const INVOCATIONS: &str = "stratus_invocations_total";
    /// Invocations that ended in a function error (handler error, timeout, crash).
    pub const ERRORS: &str = "stratus_errors_total";
    /// Invocations refused for concurrency.
    pub const THROTTLES: &str = "stratus_throttles_total";
    /// Handler time of invocations, seconds.
    pub const DURATION: &str = "stratus_duration_seconds";
    /// Environments created.
    pub const COLD_STARTS: &str = "stratus_cold_starts_total";
    /// Runtime start to its first `/next`, seconds (Lambda's Init Duration).
    pub const INIT_DURATION: &str = "stratus_init_duration_seconds";
    /// Sandbox creation until the runtime was started, seconds.
    pub const SANDBOX_SETUP: &str = "stratus_sandbox_setup_duration_seconds";
}

/// The label value Lambda calls Resource: the function as invoked, taken from the ARN
/// (`name` unqualified, `name:qualifier` otherwise); borrowed, no allocation.
pub(crate) fn resource(invoked_arn: &str) -> &str {
    invoked_arn
        .split_once(":function:")
        .map_or(invoked_arn, |(_, r)| r)
}

/// One environment's handles for the resource it was last invoked through.
pub(crate) struct InvokeHandles {
    resource: Box<str>,
    invocations: Counter,
    errors: Counter,
    duration: Histogram,
}

impl InvokeHandles {
    fn register(function: &str, resource: &str, version: &Version) -> Self {
        let labels = labels(function, resource, version);
        Self {
            resource: resource.into(),
            invocations: counter!(names::INVOCATIONS, &labels),
            errors: counter!(names::ERRORS, &labels),
            duration: histogram!(names::DURATION, &labels),
        }
    }

    /// Counts one invocation that ran for `duration`.
    pub(crate) fn record(&self, function_error: bool, duration: Duration) {
        self.invocations.increment(1);
        if function_error {
            self.errors.increment(1);
        }
        self.duration.record(duration.as_secs_f64());
    }
}

fn labels(function: &str, resource: &str, version: &Version) -> [(&'static str, String); 3] {
    [
        ("function", function.to_owned()),
        ("resource", resource.to_owned()),
        ("executed_version", version.to_string()),
    ]
}

/// The handles for an invocation of `function` version `version` through `resource`,
/// from `cache` when it was last invoked through the same resource.
pub(crate) fn handles<'a>(
    cache: &'a mut Option<InvokeHandles>,
    function: &str,
    resource: &str,
    version: &Version,
) -> &'a InvokeHandles {
    if cache.as_ref().is_some_and(|h| *h.resource != *resource) {
        *cache = None;
    }
    cache.get_or_insert_with(|| InvokeHandles::register(function, resource, version))
}

/// A refused invocation (not on the warm path: the label lookup happens here).
pub(crate) fn throttled(function: &str, resource: &str, version: &Version) {
    counter!(names::THROTTLES, &labels(function, resource, version)).increment(1);
}

/// An invocation that ended before reaching a handler (its runtime failed to initialise):
/// an invocation and an error, with no handler time.
pub(crate) fn init_failed(function: &str, resource: &str, version: &Version) {
    let labels = labels(function, resource, version);
    counter!(names::INVOCATIONS, &labels).increment(1);
    counter!(names::ERRORS, &labels).increment(1);
}

/// A new environment, with its sandbox setup and runtime init times.
pub(crate) fn cold_start(function: &str, sandbox_setup: Duration, runtime_init: Duration) {
    counter!(names::COLD_STARTS, "function" => function.to_owned()).increment(1);
    histogram!(names::INIT_DURATION, "function" => function.to_owned())
        .record(runtime_init.as_secs_f64());
    histogram!(names::SANDBOX_SETUP, "function" => function.to_owned())
        .record(sandbox_setup.as_secs_f64());
}

/// Environments running an invocation right now (one add when an invocation starts, one
/// subtract when it ends).
#[derive(Debug, Default)]
pub(crate) struct Busy(AtomicUsize);

impl Busy {
    pub(crate) fn enter(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn leave(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the engine holds right now, for a scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineGauges {
    /// Invocations holding a concurrency slot, account-wide.
    pub concurrent_executions: usize,
    /// Of those, invocations of functions without reserved concurrency.
    pub unreserved_concurrent_executions: usize,
    /// Invocations holding a slot, per function that has any or has idle environments
    /// (by name, each once).
    pub per_function: Vec<(String, usize)>,
    /// Environments running an invocation.
    pub busy: usize,
    /// Idle environments not frozen yet.
    pub idle: usize,
    /// Idle environments the reaper has frozen.
    pub frozen: usize,
    /// Sandboxes spawned ahead of cold starts, ready to be assigned.
    pub spare_sandboxes: usize,
    /// MB of host memory live environments hold (their functions' MemorySize).
    pub memory_held_mb: u64,
    /// MB they may hold in all (host memory times the overcommit setting).
    pub memory_limit_mb: u64,
    /// Function uids held by live environments.
    pub uids_held: usize,
    /// Function uids in the range (`--function-uids`).
    pub uids: usize,
}

impl<B: Backend> Engine<B> {
    /// The engine's gauges right now (for a metrics scrape: it briefly takes the admission
    /// and pool locks, as an invocation does).
    pub fn gauges(&self) -> EngineGauges {
        let (concurrent_executions, unreserved_concurrent_executions, mut per_function) =
            self.concurrency();
        let (idle, frozen, waiting) = self.inner.pool.census();
        for f in waiting {
            if !per_function.iter().any(|(g, _)| *g == f) {
                per_function.push((f, 0));
            }
        }
        EngineGauges {
            concurrent_executions,
            unreserved_concurrent_executions,
            per_function,
            busy: self.inner.busy.get(),
            idle,
            frozen,
            spare_sandboxes: self.inner.backend.spares(),
            memory_held_mb: self.inner.capacity.held_mb(),
            memory_limit_mb: self.inner.capacity.limit_mb(),
            uids_held: self.inner.uids.held(),
            uids: self.inner.uids.size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resource;

    #[test]
    fn resource_is_the_function_as_invoked() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:";
        assert_eq!(resource(&format!("{arn}f1")), "f1");
        assert_eq!(resource(&format!("{arn}f1:live")), "f1:live");
        assert_eq!(resource(&format!("{arn}f1:$LATEST")), "f1:$LATEST");
        assert_eq!(resource(&format!("{arn}f1:3")), "f1:3");
    }
}
