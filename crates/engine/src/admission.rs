//! Concurrency admission: the account limit and each function's reserved concurrency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::EngineError;
use crate::failure::PlatformError;
use crate::seams::Backend;
use crate::Engine;

/// In-flight counts.
#[derive(Debug, Default)]
pub struct Running {
    total: usize,
    /// Of `total`, slots of functions without reserved concurrency (for metrics).
    unreserved: usize,
    per_function: HashMap<String, usize>,
}

/// Holds one concurrency slot; released on drop.
#[derive(Debug)]
pub struct Slot {
    running: Arc<Mutex<Running>>,
    function: String,
    unreserved: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut r) = self.running.lock() {
            r.total = r.total.saturating_sub(1);
            if self.unreserved {
                r.unreserved = r.unreserved.saturating_sub(1);
            }
            if let Some(n) = r.per_function.get_mut(&self.function) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    r.per_function.remove(&self.function);
                }
            }
        }
    }
}

impl<B: Backend> Engine<B> {
    /// Takes a slot for `function`, or refuses with Lambda's throttling reason. A function
    /// with a reservation is held to it (and always has it: the others share only what no
    /// reservation holds); one without is held to `unreserved_pool`, when given.
    pub(crate) fn admit(
        &self,
        function: &str,
        reserved: Option<i64>,
        unreserved_pool: Option<i64>,
    ) -> Result<Slot, EngineError> {
        let mut r =
            self.inner.running.lock().map_err(|_| {
                EngineError::platform(function, PlatformError::Poisoned("admission"))
            })?;
        let mine = r.per_function.get(function).copied().unwrap_or(0);
        if let Some(limit) = reserved {
            if mine as i64 >= limit {
                return Err(EngineError::Throttled(
                    "ReservedFunctionConcurrentInvocationLimitExceeded",
                ));
            }
        }
        let pool_full =
            reserved.is_none() && unreserved_pool.is_some_and(|pool| r.unreserved as i64 >= pool);
        if pool_full || r.total >= self.inner.config.account_concurrency {
            return Err(EngineError::Throttled("ConcurrentInvocationLimitExceeded"));
        }
        r.total += 1;
        r.unreserved += usize::from(reserved.is_none());
        *r.per_function.entry(function.to_owned()).or_insert(0) += 1;
        Ok(Slot {
            running: Arc::clone(&self.inner.running),
            function: function.to_owned(),
            unreserved: reserved.is_none(),
        })
    }

    /// Slots held right now: in all, by functions without a reservation, and per function
    /// (for a metrics scrape).
    pub(crate) fn concurrency(&self) -> (usize, usize, Vec<(String, usize)>) {
        self.inner.running.lock().map_or_else(
            |_| (0, 0, Vec::new()),
            |r| {
                let per = r
                    .per_function
                    .iter()
                    .map(|(f, n)| (f.clone(), *n))
                    .collect();
                (r.total, r.unreserved, per)
            },
        )
    }

    /// Invocations holding a slot right now.
    #[cfg(test)]
    pub(crate) fn running(&self) -> usize {
        self.inner.running.lock().map_or(usize::MAX, |r| r.total)
    }
}

impl<B: Backend> crate::Inner<B> {
    /// A uid of its own for a new environment of `function` (see [`Self::take_or_evict`]).
    pub(crate) async fn hold_uid(
        &self,
        function: &str,
    ) -> Result<crate::uids::UidLease, EngineError> {
        self.take_or_evict(function, "function uids", || self.uids.try_take())
            .await
    }

    /// `memory_mb` of the host's capacity for a new environment of `function` (see
    /// [`Self::take_or_evict`]).
    pub(crate) async fn hold_memory(
        &self,
        function: &str,
        memory_mb: u32,
    ) -> Result<crate::capacity::MemoryLease, EngineError> {
        let mb = u64::from(memory_mb);
        self.take_or_evict(function, "memory", || self.capacity.try_take(mb))
            .await
    }

    /// What `take` hands out: at once when it can, else after evicting idle on-demand
    /// environments, least recently used first, each awaited until it is dead (what it held
    /// comes back only then); throttled (`ConcurrentInvocationLimitExceeded`) when nothing
    /// idle is left. `resource` names what ran out, in the log.
    async fn take_or_evict<L>(
        &self,
        function: &str,
        resource: &'static str,
        mut take: impl FnMut() -> Option<L>,
    ) -> Result<L, EngineError> {
        loop {
            if let Some(lease) = take() {
                return Ok(lease);
            }
            let Some(idle) = self.pool.evict_oldest() else {
                tracing::info!(
                    function,
                    resource,
                    "the host's resource is held by busy environments; invocation throttled"
                );
                return Err(EngineError::Throttled("ConcurrentInvocationLimitExceeded"));
            };
            tracing::debug!(function, resource, env = %idle.id, "idle environment evicted to make room");
            tokio::task::spawn_blocking(move || idle.destroy_blocking())
                .await
                .map_err(|e| {
                    EngineError::platform(function, PlatformError::join("evict an environment")(e))
                })?;
        }
    }
}
