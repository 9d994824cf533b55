//! Idle environments, keyed by the exact function version and revision they run.
//!
//! A `$LATEST` update changes its revision id, so older environments simply stop matching;
//! [`Pool::retire`] and the reaper destroy them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::environment::Environment;

/// Which environments may serve an invocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    /// Function name.
    pub function: String,
    /// `$LATEST` or a number.
    pub version: String,
    /// The version record's revision.
    pub revision: String,
}

/// Frozen, idle environments.
#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<HashMap<PoolKey, Vec<Environment>>>,
}

impl Pool {
    /// Takes the most recently used idle environment for `key`.
    pub fn take(&self, key: &PoolKey) -> Option<Environment> {
        self.idle.lock().ok()?.get_mut(key)?.pop()
    }

    /// Returns an environment after an invocation.
    pub fn put(&self, key: PoolKey, env: Environment) {
        match self.idle.lock() {
            Ok(mut idle) => idle.entry(key).or_default().push(env),
            Err(_) => env.destroy(),
        }
    }

    /// Removes every idle environment of `function` (all versions), for destruction.
    pub fn retire(&self, function: &str) -> Vec<Environment> {
        let Ok(mut idle) = self.idle.lock() else {
            return Vec::new();
        };
        let keys: Vec<PoolKey> = idle
            .keys()
            .filter(|k| k.function == function)
            .cloned()
            .collect();
        keys.iter()
            .filter_map(|k| idle.remove(k))
            .flatten()
            .collect()
    }

    /// Removes unfrozen environments idle for longer than `after`, to be frozen and put back.
    pub fn to_freeze(&self, after: Duration) -> Vec<(PoolKey, Environment)> {
        let Ok(mut idle) = self.idle.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        let mut out = Vec::new();
        for (key, envs) in idle.iter_mut() {
            let (cold, keep): (Vec<_>, Vec<_>) = envs
                .drain(..)
                .partition(|e| !e.frozen && now.duration_since(e.idle_since) > after);
            *envs = keep;
            out.extend(cold.into_iter().map(|e| (key.clone(), e)));
        }
        idle.retain(|_, v| !v.is_empty());
        out
    }

    /// Removes environments idle for longer than `ttl`, for destruction.
    pub fn expired(&self, ttl: Duration) -> Vec<Environment> {
        let Ok(mut idle) = self.idle.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        let mut out = Vec::new();
        for envs in idle.values_mut() {
            let (old, keep): (Vec<_>, Vec<_>) = envs
                .drain(..)
                .partition(|e| now.duration_since(e.idle_since) > ttl);
            *envs = keep;
            out.extend(old);
        }
        idle.retain(|_, v| !v.is_empty());
        out
    }

    /// Number of idle environments.
    pub fn len(&self) -> usize {
        self.idle
            .lock()
            .map(|i| i.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}
