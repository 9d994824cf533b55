//! Provisioned concurrency, the bookkeeping: which environments each config should have and
//! how many it has.
//!
//! A config (function, qualifier) is split into parts, one per version that runs (an alias
//! with weighted routing has two). A part wants a number of environments; each provisioned
//! environment carries a [`Member`] of its part, which counts it while it lives and, when
//! it is dropped (however the environment ended: broken, spent, retired), wakes the
//! provisioner ([`crate::provisioner`]) to replace it. The environments themselves sit in
//! the pool ([`crate::pool`]) beside on-demand ones, and are handed out first.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use stratus_model::provisioned::{ProvisionSpec, ProvisionedState, ProvisionedStatus};
use stratus_model::FunctionVersion;
use tokio::sync::Notify;

use crate::pool::PoolKey;

/// A config: function name and qualifier.
pub(crate) type ConfigKey = (String, String);

/// One version's share of a config.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) config: ConfigKey,
    pub(crate) key: PoolKey,
    pub(crate) version: Arc<FunctionVersion>,
    /// Environments it should have.
    pub(crate) wanted: AtomicUsize,
    /// Environments alive (idle or running an invocation).
    pub(crate) alive: AtomicUsize,
    /// Environments being initialised.
    pub(crate) starting: AtomicUsize,
    /// The config no longer runs this version (or is gone): its environments are destroyed.
    pub(crate) retired: AtomicBool,
}

impl Part {
    /// Whether an environment of this part beyond what it wants exists.
    pub(crate) fn surplus(&self) -> bool {
        self.retired.load(Ordering::Acquire)
            || self.alive.load(Ordering::Acquire) > self.wanted.load(Ordering::Acquire)
    }
}

/// Held by a provisioned environment: counts it in its part while it lives.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) part: Arc<Part>,
    wake: Arc<Notify>,
}

impl Member {
    /// Counts a new environment in `part`.
    pub(crate) fn join(part: Arc<Part>, wake: Arc<Notify>) -> Self {
        part.alive.fetch_add(1, Ordering::AcqRel);
        Self { part, wake }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.part.alive.fetch_sub(1, Ordering::AcqRel);
        self.wake.notify_one();
    }
}

#[derive(Debug)]
struct Config {
    parts: Vec<Arc<Part>>,
    last_modified: String,
    failure: Option<String>,
}

/// Per function and qualifier, what a provisioned concurrency config has (for metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedUsage {
    /// Function name.
    pub function: String,
    /// Version number or alias name the config is on.
    pub qualifier: String,
    /// Environments the config asks for.
    pub requested: usize,
    /// Environments initialised for it.
    pub allocated: usize,
    /// Of those, running an invocation right now.
    pub in_use: usize,
}

/// Every config the engine keeps warm.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    configs: Mutex<HashMap<ConfigKey, Config>>,
    pub(crate) wake: Arc<Notify>,
    /// Set at shutdown: nothing is provisioned any more.
    pub(crate) closed: AtomicBool,
}

