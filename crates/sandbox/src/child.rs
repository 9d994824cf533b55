//! Code that runs in the sandbox's processes before the runtime's `execve`.
//!
//! Two stages. [`shell`] runs in the child the (multi-threaded) server cloned: it must be
//! async-signal-safe (no heap allocation, no locks, no std I/O, no panics), so it only
//! waits to be placed in its cgroups and re-executes the server binary as init, shedding
//! the server's address space. [`run`] runs in that fresh init once it has its order: it
//! assembles the root, forks the runtime and stays behind as pid 1. The same rules are kept
//! there because the runtime's side of the fork shares the code. The set-id calls go
//! through `syscall(2)` directly because glibc's `setresuid` & co. broadcast to the threads
//! glibc believes exist.

use std::os::fd::RawFd;

use crate::exec::ExecSpec;
use crate::plan::Op;
use crate::seccomp::Programs;

/// Sent by the child once setup is done.
pub(crate) const STEP_READY: i32 = 0;
/// Plan step `i` reports `STEP_OP_BASE + i`.
pub(crate) const STEP_OP_BASE: i32 = 1;
pub(crate) const STEP_FORK: i32 = 10_001;
pub(crate) const STEP_CAPS: i32 = 10_002;
pub(crate) const STEP_SETGROUPS: i32 = 10_003;
pub(crate) const STEP_SETGID: i32 = 10_004;
pub(crate) const STEP_SETUID: i32 = 10_005;
pub(crate) const STEP_NO_NEW_PRIVS: i32 = 10_006;
pub(crate) const STEP_SECCOMP: i32 = 10_007;
pub(crate) const STEP_CHDIR: i32 = 10_008;
pub(crate) const STEP_EXEC: i32 = 10_009;
pub(crate) const STEP_STDIO: i32 = 10_010;
pub(crate) const STEP_INIT_EXEC: i32 = 10_011;
pub(crate) const STEP_ORDER: i32 = 10_012;
pub(crate) const STEP_RLIMIT: i32 = 10_013;

/// Descriptors a function may hold, as on Lambda (the server raises its own limit far above
/// this to hold many environments; the runtime must not inherit that).
pub(crate) const FUNCTION_FDS: libc::rlim_t = 1024;

/// Names the step in a child report.
pub(crate) fn step_name(step: i32, ops: &[Op]) -> String {
    match step {
        STEP_READY => "ready".into(),
        STEP_FORK => "fork runtime".into(),
        STEP_CAPS => "drop capabilities".into(),
        STEP_SETGROUPS => "setgroups".into(),
        STEP_SETGID => "setresgid".into(),
        STEP_SETUID => "setresuid".into(),
        STEP_NO_NEW_PRIVS => "no_new_privs".into(),
        STEP_SECCOMP => "seccomp".into(),
        STEP_CHDIR => "chdir".into(),
        STEP_EXEC => "execve".into(),
        STEP_STDIO => "stdio".into(),
        STEP_INIT_EXEC => "exec sandbox init".into(),
        STEP_ORDER => "receive order".into(),
        STEP_RLIMIT => "limit descriptors".into(),
        s => usize::try_from(s - STEP_OP_BASE)
            .ok()
            .and_then(|i| ops.get(i))
            .map_or_else(|| format!("step {s}"), Op::describe),
    }
}

/// The child's file descriptors (all ≥ 3, all O_CLOEXEC).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildFds {
    /// Read end of the control pipe: byte 1 = "you are in your cgroups" (init waits for
    /// it first thing), then the [`crate::order::Order`], then byte 2 = "start".
    pub go_r: RawFd,
    /// Write end of the report pipe: `(step, errno)` records; EOF once the runtime exec'd.
    pub report_w: RawFd,
    /// Write end of the status pipe: the runtime's raw wait status, written by pid 1.
    pub status_w: RawFd,
    pub devnull: RawFd,
    pub stdout_w: RawFd,
    pub stderr_w: RawFd,
}

