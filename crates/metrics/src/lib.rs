//! Prometheus metrics at `/metrics`: installs the process's recorder for the `metrics`
//! facade ([`install`]), describes every metric Stratus records ([`names`], [`describe`]),
//! and renders a scrape ([`Scraper`]), setting first the gauges that are read only when
//! asked: the engine's concurrency and environments, the async queue's depth per function
//! (from the store's read side), and the server's memory.
//!
//! Counters and histograms are recorded where things happen (the engine's invoke path, the
//! async dispatcher) through the facade; this crate must not be on those paths. Histograms
//! have fixed buckets: recording one pushes the sample on a lock-free bucket, and a scrape
//! (or the upkeep task, every few seconds) folds the samples into bucket counts, so a
//! scrape never holds a lock an invocation waits for.

mod describe;
pub mod names;
mod process;
mod publish;
mod scrape;

use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

pub use describe::describe;
pub use scrape::Scraper;

/// How often samples are folded into histograms when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Why the recorder could not be installed.
#[derive(Debug, thiserror::Error)]
#[error("installing the metrics recorder: {0}")]
pub struct MetricsError(#[from] BuildError);

/// Handler time and other short durations, seconds: 0.5 ms up to Lambda's 15 minutes.
const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0, 900.0,
];

/// Async event ages, seconds: 10 ms up to the 6 hours an event may wait.
const EVENT_AGE_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0,
];

/// A recorder with Stratus's histogram buckets, not installed (tests install it locally).
pub fn recorder() -> Result<metrics_exporter_prometheus::PrometheusRecorder, MetricsError> {
    Ok(PrometheusBuilder::new()
        .set_buckets(DURATION_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(names::ASYNC_EVENT_AGE.to_owned()),
            EVENT_AGE_BUCKETS,
        )?
        .build_recorder())
}

/// Installs the process-wide recorder and describes every metric; call once, before the
/// engine or the dispatcher record anything (a handle taken earlier records nowhere).
/// Starts the upkeep task, so needs a tokio runtime.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    let recorder = recorder()?;
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(BuildError::from)?;
    describe();
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}
