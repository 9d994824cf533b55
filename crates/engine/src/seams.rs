//! What the engine needs from the world, as small traits: a sandbox ([`Jail`]), its Runtime
//! API ([`Runtime`]), the log store ([`LogSink`], defined by `stratus-logs`, whose capture
//! writes to it too) and a way to make environments ([`Backend`]). The real
//! implementations wrap [`stratus_sandbox::Sandbox`],
//! [`stratus_runtime_api::RuntimeApi`] and [`stratus_logs::LogStore`] (see [`crate::real`]);
//! the unit tests plug in fakes, so pool, admission and invoke-flow rules run without root.
//!
//! Dispatch is static: the engine is generic over its backend, so the warm path calls the
//! real types directly (no boxing, no vtable) and the invoke future is not boxed either.

use std::future::Future;

use stratus_logs::capture::Target;
use stratus_model::FunctionVersion;
use stratus_runtime_api::{Invocation, InvokeError, Outcome, RuntimeApi};
use stratus_sandbox::{ExitStatus, Sandbox, SandboxError};

use crate::environment::{Created, InitType};
use crate::error::EngineError;
use crate::uids::UidLease;

/// The sandbox operations the engine uses once an environment exists.
pub trait Jail: Send + Sync + 'static {
    /// Freezes every process of the sandbox (waits for the kernel).
    fn freeze(&self) -> Result<(), SandboxError>;
    /// Thaws a frozen sandbox.
    fn thaw(&self) -> Result<(), SandboxError>;
    /// Sets the CPU quota in thousandths of a CPU.
    fn set_cpu_millis(&self, cpu_millis: u32) -> Result<(), SandboxError>;
    /// Peak memory use (after a kill: the last value read).
    fn memory_peak_bytes(&self) -> Result<u64, SandboxError>;
    /// Whether the memory limit killed a process.
    fn oom_killed(&self) -> bool;
    /// How the runtime ended, if it has (never blocks).
    fn try_wait(&mut self) -> Result<Option<ExitStatus>, SandboxError>;
    /// Kills everything in the sandbox and waits for it (blocks: not on an async worker).
    fn kill(&mut self) -> Result<(), SandboxError>;
}

/// The Runtime API operations the engine uses once the runtime is ready.
pub trait Runtime: Send + Sync + 'static {
    /// Hands one invocation to the runtime and resolves with its answer.
    fn invoke(&self, inv: Invocation) -> impl Future<Output = Result<Outcome, InvokeError>> + Send;
    /// Stops serving; a pending invocation fails.
    fn shutdown(&self);
}

/// Where the platform lines and function output of invocations go.
pub use stratus_logs::LogSink;

/// Makes environments (cold starts) and keeps what it prepares ahead of them.
pub trait Backend: Send + Sync + Sized + 'static {
    /// The sandbox type of its environments.
    type Jail: Jail;
    /// The Runtime API type of its environments.
    type Runtime: Runtime;

    /// Creates an environment for `f` with id `id` whose output is captured into `log`
    /// (its stream named by `log.stream`), running as the uid of `uid`, up to the
    /// runtime's first `/next` (or its init failure). The lease goes into the environment;
    /// on a failure it must be dropped only once nothing runs as that uid any more.
    fn create(
        &self,
        f: &FunctionVersion,
        request_id: &str,
        id: String,
        log: Target,
        init: InitType,
        uid: UidLease,
    ) -> impl Future<Output = Result<Created<Self>, EngineError>> + Send;

    /// Starts preparing ahead (spare sandboxes), once the server is serving.
    fn prepare_ahead(&self);

    /// Drops what was prepared ahead (shutdown; blocks until it is gone).
    fn discard_ahead(&self);

    /// Sandboxes prepared ahead and ready right now (for metrics).
    fn spares(&self) -> usize {
        0
    }
}

impl Jail for Sandbox {
    fn freeze(&self) -> Result<(), SandboxError> {
        Sandbox::freeze(self)
    }
    fn thaw(&self) -> Result<(), SandboxError> {
        Sandbox::thaw(self)
    }
    fn set_cpu_millis(&self, cpu_millis: u32) -> Result<(), SandboxError> {
        Sandbox::set_cpu_millis(self, cpu_millis)
    }
    fn memory_peak_bytes(&self) -> Result<u64, SandboxError> {
        Sandbox::memory_peak_bytes(self)
    }
    fn oom_killed(&self) -> bool {
        Sandbox::oom_killed(self)
    }
    fn try_wait(&mut self) -> Result<Option<ExitStatus>, SandboxError> {
        Sandbox::try_wait(self)
    }
    fn kill(&mut self) -> Result<(), SandboxError> {
        Sandbox::kill(self)
    }
}

impl Runtime for RuntimeApi {
    fn invoke(&self, inv: Invocation) -> impl Future<Output = Result<Outcome, InvokeError>> + Send {
        RuntimeApi::invoke(self, inv)
    }
    fn shutdown(&self) {
        RuntimeApi::shutdown(self);
    }
}
