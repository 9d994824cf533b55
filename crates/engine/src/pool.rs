//! Idle environments, keyed by the exact function version and revision they run.
//!
//! A `$LATEST` update changes its revision id, so older environments simply stop matching;
//! [`Pool::retire`] and the reaper destroy them. Provisioned environments
//! ([`crate::provisioned`]) of a version are kept apart from its on-demand ones and handed
//! out first; one whose config no longer wants it is destroyed instead of being put back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::environment::Environment;
use crate::provisioned::Part;
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

/// The idle environments of one key.
struct Idle<B: Backend> {
    provisioned: Vec<Environment<B>>,
    on_demand: Vec<Environment<B>>,
}

impl<B: Backend> Default for Idle<B> {
    fn default() -> Self {
        Self {
            provisioned: Vec::new(),
            on_demand: Vec::new(),
        }
    }
}

impl<B: Backend> Idle<B> {
    fn is_empty(&self) -> bool {
        self.provisioned.is_empty() && self.on_demand.is_empty()
    }
}

/// Idle environments (frozen once idle for a moment).
pub struct Pool<B: Backend> {
    idle: Mutex<HashMap<PoolKey, Idle<B>>>,
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
    /// Takes an idle environment for `key`: a provisioned one if any, else the most
    /// recently used on-demand one.
    pub fn take(&self, key: &PoolKey) -> Option<Environment<B>> {
        let mut idle = self.idle.lock().ok()?;
        let envs = idle.get_mut(key)?;
        envs.provisioned.pop().or_else(|| envs.on_demand.pop())
    }

    /// Returns an environment after an invocation (a provisioned one its config no longer
    /// wants is destroyed).
    pub fn put(&self, key: PoolKey, env: Environment<B>) {
        if env.provisioned.as_ref().is_some_and(|m| m.part.surplus()) {
            env.destroy();
            return;
        }
        match self.idle.lock() {
            Ok(mut idle) => {
                let envs = idle.entry(key).or_default();
                match env.provisioned {
                    Some(_) => envs.provisioned.push(env),
                    None => envs.on_demand.push(env),
                }
            }
            Err(_) => env.destroy(),
        }
    }

    /// Removes every idle on-demand environment of `function` (all versions), for
    /// destruction. Provisioned ones run immutable versions and go with their config.
    pub fn retire(&self, function: &str) -> Vec<Environment<B>> {
        let Ok(mut idle) = self.idle.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, envs) in idle.iter_mut() {
            if key.function == function {
                out.append(&mut envs.on_demand);
            }
        }
        idle.retain(|_, v| !v.is_empty());
        out
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
            for list in [&mut envs.provisioned, &mut envs.on_demand] {
                if !list.iter().any(|e| pick(e, now)) {
                    continue;
                }
                let (picked, keep): (Vec<_>, Vec<_>) = list.drain(..).partition(|e| pick(e, now));
                *list = keep;
                out.extend(picked.into_iter().map(|e| (key.clone(), e)));
            }
        }
        idle.retain(|_, v| !v.is_empty());
        out
    }

    /// Removes the on-demand environment idle the longest (to make room on the host; see
    /// [`crate::capacity`]). Provisioned environments are never evicted.
    pub fn evict_oldest(&self) -> Option<Environment<B>> {
        let mut idle = self.idle.lock().ok()?;
        let (key, at) = idle
            .iter()
            .flat_map(|(key, envs)| {
                envs.on_demand
                    .iter()
                    .enumerate()
                    .map(move |(i, e)| (e.idle_since, key, i))
            })
            .min_by_key(|(since, _, _)| *since)
            .map(|(_, key, i)| (key.clone(), i))?;
        let envs = idle.get_mut(&key)?;
        let env = envs.on_demand.remove(at);
        if envs.is_empty() {
            idle.remove(&key);
        }
        Some(env)
    }

    /// Removes up to `n` idle environments of a provisioned part.
    pub(crate) fn remove_provisioned(&self, part: &Arc<Part>, n: usize) -> Vec<Environment<B>> {
        let Ok(mut idle) = self.idle.lock() else {
            return Vec::new();
        };
        let Some(envs) = idle.get_mut(&part.key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < envs.provisioned.len() && out.len() < n {
            if is_of(&envs.provisioned[i], part) {
                out.push(envs.provisioned.swap_remove(i));
            } else {
                i += 1;
            }
        }
        out
    }

    /// Idle environments of a provisioned part.
    pub(crate) fn idle_provisioned(&self, part: &Arc<Part>) -> usize {
        self.idle.lock().map_or(0, |idle| {
            idle.get(&part.key).map_or(0, |e| {
                e.provisioned.iter().filter(|e| is_of(e, part)).count()
            })
        })
    }

    /// Idle environments not frozen yet, frozen ones, and the functions they belong to.
    pub fn census(&self) -> (usize, usize, Vec<String>) {
        let Ok(idle) = self.idle.lock() else {
            return (0, 0, Vec::new());
        };
        let envs = || {
            idle.values()
                .flat_map(|i| i.provisioned.iter().chain(&i.on_demand))
        };
        let frozen = envs().filter(|e| e.frozen).count();
        let all = envs().count();
        let functions = idle.keys().map(|k| k.function.clone()).collect();
        (all - frozen, frozen, functions)
    }

    /// Number of idle environments.
    pub fn len(&self) -> usize {
        self.idle
            .lock()
            .map(|i| {
                i.values()
                    .map(|e| e.provisioned.len() + e.on_demand.len())
                    .sum()
            })
            .unwrap_or(0)
    }
}

fn is_of<B: Backend>(env: &Environment<B>, part: &Arc<Part>) -> bool {
    env.provisioned
        .as_ref()
        .is_some_and(|m| Arc::ptr_eq(&m.part, part))
}
