//! The invoke path: turning "run this function version with this event" into a result.
//!
//! The engine admits the invocation against concurrency limits ([`admission`]), takes a
//! frozen idle environment for the exact function version ([`pool`]) or creates one
//! ([`environment`]: sandbox, Runtime API, captured output), hands the event to the runtime,
//! enforces the timeout, writes Lambda's platform log lines, and freezes the environment for
//! the next invocation. It must not parse HTTP and does not resolve names or aliases: its
//! callers pass the resolved [`stratus_model::FunctionVersion`].
//!
//! The engine is generic over a [`seams::Backend`] that makes environments: [`real::Real`]
//! (sandboxes on this host, the default) in the server, a scripted fake in the unit tests,
//! so the pool, admission, lifetime and cancellation rules are tested without root. An
//! invocation whose caller goes away mid-flight is cleaned up by [`guard`]; environments
//! are retired after a number of invocations or an age ([`lifetime`]). Provisioned
//! concurrency keeps environments initialised ahead of invocations ([`provisioned`] counts
//! them, [`provisioner`] makes and retires them). Every live environment runs as a uid of
//! its own from a configured range ([`uids`]).

mod admission;
pub mod capacity;
mod cold_start;
pub mod env_vars;
pub mod environment;
mod error;
mod failure;
mod guard;
mod invoke;
mod lifetime;
mod metrics;
mod packages;
mod pool;
mod provisioned;
mod provisioner;
pub mod real;
pub mod seams;
mod shells;
mod tmp_images;
pub mod uids;

#[cfg(test)]
mod capacity_tests;
#[cfg(test)]
mod fake;
#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod provisioned_tests;
#[cfg(test)]
mod uids_tests;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stratus_artifacts::BlobStore;
use stratus_logs::capture::Target;
use stratus_logs::LogStore;
use stratus_sandbox::HostConfig;

pub use environment::InitType;
pub use error::EngineError;
pub use failure::PlatformError;
pub use invoke::{InvokeRequest, InvokeResponse};
pub use lifetime::{Lifetime, DEFAULT_MAX_AGE, DEFAULT_MAX_INVOCATIONS};
pub use metrics::{names as metric_names, EngineGauges};
pub use provisioned::ProvisionedUsage;

use crate::real::Real;
use crate::seams::{Backend, Jail, LogSink};

/// An environment idle this long is frozen (the cgroup freezer stops all its processes).
/// Freezing right after every invocation would put two cgroup writes and a wait for the
/// kernel on the hot path of back-to-back invocations; freezing once idle keeps the model
/// (no work while idle) without that cost.
const FREEZE_AFTER: Duration = Duration::from_millis(100);

/// One vCPU per this many MB of memory, as in Lambda.
const MB_PER_VCPU: u64 = 1769;

/// The CPU share (thousandths of a CPU) a function of `memory_mb` runs with.
pub(crate) fn cpu_millis_for(memory_mb: u32, cpus: u32) -> u32 {
    (u64::from(memory_mb) * 1000 / MB_PER_VCPU).clamp(50, u64::from(cpus) * 1000) as u32
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region, for environment variables and log lines.
    pub region: String,
    /// Where packages are unpacked.
    pub packages_dir: PathBuf,
    /// Where the bundled runtimes are installed.
    pub runtime_dir: PathBuf,
    /// Where `/tmp` filesystem images are made.
    pub tmp_images_dir: PathBuf,
    /// How long an idle environment is kept.
    pub idle_ttl: Duration,
    /// How many invocations and how long an environment serves at most.
    pub lifetime: Lifetime,
    /// Account-wide concurrent invocations.
    pub account_concurrency: usize,
    /// The unprivileged uids environments run as, one each ([`uids`]); each runs with the
    /// gid of the same number.
    pub uids: std::ops::RangeInclusive<u32>,
    /// Host side of every sandbox.
    pub host: HostConfig,
    /// CPUs of the host (caps the CPU quota).
    pub cpus: u32,
    /// Sandboxes kept spawned ahead of cold starts (0: each cold start spawns its own).
    pub spare_sandboxes: usize,
    /// The memory live environments may hold in all (their functions' `MemorySize`), in
    /// MB: the host's memory times the overcommit setting ([`capacity`]).
    pub memory_limit_mb: u64,
    /// Most bytes of a function's output kept per invocation (and during init); the rest
    /// is counted, dropped and reported by one line in the log stream.
    pub log_limit_per_invocation: u64,
}

/// The invoke engine over a [`Backend`] (sandboxes on this host unless a test says
/// otherwise); cheap to clone.
pub struct Engine<B: Backend = Real> {
    inner: Arc<Inner<B>>,
}

impl<B: Backend> Clone for Engine<B> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Engine<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("pool", &self.inner.pool)
            .finish_non_exhaustive()
    }
}

struct Inner<B: Backend> {
    config: EngineConfig,
    backend: B,
    logs: Arc<dyn LogSink>,
    pool: pool::Pool<B>,
    running: Arc<Mutex<admission::Running>>,
    provisioned: provisioned::Registry,
    busy: metrics::Busy,
    capacity: Arc<capacity::Capacity>,
    uids: Arc<uids::Uids>,
}

