//! Sandbox init: pid 1 of every sandbox, a fresh single-threaded process.
//!
//! The server clones each sandbox ahead of time and the clone re-executes the server binary
//! as init ([`INIT_ARG`]), so that neither the sandbox's pid 1 nor the runtime forked from
//! it is a copy of the server's address space (which would make every fork copy its page
//! tables, and would keep a copy of the server's memory inside the sandbox). Init compiles
//! the seccomp filter, assembles the base of the root (the base plan, first message on its
//! control pipe), then waits for the [`Order`]; a pipe closed before a message means the
//! shell was discarded, and init exits quietly.

use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;

use crate::child::{self, ChildCtx, ChildFds, STEP_ORDER, STEP_SECCOMP};
use crate::exec::ExecSpec;
use crate::order::{self, Order};
use crate::plan::Op;
use crate::seccomp;

/// `argv[1]` of a binary run as sandbox init; `argv[2]` lists its descriptors.
pub const INIT_ARG: &str = "__stratus-sandbox-init";

/// Whether this process was started as sandbox init (checked first thing in `main`).
pub fn invoked_as_init() -> bool {
    std::env::args_os().nth(1).is_some_and(|a| a == INIT_ARG)
}

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(63)
}

/// The body of sandbox init. Never returns; exits 0 when discarded unused.
pub fn init_main() -> ! {
    let Some(fds) = std::env::args()
        .nth(2)
        .as_deref()
        .and_then(ChildFds::from_arg)
    else {
        eprintln!("{INIT_ARG}: expects the sandbox's descriptors; not for direct use");
        child::exit(2)
    };
    for fd in fds.all() {
        // SAFETY: marks our inherited control descriptors close-on-exec again, so the
        // runtime's exec closes the report pipe (the host's signal that it started).
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // 1st byte: the server has put us in our cgroups (it cloned and executed us first, so
    // that the clone shares its memory instead of copying its page tables). Nothing is
    // allocated before, so all of init's own memory is charged to the sandbox.
    if !child::wait_byte(fds.go_r) {
        child::exit(0)
    }
    let seccomp = match seccomp::programs() {
        Ok(p) => p,
        Err(_) => {
            child::report(fds.report_w, STEP_SECCOMP, libc::EINVAL);
            child::exit(1)
        }
    };
    let last_cap = last_cap();
    // SAFETY: go_r is our open control pipe; ManuallyDrop leaves closing it to `run`.
    let ctl = ManuallyDrop::new(unsafe { File::from_raw_fd(fds.go_r) });
    let base: Vec<Op> = match order::receive(&*ctl) {
        Ok(Some(ops)) => ops,
        Ok(None) => child::exit(0),
        Err(_) => {
            child::report(fds.report_w, STEP_ORDER, libc::EPROTO);
            child::exit(1)
        }
    };
    // SAFETY: umask only changes this process' file creation mask.
    unsafe { libc::umask(0) };
    if !child::run_ops(&base, 0, fds.report_w) {
        child::exit(1);
    }
    let order: Order = match order::receive(&*ctl) {
        Ok(Some(order)) => order,
        Ok(None) => child::exit(0),
        Err(_) => {
            child::report(fds.report_w, STEP_ORDER, libc::EPROTO);
            child::exit(1)
        }
    };
    let Ok(exec) = ExecSpec::new(&order.argv, &order.env, &order.cwd) else {
        child::report(fds.report_w, STEP_ORDER, libc::EINVAL);
        child::exit(1)
    };
    let ctx = ChildCtx {
        ops: &order.ops,
        op_offset: base.len(),
        exec: &exec,
        seccomp,
        fds,
        uid: order.uid,
        gid: order.gid,
        last_cap,
    };
    // SAFETY: we are sandbox init, pid 1 of the sandbox, holding the descriptors of ctx.
    unsafe { child::run(&ctx) }
}
