//! The invoke path: turning "run this function version with this event" into a result.
//!
//! The engine admits the invocation against concurrency limits ([`admission`]), takes a
//! frozen idle environment for the exact function version ([`pool`]) or creates one
//! ([`environment`]: sandbox, Runtime API, captured output), hands the event to the runtime,
//! enforces the timeout, writes Lambda's platform log lines, and freezes the environment for
//! the next invocation. It must not parse HTTP and does not resolve names or aliases: its
//! callers pass the resolved [`stratus_model::FunctionVersion`].

mod admission;
pub mod env_vars;
pub mod environment;
mod error;
mod invoke;
mod metrics;
mod packages;
mod pool;
mod shells;
mod tmp_images;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stratus_artifacts::BlobStore;
use stratus_logs::LogStore;
use stratus_model::FunctionVersion;
use stratus_runtimes::Launch;
use stratus_sandbox::{HostConfig, SandboxConfig};

pub use error::EngineError;
pub use invoke::{InvokeRequest, InvokeResponse};

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
    /// Account-wide concurrent invocations.
    pub account_concurrency: usize,
    /// The unprivileged ids functions run as.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Host side of every sandbox.
    pub host: HostConfig,
    /// CPUs of the host (caps the CPU quota).
    pub cpus: u32,
    /// Sandboxes kept spawned ahead of cold starts (0: each cold start spawns its own).
    pub spare_sandboxes: usize,
}

/// The invoke engine; cheap to clone.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: EngineConfig,
    packages: packages::Packages,
    logs: Arc<LogStore>,
    pool: pool::Pool,
    running: Arc<Mutex<admission::Running>>,
    metrics: metrics::Metrics,
    tmp_images: Option<Arc<tmp_images::TmpImages>>,
    shells: Arc<shells::Shells>,
}

impl Engine {
    /// An engine over the blob store and log store; starts the idle reaper. The spare
    /// sandboxes are spawned by [`Engine::spawn_spares`].
    pub fn new(config: EngineConfig, blobs: Arc<BlobStore>, logs: Arc<LogStore>) -> Self {
        let tmp_images =
            tmp_images::TmpImages::new(config.tmp_images_dir.clone(), config.uid, config.gid);
        let shells = shells::Shells::new(
            config.host.clone(),
            tmp_images.clone(),
            config.spare_sandboxes,
        );
        let engine = Self {
            inner: Arc::new(Inner {
                packages: packages::Packages::new(config.packages_dir.clone(), blobs),
                config,
                logs,
                pool: pool::Pool::default(),
                running: Arc::default(),
                metrics: metrics::Metrics::default(),
                tmp_images,
                shells,
            }),
        };
        let weak = Arc::downgrade(&engine.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FREEZE_AFTER);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                for env in inner.pool.expired(inner.config.idle_ttl) {
                    tracing::debug!(env = %env.id, "reaping idle environment");
                    env.destroy();
                }
                let idle = inner.pool.to_freeze(FREEZE_AFTER);
                if idle.is_empty() {
                    continue;
                }
                let inner = Arc::clone(&inner);
                tokio::task::spawn_blocking(move || {
                    for (key, mut env) in idle {
                        match env.sandbox.freeze() {
                            Ok(()) => {
                                env.frozen = true;
                                inner.pool.put(key, env);
                            }
                            Err(e) => {
                                tracing::warn!(env = %env.id, error = %e, "cannot freeze idle environment; destroying it");
                                env.destroy_blocking();
                            }
                        }
                    }
                });
            }
        });
        engine
    }

    /// Spawns the spare sandboxes in the background (call once the server is serving: the
    /// spawns would otherwise compete with start-up for the CPU).
    pub fn spawn_spares(&self) {
        self.inner.shells.refill();
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
        let envs = self.inner.pool.expired(Duration::ZERO);
        let spares = self.inner.shells.drain();
        let done = tokio::task::spawn_blocking(move || {
            for env in envs {
                env.destroy_blocking();
            }
            drop(spares);
        })
        .await;
        if done.is_err() {
            tracing::warn!("environments may have outlived shutdown");
        }
    }

    /// Prometheus text for `/metrics`.
    pub fn metrics_text(&self) -> String {
        self.inner.metrics.render(self.inner.pool.len())
    }

    /// Idle environments right now.
    pub fn idle_environments(&self) -> usize {
        self.inner.pool.len()
    }

    /// The sandbox of `f`; `ready_tmp_mb` is the size of a `/tmp` the shell has mounted
    /// already, kept when it is the function's size.
    async fn sandbox_config(
        &self,
        f: &FunctionVersion,
        id: &str,
        stream: &str,
        ready_tmp_mb: Option<u32>,
    ) -> Result<SandboxConfig, EngineError> {
        let s = &f.settings;
        let runtime = s
            .runtime
            .clone()
            .unwrap_or_else(|| "provided.al2023".into());
        let task_root = self.inner.packages.tree(&f.code.sha256_hex).await?;
        let mut layers = Vec::with_capacity(s.layers.len());
        for l in &s.layers {
            layers.push(self.inner.packages.tree(&l.sha256_hex).await?);
        }
        let launch = stratus_runtimes::launch_for(&runtime)
            .map_err(|_| EngineError::Runtime(runtime.clone()))?;
        let (argv, runtime_env, runtime_dir) = match launch {
            Launch::Bundled(spec) => (
                spec.argv,
                spec.env,
                Some(self.inner.config.runtime_dir.clone()),
            ),
            Launch::Custom => {
                let boot = packages::custom_bootstrap(&task_root, &layers)
                    .ok_or(EngineError::NoBootstrap)?;
                (vec![boot.to_owned()], Vec::new(), None)
            }
        };
        let tmp_image = match &self.inner.tmp_images {
            _ if ready_tmp_mb == Some(s.ephemeral_storage) => None,
            Some(images) => Some(images.take(s.ephemeral_storage).await?),
            None => None,
        };
        let env = env_vars::build(
            f,
            &env_vars::EnvContext {
                region: &self.inner.config.region,
                log_stream: stream,
                runtime_env: &runtime_env,
            },
        );
        Ok(SandboxConfig {
            id: id.to_owned(),
            task_root,
            layers,
            runtime_dir,
            tmp_size_mb: s.ephemeral_storage,
            tmp_image,
            memory_mb: s.memory_size,
            // Initialise with every CPU, as Lambda boosts init; `Environment::create` applies
            // the memory-proportional share once the runtime is ready.
            cpu_millis: self.inner.config.cpus * 1000,
            pids_max: 1024,
            uid: self.inner.config.uid,
            gid: self.inner.config.gid,
            argv,
            env,
            cwd: "/var/task".into(),
        })
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
