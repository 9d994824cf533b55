//! One execution environment: namespaces, read-only root, cgroups (v1 and v2), seccomp,
//! uid drop, freeze/thaw, stats, kill.
//!
//! This crate is Stratus' jailer (design §3: "our own jailer, like Firecracker's").
//! [`Sandbox::prepare`] clones a child into new mount, pid, ipc, uts and net namespaces and
//! places it in fresh cgroups; the child assembles its read-only root and then waits;
//! [`Sandbox::start`] lets it drop privileges, install seccomp and exec the runtime.
//!
//! Process model inside the pid namespace: pid 1 is a minimal reaper (the jailer child
//! itself, unprivileged and seccomp-filtered after setup). It forks the runtime (pid 2),
//! reaps every zombie that is re-parented to it, and when the runtime exits it reports the
//! runtime's raw wait status to the host over a pipe and exits, which makes the kernel kill
//! whatever is left in the namespace. A SIGKILL sent from inside the namespace to pid 1 is
//! ignored by the kernel, so the runtime cannot take the reaper down.
//!
//! Lifecycle: `prepare` (cgroups + clone; the child mounts its root concurrently) →
//! optional `bind_tcp` (Runtime API listener inside the netns) → `start` (blocks until the
//! runtime has exec'd, ~1 ms) → `freeze`/`thaw`/`try_wait`/stats → `kill` or drop.
//! `start` and `kill` block: call them from a blocking thread in async code.
//!
//! Each sandbox runs as the uid of its [`SandboxConfig`] (the engine gives every
//! environment a uid of its own, so no per-user kernel limit is shared between tenants);
//! init gives `/tmp`'s root directory to that uid before it drops privileges. `/etc` is
//! the minimal directory of [`write_minimal_etc`], never the host's.
//!
//! Caller obligations: `task_root`, layers and `runtime_dir` must be readable (dirs
//! searchable) by the sandbox uid; `HostConfig::root_mountpoint` must be an otherwise
//! unused directory; the process must run as root (CAP_SYS_ADMIN in the initial user ns).

// The jailer is the one place in the workspace where `unsafe` is allowed: clone, the
// async-signal-safe code that runs in the child between clone and exec, setns and seccomp
// need raw system calls. Every `unsafe` block carries a `// SAFETY:` comment.
#![allow(unsafe_code)]

mod cgroup;
mod child;
mod config;
mod error;
mod etc;
mod exec;
mod host_limits;
mod init;
mod loopdev;
mod net;
mod order;
mod plan;
mod sandbox;
mod seccomp;

pub use cgroup::{cleanup_stale_cgroups, remove_cgroup_parent};
pub use config::{
    detect_cgroup_version, detect_cgroup_version_at, CgroupVersion, HostConfig, SandboxConfig,
    DEFAULT_SYSTEM_DIRS,
};
pub use error::SandboxError;
pub use etc::{user_name, write_minimal_etc};
pub use host_limits::{raise_limits, HostLimits, FDS_PER_ENVIRONMENT};
pub use init::{init_main, invoked_as_init, INIT_ARG};
pub use sandbox::{ExitStatus, Sandbox, Shell};
