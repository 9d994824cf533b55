//! One scrape of `/metrics`: the scrape-time gauges are set, then everything renders.

use std::sync::{Arc, Mutex};

use metrics_exporter_prometheus::PrometheusHandle;
use stratus_engine::Engine;
use stratus_store::Store;

use crate::publish::{self, Seen};

/// Renders `/metrics`; shared by the route (cheap to clone behind an `Arc`).
pub struct Scraper {
    handle: PrometheusHandle,
    engine: Engine,
    store: Arc<dyn Store>,
    seen: Mutex<Seen>,
}

impl std::fmt::Debug for Scraper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scraper").finish_non_exhaustive()
    }
}

impl Scraper {
    /// A scraper rendering from `handle` (see [`crate::install`]), with the gauges of
    /// `engine` and the queue of `store`.
    pub fn new(handle: PrometheusHandle, engine: Engine, store: Arc<dyn Store>) -> Self {
        Self {
            handle,
            engine,
            store,
            seen: Mutex::default(),
        }
    }

    /// The Prometheus text of every metric, with the gauges read now. The queue is read
    /// on the store's read pool; invocations only meet the scrape in the engine's
    /// admission and pool locks, held for a count.
    pub async fn render(&self) -> String {
        let queue = match self.store.queue_stats().await {
            Ok(stats) => Some(stats),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the async queue for /metrics");
                None
            }
        };
        let gauges = self.engine.gauges();
        let provisioned = self.engine.provisioned_usage();
        if let Ok(mut seen) = self.seen.lock() {
            publish::engine(&gauges, &mut seen);
            publish::provisioned(&provisioned, &mut seen);
            if let Some(stats) = &queue {
                publish::queue(stats, chrono::Utc::now(), &mut seen);
            }
        }
        publish::memory(crate::process::resident_memory_bytes());
        self.handle.render()
    }
}
