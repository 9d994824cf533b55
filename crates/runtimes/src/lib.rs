//! Bundled runtime bootstraps (Python, Node.js) and the registry mapping runtime identifiers
//! to how they start.
//!
//! The bootstraps are Stratus's own scripts (`assets/python/bootstrap.py` with the runtime
//! module `_stratus_runtime.py`, precompiled by [`precompile_python`],
//! `assets/node/bootstrap.js`), standard library only, embedded in the binary and written
//! into the runtime directory by [`install`]; inside a sandbox that directory is mounted
//! read-only at [`RUNTIME_DIR`]. [`launch_for`] says how to start a function of a given
//! runtime: the interpreter command line and runtime-specific environment for bundled
//! runtimes, or [`Launch::Custom`] for `provided*`.

mod install;
mod registry;

pub use install::{install, precompile_python, ASSETS};
pub use registry::{common_env, launch_for, offered, Launch, RuntimeSpec, UnknownRuntime};

/// Where the runtime directory is mounted inside a sandbox (`$LAMBDA_RUNTIME_DIR`).
pub const RUNTIME_DIR: &str = "/var/runtime";

/// Where the function code is mounted inside a sandbox (`$LAMBDA_TASK_ROOT`).
pub const TASK_ROOT: &str = "/var/task";
