//! One execution environment: a sandbox, its Runtime API and its captured output.
//!
//! Made by a [`Backend`] on a cold start (the real one in [`crate::cold_start`]), then used
//! for one invocation at a time, frozen between invocations and thawed on reuse, until it
//! breaks, idles too long, reaches the end of its lifetime ([`crate::lifetime`]) or its
//! function changes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use stratus_logs::capture::Capture;
use stratus_sandbox::ExitStatus;

use crate::seams::{Backend, Jail, Runtime};

/// How long a runtime may take to reach its first `/next`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an environment is initialised (`AWS_LAMBDA_INITIALIZATION_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitType {
    /// For an invocation that found no idle environment.
    OnDemand,
    /// Ahead of invocations, for a provisioned concurrency config.
    Provisioned,
}

impl InitType {
    /// The variable's value.
    pub fn as_str(self) -> &'static str {
        match self {
            InitType::OnDemand => "on-demand",
            InitType::Provisioned => "provisioned-concurrency",
        }
    }
}

/// What creating an environment produced.
pub enum Created<B: Backend> {
    /// Ready for invocations.
    Ready(Box<Environment<B>>),
    /// The runtime failed to initialise: the error to return, and what it printed.
    InitFailed {
        /// Lambda's error type for the failure.
        error_type: String,
        /// The error body to return.
        body: bytes::Bytes,
        /// Its output, for the log.
        lines: Vec<(i64, String)>,
    },
}

/// A live environment.
pub struct Environment<B: Backend> {
    /// 32 hex digits.
    pub id: String,
    /// `YYYY/MM/DD/[VERSION]<id>`.
    pub log_stream: String,
    /// Sandbox creation until the runtime could be started.
    pub sandbox_setup: Duration,
    /// Runtime start until its first `/next`.
    pub runtime_init: Duration,
    /// Set until the first invocation has reported it.
    pub pending_init: Option<Duration>,
    /// When the runtime became ready.
    pub created: Instant,
    /// Invocations it has run.
    pub invocations: u64,
    /// When it last finished an invocation.
    pub idle_since: Instant,
    /// Whether its cgroup is frozen right now.
    pub frozen: bool,
    pub(crate) sandbox: B::Jail,
    pub(crate) api: B::Runtime,
    pub(crate) output: Capture,
    /// Set on a provisioned environment: counts it in its config while it lives.
    pub(crate) provisioned: Option<crate::provisioned::Member>,
    /// Its metric handles, for the resource it was last invoked through.
    pub(crate) metrics: Option<crate::metrics::InvokeHandles>,
    /// Its function's memory, held against the host's capacity until it is gone.
    pub(crate) memory: Option<crate::capacity::MemoryLease>,
    /// The uid it runs as. Declared after `sandbox`: fields drop in order, so on every
    /// path (destroy, or a plain drop, whose sandbox kills itself) the sandbox's processes
    /// are dead before the uid is given back to be reused.
    pub(crate) uid: crate::uids::UidLease,
}

impl<B: Backend> std::fmt::Debug for Environment<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment").field("id", &self.id).finish()
    }
}

impl<B: Backend> Environment<B> {
    /// A ready environment whose runtime has just reached its first `/next`.
    pub(crate) fn ready(
        id: String,
        log_stream: String,
        (sandbox_setup, runtime_init): (Duration, Duration),
        (sandbox, uid): (B::Jail, crate::uids::UidLease),
        api: B::Runtime,
        output: Capture,
    ) -> Self {
        let now = Instant::now();
        Self {
            id,
            log_stream,
            sandbox_setup,
            runtime_init,
            pending_init: Some(sandbox_setup + runtime_init),
            created: now,
            invocations: 0,
            idle_since: now,
            frozen: false,
            sandbox,
            api,
            output,
            provisioned: None,
            metrics: None,
            memory: None,
            uid,
        }
    }

    /// Stops the environment for good, on the current (blocking) thread; its uid is given
    /// back once its processes are gone.
    pub fn destroy_blocking(mut self) {
        self.api.shutdown();
        if let Err(e) = self.sandbox.kill() {
            tracing::warn!(env = %self.id, error = %e, "environment did not die cleanly");
        }
    }

    /// The uid the environment runs as.
    pub fn uid(&self) -> u32 {
        self.uid.uid()
    }

    /// Stops the environment for good (the blocking kill runs off the async workers). A
    /// provisioned environment stops counting in its config at once, not when the kill is
    /// done: otherwise a shrink could see it still alive and destroy one more.
    pub fn destroy(mut self) {
        drop(self.provisioned.take());
        self.api.shutdown();
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn_blocking(move || self.destroy_blocking());
            }
            Err(_) => self.destroy_blocking(),
        }
    }
}

/// Host paths an environment mounts.
#[derive(Debug, Clone)]
pub struct Mounts {
    /// Unpacked code.
    pub task_root: PathBuf,
    /// Unpacked layers in attach order.
    pub layers: Vec<PathBuf>,
    /// Bundled runtime files.
    pub runtime_dir: Option<PathBuf>,
}

/// How the environment's runtime ended, in Lambda's words (`exit status 1`, `signal: killed`).
/// Called once its output closed; the exit may take a moment to be reaped.
pub(crate) async fn exit_description(sandbox: &mut impl Jail) -> String {
    for _ in 0..100 {
        match sandbox.try_wait() {
            Ok(Some(ExitStatus::Exited(code))) => return format!("exit status {code}"),
            Ok(Some(ExitStatus::Signaled(9))) => return "signal: killed".to_owned(),
            Ok(Some(ExitStatus::Signaled(sig))) => return format!("signal: {sig}"),
            Ok(None) => tokio::time::sleep(Duration::from_millis(2)).await,
            Err(_) => break,
        }
    }
    "Runtime exited without providing a reason".to_owned()
}