impl ChildFds {
    pub(crate) fn all(&self) -> [RawFd; 6] {
        [
            self.go_r,
            self.report_w,
            self.status_w,
            self.devnull,
            self.stdout_w,
            self.stderr_w,
        ]
    }

    /// The descriptors as init's argument: `go,report,status,devnull,stdout,stderr`.
    pub(crate) fn to_arg(self) -> String {
        let a = self.all();
        format!("{},{},{},{},{},{}", a[0], a[1], a[2], a[3], a[4], a[5])
    }

    /// Parses [`ChildFds::to_arg`]'s form.
    pub(crate) fn from_arg(s: &str) -> Option<ChildFds> {
        let mut it = s
            .split(',')
            .map(|p| p.parse::<RawFd>().ok().filter(|&fd| fd >= 3));
        let mut next = || it.next().flatten();
        let fds = ChildFds {
            go_r: next()?,
            report_w: next()?,
            status_w: next()?,
            devnull: next()?,
            stdout_w: next()?,
            stderr_w: next()?,
        };
        it.next().is_none().then_some(fds)
    }
}

/// What the cloned shell child needs to become init, prepared before clone.
pub(crate) struct ShellCtx<'a> {
    pub fds: ChildFds,
    /// The descriptors to keep (the six above and `exe`), sorted.
    pub keep: [RawFd; 7],
    /// `O_PATH` descriptor of the init executable.
    pub exe: RawFd,
    /// NUL-terminated argv for init.
    pub argv: &'a [*const libc::c_char],
}

/// Everything init needs to assemble the root and start the runtime.
pub(crate) struct ChildCtx<'a> {
    /// The function's setup operations (the base plan's ran already).
    pub ops: &'a [Op],
    /// How many base operations ran before `ops` (their steps are numbered on).
    pub op_offset: usize,
    pub exec: &'a ExecSpec,
    pub seccomp: &'a Programs,
    pub fds: ChildFds,
    pub uid: u32,
    pub gid: u32,
    pub last_cap: u32,
}

fn errno() -> i32 {
    nix::errno::Errno::last_raw()
}

pub(crate) fn report(fd: RawFd, step: i32, err: i32) {
    let mut buf = [0u8; 8];
    let (a, b) = buf.split_at_mut(4);
    a.copy_from_slice(&step.to_ne_bytes());
    b.copy_from_slice(&err.to_ne_bytes());
    // SAFETY: writes 8 bytes from a live stack buffer; a short write to a pipe of 8 bytes
    // cannot happen (PIPE_BUF atomicity), errors are ignored (nobody left to tell).
    unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
}

pub(crate) fn exit(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and skips atexit handlers/destructors that belong
    // to the parent's copy of the program.
    unsafe { libc::_exit(code) }
}

/// Blocks until one byte arrives; false on EOF/error (the parent is gone).
pub(crate) fn wait_byte(fd: RawFd) -> bool {
    let mut b = 0u8;
    loop {
        // SAFETY: reads at most one byte into a live stack variable.
        let n = unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) };
        if n == 1 {
            return true;
        }
        if n < 0 && errno() == libc::EINTR {
            continue;
        }
        return false;
    }
}

fn close_range(first: u32, last: u32) {
    if first > last {
        return;
    }
    // SAFETY: close_range only closes descriptors of this (child) process.
    let r = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) };
    if r < 0 {
        // Pre-5.9 kernel: close one by one, bounded.
        let end = last.min(65_535);
        for fd in first..=end {
            // SAFETY: closing a descriptor number, open or not, is harmless here.
            unsafe { libc::close(fd as RawFd) };
        }
    }
}

/// Closes every fd ≥ 3 except `keep` (sorted): the parent's other descriptors, including
/// other sandboxes' pipe ends, must not reach the sandbox.
fn close_other_fds(keep: &[RawFd]) {
    let mut lo: u32 = 3;
    for &k in keep {
        let Ok(k) = u32::try_from(k) else { continue };
        if k >= lo {
            if k > lo {
                close_range(lo, k - 1);
            }
            lo = k + 1;
        }
    }
    close_range(lo, u32::MAX);
}