impl Registry {
    /// Makes `specs` the configs of `function`; returns the parts no longer wanted (marked
    /// retired, for their environments to be destroyed).
    pub(crate) fn set(&self, function: &str, specs: Vec<ProvisionSpec>) -> Vec<Arc<Part>> {
        let Ok(mut configs) = self.configs.lock() else {
            return Vec::new();
        };
        let keys: Vec<ConfigKey> = configs
            .keys()
            .filter(|k| k.0 == function)
            .cloned()
            .collect();
        let mut previous: HashMap<ConfigKey, Config> = keys
            .into_iter()
            .filter_map(|k| configs.remove(&k).map(|c| (k, c)))
            .collect();
        let mut retired = Vec::new();
        for spec in specs {
            let key = (function.to_owned(), spec.qualifier);
            let old = previous.remove(&key);
            // A new request (Put again) clears an earlier failure.
            let failure = old
                .as_ref()
                .filter(|c| c.last_modified == spec.last_modified)
                .and_then(|c| c.failure.clone());
            let mut old_parts = old.map(|c| c.parts).unwrap_or_default();
            let mut parts = Vec::with_capacity(spec.versions.len());
            for (version, count) in spec.versions {
                let pool_key = PoolKey {
                    function: version.function_name.clone(),
                    version: version.version.to_string(),
                    revision: version.revision_id.clone(),
                };
                let part = match old_parts.iter().position(|p| p.key == pool_key) {
                    Some(i) => old_parts.swap_remove(i),
                    None => Arc::new(Part {
                        config: key.clone(),
                        key: pool_key,
                        version,
                        wanted: AtomicUsize::new(0),
                        alive: AtomicUsize::new(0),
                        starting: AtomicUsize::new(0),
                        retired: AtomicBool::new(false),
                    }),
                };
                part.wanted.store(count, Ordering::Release);
                parts.push(part);
            }
            retired.extend(old_parts);
            configs.insert(
                key,
                Config {
                    parts,
                    last_modified: spec.last_modified,
                    failure,
                },
            );
        }
        retired.extend(previous.into_values().flat_map(|c| c.parts));
        for p in &retired {
            p.wanted.store(0, Ordering::Release);
            p.retired.store(true, Ordering::Release);
        }
        drop(configs);
        self.wake.notify_one();
        retired
    }

    /// The live state of one config.
    pub(crate) fn state(&self, function: &str, qualifier: &str) -> Option<ProvisionedState> {
        let configs = self.configs.lock().ok()?;
        let c = configs.get(&(function.to_owned(), qualifier.to_owned()))?;
        let (mut allocated, mut complete) = (0, true);
        for p in &c.parts {
            let (alive, wanted) = (
                p.alive.load(Ordering::Acquire),
                p.wanted.load(Ordering::Acquire),
            );
            allocated += alive.min(wanted);
            complete &= alive >= wanted;
        }
        let status = match (&c.failure, complete) {
            (Some(_), _) => ProvisionedStatus::Failed,
            (None, true) => ProvisionedStatus::Ready,
            (None, false) => ProvisionedStatus::InProgress,
        };
        Some(ProvisionedState {
            allocated: allocated as i64,
            available: allocated as i64,
            status,
            reason: c.failure.clone(),
        })
    }

    /// Marks a config failed (its environments could not be initialised).
    pub(crate) fn fail(&self, config: &ConfigKey, reason: String) {
        if let Ok(mut configs) = self.configs.lock() {
            if let Some(c) = configs.get_mut(config) {
                c.failure.get_or_insert(reason);
            }
        }
    }

    /// The parts of every config that has not failed.
    pub(crate) fn parts(&self) -> Vec<Arc<Part>> {
        let Ok(configs) = self.configs.lock() else {
            return Vec::new();
        };
        configs
            .values()
            .filter(|c| c.failure.is_none())
            .flat_map(|c| c.parts.iter().cloned())
            .collect()
    }

    /// What each config has; `idle(part)` counts the part's idle environments.
    pub(crate) fn usage(&self, idle: impl Fn(&Arc<Part>) -> usize) -> Vec<ProvisionedUsage> {
        let Ok(configs) = self.configs.lock() else {
            return Vec::new();
        };
        let mut out: Vec<ProvisionedUsage> = configs
            .iter()
            .map(|((function, qualifier), c)| {
                let mut u = ProvisionedUsage {
                    function: function.clone(),
                    qualifier: qualifier.clone(),
                    requested: 0,
                    allocated: 0,
                    in_use: 0,
                };
                for p in &c.parts {
                    let alive = p.alive.load(Ordering::Acquire);
                    u.requested += p.wanted.load(Ordering::Acquire);
                    u.allocated += alive;
                    u.in_use += alive.saturating_sub(idle(p));
                }
                u
            })
            .collect();
        out.sort_by(|a, b| (&a.function, &a.qualifier).cmp(&(&b.function, &b.qualifier)));
        out
    }
}
