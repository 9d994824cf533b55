//! Invoke-path counters, rendered as Prometheus text at `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Monotonic counters; relaxed atomics, one add per event.
#[derive(Debug, Default)]
pub struct Metrics {
    invocations: AtomicU64,
    function_errors: AtomicU64,
    throttles: AtomicU64,
    cold_starts: AtomicU64,
    sandbox_setup_us: AtomicU64,
    runtime_init_us: AtomicU64,
}

impl Metrics {
    pub(crate) fn invoked(&self, function_error: bool) {
        self.invocations.fetch_add(1, Ordering::Relaxed);
        if function_error {
            self.function_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn throttled(&self) {
        self.throttles.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cold_start(&self, sandbox_setup: Duration, runtime_init: Duration) {
        self.cold_starts.fetch_add(1, Ordering::Relaxed);
        self.sandbox_setup_us
            .fetch_add(sandbox_setup.as_micros() as u64, Ordering::Relaxed);
        self.runtime_init_us
            .fetch_add(runtime_init.as_micros() as u64, Ordering::Relaxed);
    }

    /// Prometheus text exposition, with the idle environment gauge.
    pub fn render(&self, idle_environments: usize) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            "stratus_invocations_total",
            "Synchronous invocations run.",
            self.invocations.load(Ordering::Relaxed),
        );
        counter(
            "stratus_function_errors_total",
            "Invocations that ended in a function error.",
            self.function_errors.load(Ordering::Relaxed),
        );
        counter(
            "stratus_throttles_total",
            "Invocations refused for concurrency.",
            self.throttles.load(Ordering::Relaxed),
        );
        counter(
            "stratus_cold_starts_total",
            "Execution environments created.",
            self.cold_starts.load(Ordering::Relaxed),
        );
        counter(
            "stratus_cold_start_sandbox_setup_microseconds_total",
            "Time creating sandboxes, until the runtime was started.",
            self.sandbox_setup_us.load(Ordering::Relaxed),
        );
        counter(
            "stratus_cold_start_runtime_init_microseconds_total",
            "Time from runtime start to its first /next.",
            self.runtime_init_us.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP stratus_idle_environments Frozen environments waiting for work.\n# TYPE stratus_idle_environments gauge\nstratus_idle_environments {idle_environments}"
        );
        out
    }
}