fn reset_signals() {
    for sig in 1..65 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        // SAFETY: sigaction to SIG_DFL; invalid/internal signal numbers just fail.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
    }
    // SAFETY: an empty sigset on the stack, initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

fn opt_ptr(c: &Option<std::ffi::CString>) -> *const libc::c_char {
    c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

fn makedev(major: u32, minor: u32) -> libc::dev_t {
    let (ma, mi) = (u64::from(major), u64::from(minor));
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}

fn check(r: libc::c_int) -> Result<(), i32> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

fn run_op(op: &Op) -> Result<(), i32> {
    // SAFETY (whole match): every pointer passed is from a CString owned by the plan,
    // which lives (copied) in this process for its whole life; the calls are thin syscall
    // wrappers that do not allocate.
    unsafe {
        match op {
            Op::UnshareCgroupNs => match check(libc::unshare(libc::CLONE_NEWCGROUP)) {
                Err(libc::EINVAL) => Ok(()), // kernel without cgroup namespaces
                r => r,
            },
            Op::Mkdir { path, mode } => match check(libc::mkdir(path.as_ptr(), *mode)) {
                Err(libc::EEXIST) => Ok(()),
                r => r,
            },
            Op::Symlink { target, link } => check(libc::symlink(target.as_ptr(), link.as_ptr())),
            Op::Mknod { path, major, minor } => check(libc::mknod(
                path.as_ptr(),
                libc::S_IFCHR | 0o666,
                makedev(*major, *minor),
            )),
            Op::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => check(libc::mount(
                opt_ptr(source),
                target.as_ptr(),
                opt_ptr(fstype),
                *flags,
                opt_ptr(data).cast(),
            )),
            Op::PivotRoot { new_root } => {
                check(libc::chdir(new_root.as_ptr()))?;
                let dot = c".".as_ptr();
                if libc::syscall(libc::SYS_pivot_root, dot, dot) < 0 {
                    return Err(errno());
                }
                // The old root is now stacked under "."; detach it.
                check(libc::umount2(dot, libc::MNT_DETACH))?;
                check(libc::chdir(c"/".as_ptr()))
            }
            Op::Sethostname { name } => {
                check(libc::sethostname(name.as_ptr(), name.as_bytes().len()))
            }
            Op::Chown { path, uid, gid } => check(libc::chown(path.as_ptr(), *uid, *gid)),
            Op::LoopbackUp => crate::net::loopback_up().map_err(|e| e as i32),
        }
    }
}

/// Runs setup operations; on failure reports step `STEP_OP_BASE + offset + i` and returns
/// false.
pub(crate) fn run_ops(ops: &[Op], offset: usize, report_w: RawFd) -> bool {
    for (i, op) in ops.iter().enumerate() {
        if let Err(err) = run_op(op) {
            report(report_w, STEP_OP_BASE + (offset + i) as i32, err);
            return false;
        }
    }
    true
}

/// Capabilities, ids, no_new_privs, seccomp — in that order. Returns (step, errno).
fn drop_privileges(ctx: &ChildCtx<'_>) -> Result<(), (i32, i32)> {
    // SAFETY (whole block): prctl/syscall with integer arguments; the seccomp program
    // pointer refers to a compiled filter that lives for the whole process.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        for cap in 0..=ctx.last_cap {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) < 0
                && errno() != libc::EINVAL
            {
                return Err((STEP_CAPS, errno()));
            }
        }
        if libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) < 0 {
            return Err((STEP_SETGROUPS, errno()));
        }
        if libc::syscall(libc::SYS_setresgid, ctx.gid, ctx.gid, ctx.gid) < 0 {
            return Err((STEP_SETGID, errno()));
        }
        // Leaving uid 0 clears the permitted, effective and ambient capability sets.
        if libc::syscall(libc::SYS_setresuid, ctx.uid, ctx.uid, ctx.uid) < 0 {
            return Err((STEP_SETUID, errno()));
        }
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 {
            return Err((STEP_NO_NEW_PRIVS, errno()));
        }
        for f in &ctx.seccomp.filters {
            let prog = libc::sock_fprog {
                len: f.len() as libc::c_ushort,
                // seccompiler's sock_filter is #[repr(C)] with libc's layout.
                filter: f.as_ptr() as *mut libc::sock_filter,
            };
            let r = libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0u32,
                &prog as *const libc::sock_fprog,
            );
            if r < 0 {
                return Err((STEP_SECCOMP, errno()));
            }
        }
    }
    Ok(())
}

