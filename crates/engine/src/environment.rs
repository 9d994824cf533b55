//! One execution environment: a sandbox, its Runtime API and its captured output.
//!
//! Created cold by [`Environment::create`] from a spare shell ([`crate::shells`]): the
//! shell is assigned the function, then the runtime initialises up to its first `/next`;
//! then used for one invocation at a time, frozen between invocations and thawed on reuse.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use stratus_logs::capture::Capture;
use stratus_runtime_api::{InitFailure, RuntimeApi};
use stratus_sandbox::{ExitStatus, HostConfig, Sandbox, SandboxConfig, SandboxError};

use crate::error::EngineError;
use crate::shells::Spare;

/// How long a runtime may take to reach its first `/next`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What creating an environment produced.
pub enum Created {
    /// Ready for invocations.
    Ready(Box<Environment>),
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
pub struct Environment {
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
    /// When it last finished an invocation.
    pub idle_since: Instant,
    /// Whether its cgroup is frozen right now.
    pub frozen: bool,
    pub(crate) sandbox: Sandbox,
    pub(crate) api: RuntimeApi,
    pub(crate) output: Capture,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment").field("id", &self.id).finish()
    }
}

impl Environment {
    /// Makes `shell` (with its Runtime API listener) the sandbox of `cfg`, starts the
    /// runtime and waits for its first `/next`.
    pub(crate) async fn create(
        id: String,
        log_stream: String,
        cfg: SandboxConfig,
        (shell, listener): Spare,
        host: &HostConfig,
    ) -> Result<Created, EngineError> {
        let started = Instant::now();
        let mut sandbox = shell
            .assign(&cfg, host)
            .map_err(|e| EngineError::Sandbox(e.to_string()))?;
        let prepared = started.elapsed();
        let api = RuntimeApi::serve(listener, Default::default())
            .map_err(|e| EngineError::RuntimeApi(e.to_string()))?;
        let (Some(stdout), Some(stderr)) = (sandbox.stdout(), sandbox.stderr()) else {
            return Err(EngineError::Sandbox("sandbox output pipes missing".into()));
        };
        let output =
            Capture::start(stdout, stderr).map_err(|e| EngineError::Sandbox(e.to_string()))?;
        // `start` waits (about a millisecond) for the child's setup; keep the worker usable.
        match tokio::task::block_in_place(|| sandbox.start()) {
            Ok(()) => {}
            // The runtime's entry point could not be executed: the function's fault.
            Err(SandboxError::Setup { step, errno }) if step == "execve" => {
                api.shutdown();
                let _ = sandbox.kill();
                let program = cfg.argv.first().cloned().unwrap_or_default();
                return Ok(Created::InitFailed {
                    error_type: "Runtime.InvalidEntrypoint".into(),
                    body: crate::error::function_error(
                        "Runtime.InvalidEntrypoint",
                        &format!("RequestId: {id} Error: cannot execute {program}: {errno}"),
                    ),
                    lines: Vec::new(),
                });
            }
            Err(e) => return Err(EngineError::Sandbox(e.to_string())),
        }
        let sandbox_setup = started.elapsed();
        tracing::debug!(env = %id, prepare_us = prepared.as_micros() as u64, total_us = sandbox_setup.as_micros() as u64, "sandbox set up");
        let init_started = Instant::now();
        let failure = tokio::select! {
            r = tokio::time::timeout(INIT_TIMEOUT, api.ready()) => match r {
                Ok(Ok(())) => None,
                Ok(Err(InitFailure { error_type, body })) => Some((error_type.unwrap_or_else(|| "Runtime.Unknown".into()), body)),
                Err(_) => Some(("Runtime.InitTimeout".to_owned(), crate::error::function_error(
                    "Runtime.InitTimeout",
                    &format!("The runtime did not become ready within {} seconds", INIT_TIMEOUT.as_secs()),
                ))),
            },
            () = output.closed() => {
                let status = exit_description(&mut sandbox).await;
                Some(("Runtime.ExitError".to_owned(), crate::error::function_error(
                    "Runtime.ExitError",
                    &format!("RequestId: {id} Error: Runtime exited with error: {status}"),
                )))
            }
        };
        if let Some((error_type, body)) = failure {
            let lines = output.drain(true);
            api.shutdown();
            let _ = sandbox.kill();
            return Ok(Created::InitFailed {
                error_type,
                body,
                lines,
            });
        }
        let runtime_init = init_started.elapsed();
        tracing::debug!(env = %id, setup_us = sandbox_setup.as_micros() as u64, init_us = runtime_init.as_micros() as u64, "environment ready");
        Ok(Created::Ready(Box::new(Environment {
            id,
            log_stream,
            sandbox_setup,
            runtime_init,
            pending_init: Some(sandbox_setup + runtime_init),
            idle_since: Instant::now(),
            frozen: false,
            sandbox,
            api,
            output,
        })))
    }

    /// Stops the environment for good, on the current (blocking) thread.
    pub fn destroy_blocking(mut self) {
        self.api.shutdown();
        if let Err(e) = self.sandbox.kill() {
            tracing::warn!(env = %self.id, error = %e, "environment did not die cleanly");
        }
    }

    /// Stops the environment for good (the blocking kill runs off the async workers).
    pub fn destroy(mut self) {
        self.api.shutdown();
        tokio::task::spawn_blocking(move || {
            if let Err(e) = self.sandbox.kill() {
                tracing::warn!(env = %self.id, error = %e, "environment did not die cleanly");
            }
        });
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
pub(crate) async fn exit_description(sandbox: &mut Sandbox) -> String {
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
