//! Idle environments, keyed by the exact function version and revision they run.
//!
//! A `$LATEST` update changes its revision id, so older environments simply stop matching;
//! [`Pool::retire`] and the reaper destroy them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::environment::Environment;
use crate::seams::Backend;

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

/// Idle environments (frozen once idle for a moment).
pub struct Pool<B: Backend> {
    idle: Mutex<HashMap<PoolKey, Vec<Environment<B>>>>,
}

impl<B: Backend> Default for Pool<B> {
    fn default() -> Self {
        Self {
            idle: Mutex::default(),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Pool<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("idle", &self.len()).finish()
    }
}

impl<B: Backend> Pool<B> {
    /// Takes the most recently used idle environment for `key`.
    pub fn take(&self, key: &PoolKey) -> Option<Environment<B>> {
        self.idle.lock().ok()?.get_mut(key)?.pop()
    }

    /// Returns an environment after an invocation.
    pub fn put(&self, key: PoolKey, env: Environment<B>) {
        match self.idle.lock() {
            Ok(mut idle) => idle.entry(key).or_default().push(env),
            Err(_) => env.destroy(),
        }
    }

    /// Removes every idle environment of `function` (all versions), for destruction.
    pub fn retire(&self, function: &str) -> Vec<Environment<B>> {
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

    /// Removes the environments for which `pick(env, now)` holds, with their keys.
    pub fn remove_where(
        &self,
        mut pick: impl FnMut(&Environment<B>, Instant) -> bool,
    ) -> Vec<(PoolKey, Environment<B>)> {
        let Ok(mut idle) = self.idle.lock() else {
            return Vec::new();
        };
        let now = Instant::now();
        let mut out = Vec::new();
        for (key, envs) in idle.iter_mut() {
            if !envs.iter().any(|e| pick(e, now)) {
                continue;
            }
            let (picked, keep): (Vec<_>, Vec<_>) = envs.drain(..).partition(|e| pick(e, now));
            *envs = keep;
            out.extend(picked.into_iter().map(|e| (key.clone(), e)));
        }
        idle.retain(|_, v| !v.is_empty());
        out
    }

    /// Idle environments not frozen yet, frozen ones, and the functions they belong to.
    pub fn census(&self) -> (usize, usize, Vec<String>) {
        let Ok(idle) = self.idle.lock() else {
            return (0, 0, Vec::new());
        };
        let frozen = idle.values().flatten().filter(|e| e.frozen).count();
        let all: usize = idle.values().map(Vec::len).sum();
        let functions = idle.keys().map(|k| k.function.clone()).collect();
        (all - frozen, frozen, functions)
    }

    /// Number of idle environments.
    pub fn len(&self) -> usize {
        self.idle
            .lock()
            .map(|i| i.values().map(Vec::len).sum())
            .unwrap_or(0)
    }
}