/// The runtime process (pid 2): stdio, privileges, cwd, exec.
fn runtime(ctx: &ChildCtx<'_>) -> ! {
    let f = ctx.fds;
    // SAFETY: dup2/close on descriptors this process owns; all sources are ≥ 3 so the
    // targets 0..=2 never alias a source.
    let stdio_ok = unsafe {
        libc::dup2(f.devnull, 0) >= 0
            && libc::dup2(f.stdout_w, 1) >= 0
            && libc::dup2(f.stderr_w, 2) >= 0
    };
    if !stdio_ok {
        report(f.report_w, STEP_STDIO, errno());
        exit(127);
    }
    // SAFETY: as above; these are no longer needed (report_w closes itself on exec).
    unsafe {
        libc::close(f.devnull);
        libc::close(f.stdout_w);
        libc::close(f.stderr_w);
        libc::close(f.status_w);
    }
    let nofile = libc::rlimit {
        rlim_cur: FUNCTION_FDS,
        rlim_max: FUNCTION_FDS,
    };
    // SAFETY: setrlimit reads one live `rlimit` from the stack.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &nofile) } < 0 {
        report(f.report_w, STEP_RLIMIT, errno());
        exit(127);
    }
    if let Err((step, err)) = drop_privileges(ctx) {
        report(f.report_w, step, err);
        exit(127);
    }
    // SAFETY: cwd is a CString prepared before clone.
    if unsafe { libc::chdir(ctx.exec.cwd.as_ptr()) } < 0 {
        report(f.report_w, STEP_CHDIR, errno());
        exit(127);
    }
    let mut err = libc::ENOENT;
    let mut saw_eacces = false;
    for cand in &ctx.exec.candidates {
        // SAFETY: NUL-terminated argv/envp arrays of pointers into CStrings owned by
        // ExecSpec, which outlives this call (execve only returns on failure).
        unsafe {
            libc::execve(
                cand.as_ptr(),
                ctx.exec.argv_ptrs.as_ptr(),
                ctx.exec.env_ptrs.as_ptr(),
            )
        };
        err = errno();
        match err {
            libc::EACCES => saw_eacces = true,
            libc::ENOENT | libc::ENOTDIR => {}
            _ => break,
        }
    }
    if saw_eacces && (err == libc::ENOENT || err == libc::ENOTDIR) {
        err = libc::EACCES;
    }
    report(f.report_w, STEP_EXEC, err);
    exit(127)
}

/// Decodes a raw wait status into the exit code pid 1 uses (128+signal when signalled).
fn exit_code_of(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        125
    }
}

