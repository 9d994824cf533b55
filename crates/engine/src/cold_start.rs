//! Making a real environment from a spare shell: the shell is assigned the function, the
//! Runtime API is served on its listener, its output is captured into its log stream
//! (before the runtime starts, so INIT_START comes first), and the runtime is started and
//! awaited up to its first `/next`.
//!
//! The future may be dropped at any await (the caller went away): the sandbox is then killed
//! on a blocking thread, never on the async worker that dropped it.

use std::time::Instant;

use stratus_logs::capture::{Capture, Target};
use stratus_runtime_api::{InitFailure, RuntimeApi};
use stratus_sandbox::{HostConfig, Sandbox, SandboxConfig, SandboxError};

use crate::environment::{exit_description, Created, Environment, INIT_TIMEOUT};
use crate::error::function_error;
use crate::failure::PlatformError;
use crate::real::Real;
use crate::shells::Spare;
use crate::uids::UidLease;

/// A sandbox and the uid it runs as, killed off the async workers if dropped before they
/// are handed on; the uid is given back only once the kill is done.
struct Pending(Option<(Sandbox, UidLease)>);

impl Pending {
    fn get(&mut self) -> Result<&mut Sandbox, PlatformError> {
        self.0
            .as_mut()
            .map(|(sandbox, _)| sandbox)
            .ok_or(PlatformError::sandbox("start")(SandboxError::NotRunning))
    }

    fn into_inner(mut self) -> Result<(Sandbox, UidLease), PlatformError> {
        self.0
            .take()
            .ok_or(PlatformError::sandbox("start")(SandboxError::NotRunning))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let Some((mut sandbox, uid)) = self.0.take() else {
            return;
        };
        let kill = move || {
            if let Err(e) = sandbox.kill() {
                tracing::warn!(env = %sandbox.id(), error = %e, "sandbox did not die cleanly");
            }
            drop(uid);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(kill)),
            Err(_) => kill(),
        }
    }
}

/// Makes `shell` (with its Runtime API listener) the sandbox of `cfg`, running as `uid`,
/// starts the runtime and waits for its first `/next`.
pub(crate) async fn create(
    id: String,
    log: Target,
    cfg: SandboxConfig,
    (shell, listener): Spare,
    host: &HostConfig,
    uid: UidLease,
) -> Result<Created<Real>, PlatformError> {
    let started = Instant::now();
    // A shell that fails to be assigned is killed as it drops (before `uid` is).
    let mut sandbox = Pending(Some((
        shell
            .assign(&cfg, host)
            .map_err(PlatformError::sandbox("assign"))?,
        uid,
    )));
    let prepared = started.elapsed();
    let api = RuntimeApi::serve(listener, Default::default()).map_err(PlatformError::RuntimeApi)?;
    let sb = sandbox.get()?;
    let (Some(stdout), Some(stderr)) = (sb.stdout(), sb.stderr()) else {
        return Err(PlatformError::OutputPipes);
    };
    let log_stream = log.stream.clone();
    let output = Capture::start(stdout, stderr, log).map_err(PlatformError::Capture)?;
    // `start` waits (about a millisecond) for the child's setup; keep the worker usable.
    match tokio::task::block_in_place(|| sb.start()) {
        Ok(()) => {}
        // The runtime's entry point could not be executed: the function's fault.
        Err(SandboxError::Setup { step, errno }) if step == "execve" => {
            api.shutdown();
            let program = cfg.argv.first().cloned().unwrap_or_default();
            return Ok(Created::InitFailed {
                error_type: "Runtime.InvalidEntrypoint".into(),
                body: function_error(
                    "Runtime.InvalidEntrypoint",
                    &format!("RequestId: {id} Error: cannot execute {program}: {errno}"),
                ),
                lines: output.take_all(),
            });
        }
        Err(e) => return Err(PlatformError::sandbox("start")(e)),
    }
    let sandbox_setup = started.elapsed();
    tracing::debug!(env = %id, prepare_us = prepared.as_micros() as u64, total_us = sandbox_setup.as_micros() as u64, "sandbox set up");
    let init_started = Instant::now();
    let failure = tokio::select! {
        r = tokio::time::timeout(INIT_TIMEOUT, api.ready()) => match r {
            Ok(Ok(())) => None,
            Ok(Err(InitFailure { error_type, body })) => Some((error_type.unwrap_or_else(|| "Runtime.Unknown".into()), body)),
            Err(_) => Some(("Runtime.InitTimeout".to_owned(), function_error(
                "Runtime.InitTimeout",
                &format!("The runtime did not become ready within {} seconds", INIT_TIMEOUT.as_secs()),
            ))),
        },
        () = output.closed() => {
            let status = exit_description(sandbox.get()?).await;
            Some(("Runtime.ExitError".to_owned(), function_error(
                "Runtime.ExitError",
                &format!("RequestId: {id} Error: Runtime exited with error: {status}"),
            )))
        }
    };
    if let Some((error_type, body)) = failure {
        let lines = output.take_all();
        api.shutdown();
        // `sandbox` is killed off this worker as it goes out of scope.
        return Ok(Created::InitFailed {
            error_type,
            body,
            lines,
        });
    }
    let runtime_init = init_started.elapsed();
    tracing::debug!(env = %id, setup_us = sandbox_setup.as_micros() as u64, init_us = runtime_init.as_micros() as u64, "environment ready");
    Ok(Created::Ready(Box::new(Environment::ready(
        id,
        log_stream,
        (sandbox_setup, runtime_init),
        sandbox.into_inner()?,
        api,
        output,
    ))))
}