impl Engine {
    /// An engine over the blob store and log store; starts the idle reaper. The spare
    /// sandboxes are spawned by [`Engine::spawn_spares`].
    pub fn new(config: EngineConfig, blobs: Arc<BlobStore>, logs: Arc<LogStore>) -> Self {
        let backend = Real::new(&config, blobs);
        Self::with_backend(config, backend, logs)
    }
}

impl<B: Backend> Engine<B> {
    /// An engine making its environments with `backend`; starts the idle reaper (inside a
    /// tokio runtime).
    pub fn with_backend(config: EngineConfig, backend: B, logs: Arc<dyn LogSink>) -> Self {
        let engine = Self {
            inner: Arc::new(Inner {
                backend,
                logs,
                pool: pool::Pool::default(),
                running: Arc::default(),
                provisioned: provisioned::Registry::default(),
                busy: metrics::Busy::default(),
                capacity: capacity::Capacity::new(config.memory_limit_mb),
                uids: uids::Uids::new(config.uids.clone()),
                config,
            }),
        };
        tokio::spawn(provisioner::run(Arc::downgrade(&engine.inner)));
        let weak = Arc::downgrade(&engine.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FREEZE_AFTER);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                inner.reap();
            }
        });
        engine
    }

    /// Spawns the spare sandboxes in the background (call once the server is serving: the
    /// spawns would otherwise compete with start-up for the CPU).
    pub fn spawn_spares(&self) {
        self.inner.backend.prepare_ahead();
    }

    /// Destroys every idle environment of `function` (its code or configuration changed, or
    /// it was deleted).
    pub fn retire(&self, function: &str) {
        for env in self.inner.pool.retire(function) {
            tracing::debug!(function, env = %env.id, "retiring environment");
            env.destroy();
        }
    }

    /// Destroys every idle environment and spare sandbox and waits until they are gone
    /// (shutdown: processes left behind would outlive the server).
    pub async fn shutdown(&self) {
        self.inner
            .provisioned
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        let envs = self.inner.pool.remove_where(|_, _| true);
        let inner = Arc::clone(&self.inner);
        let done = tokio::task::spawn_blocking(move || {
            for (_, env) in envs {
                env.destroy_blocking();
            }
            inner.backend.discard_ahead();
        })
        .await;
        if done.is_err() {
            tracing::warn!("environments may have outlived shutdown");
        }
    }

    /// MB of the host's memory live environments hold now (their functions' MemorySize).
    pub fn memory_held_mb(&self) -> u64 {
        self.inner.capacity.held_mb()
    }

    /// Uids held by live environments right now.
    pub fn uids_held(&self) -> usize {
        self.inner.uids.held()
    }

    /// Idle environments right now.
    pub fn idle_environments(&self) -> usize {
        self.inner.pool.len()
    }
}

impl<B: Backend> Inner<B> {
    /// Where a new environment of `f` logs: `stream` of the function's group, starting
    /// with INIT_START, at most the configured bytes of output per invocation.
    fn log_target(&self, f: &stratus_model::FunctionVersion, stream: String) -> Target {
        Target {
            sink: Arc::clone(&self.logs),
            group: f.settings.logging.log_group.clone(),
            stream,
            invocation_limit: self.config.log_limit_per_invocation,
            opening: vec![invoke::line(stratus_logs::platform::init_start(
                f.settings.runtime.as_deref().unwrap_or("provided"),
                &self.config.region,
            ))],
        }
    }

    /// One pass of the reaper: destroys environments idle past the TTL or at the end of
    /// their lifetime, and freezes those idle for a moment.
    fn reap(self: Arc<Self>) {
        let (ttl, lifetime) = (self.config.idle_ttl, self.config.lifetime);
        // Provisioned environments are never idle too long; at the end of their lifetime
        // they are replaced (their config is told as they go).
        let done = self.pool.remove_where(|e, now| {
            (e.provisioned.is_none() && now.saturating_duration_since(e.idle_since) > ttl)
                || lifetime.spent(e.invocations, e.created, now)
        });
        for (_, env) in done {
            tracing::debug!(env = %env.id, "reaping idle environment");
            env.destroy();
        }
        let idle = self.pool.remove_where(|e, now| {
            !e.frozen && now.saturating_duration_since(e.idle_since) > FREEZE_AFTER
        });
        if idle.is_empty() {
            return;
        }
        tokio::task::spawn_blocking(move || {
            for (key, mut env) in idle {
                match env.sandbox.freeze() {
                    Ok(()) => {
                        env.frozen = true;
                        self.pool.put(key, env);
                    }
                    Err(e) => {
                        tracing::warn!(env = %env.id, error = %e, "cannot freeze idle environment; destroying it");
                        env.destroy_blocking();
                    }
                }
            }
        });
    }
}

/// The HTTP server runs invocations on a work-stealing runtime: the future must be `Send`.
#[allow(dead_code)]
fn invoke_future_is_send(e: &Engine, r: InvokeRequest) {
    fn send<T: Send>(_: T) {}
    send(e.invoke(r));
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_share_follows_memory() {
        assert_eq!(super::cpu_millis_for(1769, 2), 1000);
        assert_eq!(super::cpu_millis_for(128, 2), 72);
        assert_eq!(super::cpu_millis_for(10240, 2), 2000);
        assert_eq!(super::cpu_millis_for(1, 2), 50);
    }
}