/// Entry point of the child the server cloned (pid 1 of the new pid namespace): executes
/// init at once with only the control descriptors open. Never returns. Init waits for the
/// first byte on its control pipe (the parent has put it in its cgroups) before it does
/// anything else.
///
/// # Safety
/// Must only be called in the child of a `clone(CLONE_VM | CLONE_VFORK)`, on a stack of its
/// own, with a context prepared before the clone. The child shares the parent's memory
/// while the calling thread is suspended: it writes nothing but its own stack (and, on
/// failure, the suspended thread's `errno`), allocates nothing and takes no lock.
pub(crate) unsafe fn shell(ctx: &ShellCtx<'_>) -> ! {
    let f = ctx.fds;
    reset_signals();
    close_other_fds(&ctx.keep);
    // SAFETY: dup2 of our own /dev/null over stdio: init never holds the server's stdio.
    unsafe {
        libc::dup2(f.devnull, 0);
        libc::dup2(f.devnull, 1);
        libc::dup2(f.devnull, 2);
    }
    for fd in f.all() {
        // SAFETY: clears FD_CLOEXEC on a descriptor this process owns, so init inherits it.
        unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    }
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    // SAFETY: `exe` is an O_PATH descriptor of an executable; argv is a NUL-terminated
    // array of pointers into CStrings prepared before clone; envp is empty. execveat only
    // returns on failure.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            ctx.exe,
            c"".as_ptr(),
            ctx.argv.as_ptr(),
            envp.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    report(f.report_w, STEP_INIT_EXEC, errno());
    exit(1)
}

/// Init, once it has its order: assembles the root, reports ready, waits for the start
/// byte, forks the runtime (pid 2) and stays behind as its reaper. Never returns.
///
/// # Safety
/// Must only be called by sandbox init, as pid 1 of the sandbox's pid namespace, with the
/// descriptors of `ctx` open.
pub(crate) unsafe fn run(ctx: &ChildCtx<'_>) -> ! {
    let f = ctx.fds;
    if !run_ops(ctx.ops, ctx.op_offset, f.report_w) {
        exit(1);
    }
    report(f.report_w, STEP_READY, 0);
    // 2nd byte: start.
    if !wait_byte(f.go_r) {
        exit(1);
    }
    // SAFETY: closing our own descriptor.
    unsafe { libc::close(f.go_r) };

    // SAFETY: fork-like clone (no new stack, no shared VM): the child continues on its own
    // copy of this stack and only runs `runtime`, which is async-signal-safe.
    let child = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::SIGCHLD as libc::c_long,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    if child < 0 {
        report(f.report_w, STEP_FORK, errno());
        exit(1);
    }
    if child == 0 {
        runtime(ctx);
    }
    let child = child as libc::pid_t;

    // pid 1 from here on: a reaper that holds nothing but the status pipe.
    // SAFETY: dup2/close on descriptors this process owns.
    unsafe {
        libc::close(f.report_w);
        libc::dup2(f.devnull, 0);
        libc::dup2(f.devnull, 1);
        libc::dup2(f.devnull, 2);
        libc::close(f.devnull);
        libc::close(f.stdout_w);
        libc::close(f.stderr_w);
    }
    if drop_privileges(ctx).is_err() {
        // Never keep a privileged pid 1 around: exiting kills the whole namespace.
        exit(125);
    }
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: waits for any child of this process; status is a live stack variable.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == child {
            let bytes = status.to_ne_bytes();
            // SAFETY: writes 4 bytes from a stack buffer to our own pipe.
            unsafe { libc::write(f.status_w, bytes.as_ptr().cast(), bytes.len()) };
            exit(exit_code_of(status));
        }
        if pid < 0 && errno() != libc::EINTR {
            exit(125);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makedev_matches_glibc() {
        assert_eq!(makedev(1, 3), libc::makedev(1, 3));
        assert_eq!(makedev(5, 0), libc::makedev(5, 0));
        assert_eq!(makedev(259, 70000), libc::makedev(259, 70000));
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code_of(3 << 8), 3);
        assert_eq!(exit_code_of(9), 137);
    }

    #[test]
    fn step_names() {
        let ops = vec![Op::LoopbackUp];
        assert_eq!(step_name(STEP_OP_BASE, &ops), "loopback up");
        assert_eq!(step_name(STEP_EXEC, &ops), "execve");
        assert_eq!(step_name(99, &ops), "step 99");
    }
}
