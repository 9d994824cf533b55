//! Provisioned concurrency, the work: environments initialised ahead of invocations, kept
//! at the number each config asks for.
//!
//! A background task ([`run`]) wakes whenever a config changes or a provisioned
//! environment ends (its [`Member`] is dropped), and once a second. Each pass starts the
//! environments a part lacks and destroys idle ones beyond what it wants. A provisioned
//! environment is created with `AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`,
//! writes its INIT_START and init output to its log stream at once (the stream exists
//! before any invocation), and reports no `Init Duration` on its invocations. A runtime
//! that fails to initialise marks its config FAILED with the reason; a new Put retries.
//!
//! Provisioned environments count in concurrency like any other once they run an
//! invocation; being warm holds no slot.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use stratus_model::provisioned::{ProvisionSpec, ProvisionedState};

use crate::environment::{Created, InitType};
use crate::invoke::{line, now_iso, stream_name};
use crate::provisioned::{Member, Part, ProvisionedUsage};
use crate::seams::Backend;
use crate::{Engine, Inner};

/// How often the provisioner looks even when nothing woke it.
const TICK: Duration = Duration::from_secs(1);

impl<B: Backend> Engine<B> {
    /// Makes `specs` what `function` keeps warm: environments are started for new or
    /// grown configs and destroyed for removed or shrunk ones (in the background).
    pub fn set_provisioned(&self, function: &str, specs: Vec<ProvisionSpec>) {
        let retired = self.inner.provisioned.set(function, specs);
        for part in retired {
            for env in self.inner.pool.remove_provisioned(&part, usize::MAX) {
                tracing::debug!(function, env = %env.id, "retiring provisioned environment");
                env.destroy();
            }
        }
    }

    /// The live state of the config on `function`'s `qualifier`, if there is one.
    pub fn provisioned_state(&self, function: &str, qualifier: &str) -> Option<ProvisionedState> {
        self.inner.provisioned.state(function, qualifier)
    }

    /// Per function and qualifier with a provisioned concurrency config: environments
    /// requested, allocated (initialised and alive) and in use (running an invocation), by
    /// function then qualifier. Utilisation is `in_use / allocated`. Takes the pool's lock
    /// once per config: for a metrics scrape, not for the invoke path.
    pub fn provisioned_usage(&self) -> Vec<ProvisionedUsage> {
        let pool = &self.inner.pool;
        self.inner.provisioned.usage(|p| pool.idle_provisioned(p))
    }
}

/// The provisioner's loop; ends with the engine.
pub(crate) async fn run<B: Backend>(inner: Weak<Inner<B>>) {
    let Some(wake) = inner.upgrade().map(|i| Arc::clone(&i.provisioned.wake)) else {
        return;
    };
    loop {
        let _ = tokio::time::timeout(TICK, wake.notified()).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if inner.provisioned.closed.load(Ordering::Acquire) {
            return;
        }
        inner.provision();
    }
}

impl<B: Backend> Inner<B> {
    /// One pass: starts what parts lack, destroys idle environments they do not want.
    fn provision(self: &Arc<Self>) {
        for part in self.provisioned.parts() {
            let wanted = part.wanted.load(Ordering::Acquire);
            let alive = part.alive.load(Ordering::Acquire);
            let starting = part.starting.load(Ordering::Acquire);
            for _ in (alive + starting)..wanted {
                part.starting.fetch_add(1, Ordering::AcqRel);
                let (inner, part) = (Arc::clone(self), Arc::clone(&part));
                tokio::spawn(async move { inner.start_provisioned(part).await });
            }
            if alive > wanted {
                for env in self.pool.remove_provisioned(&part, alive - wanted) {
                    tracing::debug!(function = %part.key.function, env = %env.id, "provisioned concurrency shrunk");
                    env.destroy();
                }
            }
        }
    }

    /// Initialises one environment for `part` and puts it in the pool.
    async fn start_provisioned(self: Arc<Self>, part: Arc<Part>) {
        let f = &part.version;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let stream = stream_name(f, &id);
        let init_id = uuid::Uuid::new_v4().to_string();
        let memory = match self
            .hold_memory(&f.function_name, f.settings.memory_size)
            .await
        {
            Ok(memory) => memory,
            Err(_) => {
                part.starting.fetch_sub(1, Ordering::AcqRel);
                self.provisioned.fail(
                    &part.config,
                    format!(
                        "Not enough host memory: busy environments hold {} of the {} MB they may (see --memory-overcommit)",
                        self.capacity.held_mb(),
                        self.capacity.limit_mb()
                    ),
                );
                return;
            }
        };
        let uid = match self.hold_uid(&f.function_name).await {
            Ok(uid) => uid,
            Err(_) => {
                part.starting.fetch_sub(1, Ordering::AcqRel);
                self.provisioned.fail(
                    &part.config,
                    format!(
                        "No function user left: busy environments hold all {} uids of --function-uids",
                        self.uids.size()
                    ),
                );
                return;
            }
        };
        let log = self.log_target(f, stream.clone());
        let created = self
            .backend
            .create(f, &init_id, id, log, InitType::Provisioned, uid)
            .await;
        let group = &f.settings.logging.log_group;
        match created {
            Ok(Created::Ready(mut env)) => {
                env.memory = Some(memory);
                // Counted as alive before it stops counting as starting: never both zero.
                env.provisioned = Some(Member::join(
                    Arc::clone(&part),
                    Arc::clone(&self.provisioned.wake),
                ));
                part.starting.fetch_sub(1, Ordering::AcqRel);
                env.pending_init = None;
                // INIT_START and the init output, so that the stream exists at once.
                env.output.flush();
                tracing::debug!(function = %f.function_name, version = %f.version, env = %env.id, "provisioned environment ready");
                if self.provisioned.closed.load(Ordering::Acquire) {
                    env.destroy();
                } else {
                    self.pool.put(part.key.clone(), *env);
                }
            }
            Ok(Created::InitFailed {
                error_type,
                body,
                lines,
            }) => {
                part.starting.fetch_sub(1, Ordering::AcqRel);
                let mut log = lines;
                log.push(line(format!(
                    "{} {init_id} Init failed: {error_type}",
                    now_iso()
                )));
                self.logs.append(group, &stream, &log);
                let detail = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned))
                    .unwrap_or_default();
                tracing::warn!(function = %f.function_name, version = %f.version, error_type, "provisioned environment failed to initialise");
                self.provisioned.fail(
                    &part.config,
                    format!("FUNCTION_ERROR_INIT_FAILURE: {error_type}: {detail}"),
                );
            }
            Err(e) => {
                part.starting.fetch_sub(1, Ordering::AcqRel);
                tracing::error!(function = %f.function_name, version = %f.version, error = %e, "cannot create a provisioned environment");
                self.provisioned.fail(
                    &part.config,
                    "An internal error occurred while initialising environments".to_owned(),
                );
            }
        }
    }
}
