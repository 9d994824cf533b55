//! [`Sandbox`]: one execution environment, host side.

use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::cgroup::{self, Limits, SandboxCgroup};
use crate::child::{self, ChildFds, ShellCtx, STEP_READY};
use crate::exec::ExecSpec;
use crate::order::{self, Order};
use crate::plan::{self, Op, PlanInput};
use crate::{loopdev, net, HostConfig, SandboxConfig, SandboxError};

/// How the runtime (or, when it never ran, the sandbox's pid 1) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal (SIGKILL = 9 for OOM kills and [`Sandbox::kill`]).
    Signaled(i32),
}

/// One sandboxed process tree. Dropping it kills the tree and removes its cgroups.
pub struct Sandbox {
    id: String,
    /// Name of its cgroups (given when the shell was spawned).
    cgroup_name: String,
    pid: i32,
    go_w: Option<std::fs::File>,
    report_r: OwnedFd,
    status_r: OwnedFd,
    stdout_r: Option<OwnedFd>,
    stderr_r: Option<OwnedFd>,
    cgroups: Box<dyn SandboxCgroup>,
    ops: Vec<Op>,
    /// Hold the /tmp loop devices open until init has mounted them (auto-clear).
    tmp_loops: Vec<std::fs::File>,
    started: bool,
    exit: Option<ExitStatus>,
    reaped: bool,
    cleaned: bool,
    final_oom: bool,
    final_peak: Option<u64>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("id", &self.id)
            .field("pid", &self.pid)
            .field("started", &self.started)
            .field("exit", &self.exit)
            .finish_non_exhaustive()
    }
}

fn validate(cfg: &SandboxConfig) -> Result<(), SandboxError> {
    let bad = |m: String| Err(SandboxError::InvalidConfig(m));
    if cfg.id.is_empty()
        || cfg.id.len() > 64
        || !cfg
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return bad(format!(
            "id must be 1-64 chars of [A-Za-z0-9_-]: {:?}",
            cfg.id
        ));
    }
    if cfg.uid == 0 || cfg.gid == 0 {
        return bad("uid and gid must be unprivileged (non-zero)".into());
    }
    if cfg.memory_mb == 0 || cfg.pids_max == 0 {
        return bad("memory_mb and pids_max must be positive".into());
    }
    if !cfg.cwd.starts_with('/') {
        return bad(format!("cwd must be absolute: {:?}", cfg.cwd));
    }
    Ok(())
}

/// A CLOEXEC pipe whose ends are both ≥ 3 (so the child can dup2 onto 0..=2 safely).
fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    let (r, w) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| SandboxError::io("pipe2", e.into()))?;
    Ok((high(r)?, high(w)?))
}

fn high(fd: OwnedFd) -> Result<OwnedFd, SandboxError> {
    if fd.as_raw_fd() >= 3 {
        return Ok(fd);
    }
    let n = fcntl(fd.as_raw_fd(), FcntlArg::F_DUPFD_CLOEXEC(3))
        .map_err(|e| SandboxError::io("fcntl dupfd", e.into()))?;
    // SAFETY: F_DUPFD_CLOEXEC returned a fresh descriptor that nothing else owns.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(n) })
}

/// Reads one `(step, errno)` record; `None` on EOF.
fn read_record(fd: RawFd) -> Result<Option<(i32, i32)>, SandboxError> {
    let mut buf = [0u8; 8];
    let mut got = 0;
    while got < buf.len() {
        match nix::unistd::read(fd, &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(SandboxError::io("read child report", e.into())),
        }
    }
    if got < buf.len() {
        return Ok(None);
    }
    let step = i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let err = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
    Ok(Some((step, err)))
}

fn write_byte(fd: &impl std::os::fd::AsFd) -> Result<(), SandboxError> {
    loop {
        match nix::unistd::write(fd, &[1u8]) {
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(SandboxError::io("write go byte", e.into())),
        }
    }
}

fn status_of(raw: i32) -> ExitStatus {
    if libc::WIFSIGNALED(raw) {
        ExitStatus::Signaled(libc::WTERMSIG(raw))
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(raw))
    }
}

/// Limits of a shell until it is assigned: Lambda's smallest memory size, no CPU cap (init
/// starts faster), a few tasks.
const SHELL_LIMITS: Limits = Limits {
    memory_mb: 128,
    cpu_millis: 0,
    pids_max: 16,
};

/// A unique cgroup name for a new shell.
fn shell_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "sb-{:x}-{:x}-{:08x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A sandbox made ahead of its function (design §3, cold start): cgroups, namespaces and an
/// init process waiting for its order. [`Shell::spawn`] carries the costly part of a cold
/// start (clone, placing the process in its cgroups, exec of init), so it can run before
/// any invoke needs it; [`Shell::assign`] makes it one function's sandbox. Dropping an
/// unassigned shell kills it.
#[derive(Debug)]
pub struct Shell {
    sb: Sandbox,
    base: plan::Base,
    /// Size of the `/tmp` mounted ahead, if any.
    tmp_mb: Option<u32>,
}

/// Stack of the cloned shell: it only resets signals, closes descriptors and executes init.
const SHELL_STACK: usize = 64 * 1024;

extern "C" fn shell_entry(ctx: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `clone_shell` passes a pointer to a live `ShellCtx`, which stays valid while
    // the child runs: with CLONE_VFORK the parent waits until the child has executed init
    // (or exited).
    unsafe { child::shell(&*ctx.cast::<ShellCtx<'_>>()) }
}

/// Clones the shell with `flags` (which include `CLONE_VM | CLONE_VFORK`) and returns its
/// pid, or -1 with `errno` set. The child borrows the parent's memory instead of copying
/// its page tables (in a burst of cold starts, copying the server's address space 200
/// times was a third of the CPU time), and the calling thread is suspended until the child
/// has executed init. Signals stay blocked across the clone, so no handler of the server
/// runs in the child before it resets them.
fn clone_shell(flags: libc::c_int, ctx: &ShellCtx<'_>) -> libc::c_int {
    let mut stack = vec![0u8; SHELL_STACK];
    // SAFETY: `all` is a fully initialised set; the thread's old mask is restored below.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    // SAFETY: the stack top is the end of a live buffer (aligned down to 16), which outlives
    // the child's use of it (CLONE_VFORK: clone returns once the child executed or exited);
    // `shell_entry` only runs `child::shell`, which writes nothing but that stack.
    let ret = unsafe {
        let top = stack.as_mut_ptr().add(SHELL_STACK);
        let top = top.sub(top as usize % 16);
        libc::clone(
            shell_entry,
            top.cast(),
            flags,
            (ctx as *const ShellCtx<'_>).cast_mut().cast(),
        )
    };
    let errno = Errno::last();
    // SAFETY: restores the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    if ret < 0 {
        Errno::set_raw(errno as i32);
    }
    ret
}

impl Shell {
    /// Creates the cgroups, clones a child into new mount, pid, ipc, uts and net
    /// namespaces that executes `host.init_program` as sandbox init at once (see
    /// [`clone_shell`]), places it in the cgroups and only then lets init go on: it
    /// assembles the base of the root and waits for [`Shell::assign`]. With `tmp`, an image file (unlinked once attached) and its size in
    /// MiB, `/tmp` is mounted ahead too, for a function whose `/tmp` has that size.
    pub fn spawn(host: &HostConfig, tmp: Option<(&Path, u32)>) -> Result<Shell, SandboxError> {
        let t0 = std::time::Instant::now();
        if !host.root_mountpoint.is_dir() {
            std::fs::create_dir_all(&host.root_mountpoint)
                .map_err(|e| SandboxError::io("create root mount point", e))?;
        }
        let system_dirs = plan::classify_system_dirs(&host.system_dirs);
        let (tmp_device, tmp_loop, tmp_mb) = match tmp {
            Some((image, size_mb)) => {
                let (dev, handle) = loopdev::attach(image)?;
                let _ = std::fs::remove_file(image);
                (Some(dev), Some(handle), Some(size_mb))
            }
            None => (None, None, None),
        };
        let t_loop = t0.elapsed();
        let base = plan::build_base(
            &host.root_mountpoint,
            &system_dirs,
            host.etc_dir.as_deref(),
            tmp_device.as_deref(),
        )?;
        let name = shell_name();
        let cgroups = cgroup::for_sandbox(host, &name);
        if let Err(e) = cgroups.create(&SHELL_LIMITS) {
            let _ = cgroups.remove();
            return Err(e);
        }
        let t_cgroups = t0.elapsed();
        let setup = (|| {
            let exe = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_PATH)
                .open(&host.init_program)
                .map_err(|e| SandboxError::io("open sandbox init program", e))
                .and_then(|f| high(f.into()))?;
            let devnull = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")
                .map_err(|e| SandboxError::io("open /dev/null", e))
                .and_then(|f| high(f.into()))?;
            Ok::<_, SandboxError>((exe, devnull, pipe()?, pipe()?, pipe()?, pipe()?, pipe()?))
        })();
        let (
            exe,
            devnull,
            (go_r, go_w),
            (report_r, report_w),
            (status_r, status_w),
            (out_r, out_w),
            (err_r, err_w),
        ) = match setup {
            Ok(s) => s,
            Err(e) => {
                let _ = cgroups.remove();
                return Err(e);
            }
        };
        let fds = ChildFds {
            go_r: go_r.as_raw_fd(),
            report_w: report_w.as_raw_fd(),
            status_w: status_w.as_raw_fd(),
            devnull: devnull.as_raw_fd(),
            stdout_w: out_w.as_raw_fd(),
            stderr_w: err_w.as_raw_fd(),
        };
        let argv_c = [
            c"stratus-sandbox-init".to_owned(),
            plan::cstring(crate::INIT_ARG.as_bytes())?,
            plan::cstring(fds.to_arg().as_bytes())?,
        ];
        let argv: Vec<*const libc::c_char> = argv_c
            .iter()
            .map(|c| c.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect();
        let mut keep = [0; 7];
        for (k, fd) in keep
            .iter_mut()
            .zip(fds.all().into_iter().chain([exe.as_raw_fd()]))
        {
            *k = fd;
        }
        keep.sort_unstable();
        let ctx = ShellCtx {
            fds,
            keep,
            exe: exe.as_raw_fd(),
            argv: &argv,
        };
        let flags = libc::CLONE_VM
            | libc::CLONE_VFORK
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWNET
            | libc::SIGCHLD;
        let ret = clone_shell(flags, &ctx);
        if ret < 0 {
            let e = Errno::last();
            let _ = cgroups.remove();
            return Err(SandboxError::io("clone", e.into()));
        }
        let t_clone = t0.elapsed();
        drop((go_r, report_w, status_w, out_w, err_w, devnull, exe));
        let sb = Sandbox {
            id: name.clone(),
            cgroup_name: name,
            pid: ret as i32,
            go_w: Some(std::fs::File::from(go_w)),
            report_r,
            status_r,
            stdout_r: Some(out_r),
            stderr_r: Some(err_r),
            cgroups,
            ops: base.ops.clone(),
            started: false,
            exit: None,
            reaped: false,
            cleaned: false,
            final_oom: false,
            final_peak: None,
            tmp_loops: tmp_loop.into_iter().collect(),
        };
        sb.cgroups.add_process(sb.pid)?; // on error, Drop kills the child and cleans up
        let t_placed = t0.elapsed();
        if let Some(go) = &sb.go_w {
            write_byte(go)?;
            order::send(go, &base.ops)?;
        }
        tracing::debug!(
            shell = %sb.id,
            tmp_loop_us = t_loop.as_micros() as u64,
            cgroups_us = t_cgroups.as_micros() as u64,
            clone_us = t_clone.as_micros() as u64,
            placed_us = t_placed.as_micros() as u64,
            total_us = t0.elapsed().as_micros() as u64,
            "sandbox shell spawned"
        );
        Ok(Shell { sb, base, tmp_mb })
    }

    /// Binds a TCP listener on `addr` inside the shell's network namespace (see
    /// [`Sandbox::bind_tcp`]); it can be done before the shell is assigned.
    pub fn bind_tcp(&self, addr: SocketAddr) -> Result<TcpListener, SandboxError> {
        self.sb.bind_tcp(addr)
    }

    /// Makes the shell `cfg`'s sandbox: writes its limits, attaches its `/tmp` image and
    /// sends init the setup plan and the runtime's command. Init assembles the root
    /// concurrently with the caller; setup errors surface from [`Sandbox::start`].
    pub fn assign(self, cfg: &SandboxConfig, host: &HostConfig) -> Result<Sandbox, SandboxError> {
        validate(cfg)?;
        let t0 = std::time::Instant::now();
        let Shell {
            mut sb,
            base,
            tmp_mb,
        } = self;
        sb.cgroups.set_limits(&Limits {
            memory_mb: cfg.memory_mb,
            cpu_millis: cfg.cpu_millis,
            pids_max: cfg.pids_max,
        })?;
        let t_limits = t0.elapsed();
        let tmp_ready = cfg.tmp_image.is_none() && tmp_mb == Some(cfg.tmp_size_mb);
        let tmp_device = match &cfg.tmp_image {
            Some(image) => {
                let (dev, handle) = loopdev::attach(image)?;
                // The loop device holds the file open; the name is no longer needed.
                let _ = std::fs::remove_file(image);
                sb.tmp_loops.push(handle);
                Some(dev)
            }
            None => None,
        };
        let t_attach = t0.elapsed();
        let ops = plan::build_function(
            &base,
            &PlanInput {
                root: &host.root_mountpoint,
                task_root: &cfg.task_root,
                layers: &cfg.layers,
                runtime_dir: cfg.runtime_dir.as_deref(),
                tmp_size_mb: cfg.tmp_size_mb,
                tmp_device: tmp_device.as_deref(),
                tmp_ready,
                hostname: &cfg.id,
                uid: cfg.uid,
                gid: cfg.gid,
            },
        )?;
        // Init builds the same spec; building it here reports bad argv/env to the caller.
        ExecSpec::new(&cfg.argv, &cfg.env, &cfg.cwd)?;
        let order = Order {
            ops,
            argv: cfg.argv.clone(),
            env: cfg.env.clone(),
            cwd: cfg.cwd.clone(),
            uid: cfg.uid,
            gid: cfg.gid,
        };
        let go = sb.go_w.as_ref().ok_or(SandboxError::AlreadyStarted)?;
        if let Err(e) = order::send(go, &order) {
            // Init is gone: say why, if it reported a failed setup step before exiting.
            return Err(match read_record(sb.report_r.as_raw_fd()) {
                Ok(Some((step, err))) if step != STEP_READY => sb.setup_error(step, err),
                _ => e,
            });
        }
        tracing::debug!(
            shell = %sb.id,
            env = %cfg.id,
            limits_us = t_limits.as_micros() as u64,
            attach_us = t_attach.as_micros() as u64,
            assign_us = t0.elapsed().as_micros() as u64,
            "sandbox shell assigned"
        );
        sb.ops.extend(order.ops);
        sb.id = cfg.id.clone();
        Ok(sb)
    }

    /// Host pid of the shell's init.
    pub fn pid(&self) -> i32 {
        self.sb.pid
    }

    /// Whether init is still waiting (it was not killed, nor ended on its own) — one
    /// non-blocking `waitpid`.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.sb.try_wait(), Ok(None))
    }

    /// Size in MiB of the `/tmp` mounted ahead ([`Shell::spawn`]), if any: a config with
    /// this `tmp_size_mb` and no `tmp_image` of its own keeps it.
    pub fn tmp_size_mb(&self) -> Option<u32> {
        self.tmp_mb
    }
}

impl Sandbox {
    /// [`Shell::spawn`] then [`Shell::assign`]: a sandbox made on demand.
    pub fn prepare(cfg: &SandboxConfig, host: &HostConfig) -> Result<Sandbox, SandboxError> {
        validate(cfg)?;
        Shell::spawn(host, None)?.assign(cfg, host)
    }

    /// Waits for the child's setup to finish, then lets it drop privileges, install the
    /// seccomp filter and exec `argv`. Returns once the exec succeeded (blocking; a few
    /// milliseconds at most).
    pub fn start(&mut self) -> Result<(), SandboxError> {
        if self.started {
            return Err(SandboxError::AlreadyStarted);
        }
        self.started = true;
        let t0 = std::time::Instant::now();
        let fd = self.report_r.as_raw_fd();
        match read_record(fd)? {
            None => return Err(SandboxError::ChildExited("setup")),
            Some((STEP_READY, _)) => {}
            Some((step, err)) => return Err(self.setup_error(step, err)),
        }
        let t_ready = t0.elapsed();
        let go = self.go_w.take().ok_or(SandboxError::AlreadyStarted)?;
        write_byte(&go)?;
        drop(go);
        // Setup (including the /tmp mount) is done: the mount now keeps the loop device.
        self.tmp_loops.clear();
        let r = match read_record(fd)? {
            None => Ok(()),
            Some((step, err)) => Err(self.setup_error(step, err)),
        };
        tracing::debug!(
            id = %self.id,
            wait_ready_us = t_ready.as_micros() as u64,
            total_us = t0.elapsed().as_micros() as u64,
            "sandbox started"
        );
        r
    }

    fn setup_error(&self, step: i32, err: i32) -> SandboxError {
        SandboxError::Setup {
            step: child::step_name(step, &self.ops),
            errno: Errno::from_raw(err),
        }
    }

    /// Binds a TCP listener on `addr` inside the sandbox's network namespace (loopback is
    /// brought up first). The listener is nonblocking; the host serves from it.
    pub fn bind_tcp(&self, addr: SocketAddr) -> Result<TcpListener, SandboxError> {
        if self.reaped || self.cleaned {
            return Err(SandboxError::NotRunning);
        }
        net::bind_in_netns(self.pid, addr)
    }

    /// Read end of the runtime's stdout pipe (taken once).
    pub fn stdout(&mut self) -> Option<OwnedFd> {
        self.stdout_r.take()
    }

    /// Read end of the runtime's stderr pipe (taken once).
    pub fn stderr(&mut self) -> Option<OwnedFd> {
        self.stderr_r.take()
    }

    /// Changes the CPU quota in thousandths of a CPU (0 = unlimited); Lambda-style, an
    /// environment may initialise with more CPU than it invokes with.
    pub fn set_cpu_millis(&self, cpu_millis: u32) -> Result<(), SandboxError> {
        if self.cleaned {
            return Err(SandboxError::NotRunning);
        }
        self.cgroups.set_cpu_millis(cpu_millis)
    }

    /// Freezes every process of the sandbox and waits until the kernel confirms.
    pub fn freeze(&self) -> Result<(), SandboxError> {
        if self.cleaned {
            return Err(SandboxError::NotRunning);
        }
        self.cgroups.freeze()
    }

    pub fn thaw(&self) -> Result<(), SandboxError> {
        if self.cleaned {
            return Err(SandboxError::NotRunning);
        }
        self.cgroups.thaw()
    }

    /// Peak memory usage of the sandbox's cgroup (v1 `memory.max_usage_in_bytes`, v2
    /// `memory.peak`). After [`Sandbox::kill`], the value recorded just before cleanup.
    pub fn memory_peak_bytes(&self) -> Result<u64, SandboxError> {
        if self.cleaned {
            return self.final_peak.ok_or(SandboxError::NotRunning);
        }
        self.cgroups.memory_peak_bytes()
    }

    /// Whether the memory cgroup OOM-killed a process (still answers after `kill`).
    pub fn oom_killed(&self) -> bool {
        if self.cleaned {
            return self.final_oom;
        }
        self.cgroups.oom_killed().unwrap_or(false)
    }

    /// SIGKILLs the whole tree (pid 1 of the namespace and everything in the cgroups),
    /// reaps pid 1 and removes the cgroups. Idempotent.
    pub fn kill(&mut self) -> Result<(), SandboxError> {
        if self.cleaned {
            return Ok(());
        }
        let pid = Pid::from_raw(self.pid);
        if !self.reaped {
            let _ = kill(pid, Signal::SIGKILL);
        }
        let _ = self.cgroups.kill_all();
        // Frozen tasks only die once thawed (v1).
        let _ = self.cgroups.thaw();
        if !self.reaped {
            loop {
                match waitpid(pid, None) {
                    Err(Errno::EINTR) => continue,
                    Ok(ws) => {
                        self.record_exit(ws);
                        break;
                    }
                    Err(_) => {
                        self.reaped = true;
                        break;
                    }
                }
            }
        }
        self.final_oom = self.cgroups.oom_killed().unwrap_or(false);
        self.final_peak = self.cgroups.memory_peak_bytes().ok();
        self.cleaned = true;
        self.cgroups.remove()
    }

    fn record_exit(&mut self, ws: WaitStatus) {
        let init = match ws {
            WaitStatus::Exited(_, code) => ExitStatus::Exited(code),
            WaitStatus::Signaled(_, sig, _) => ExitStatus::Signaled(sig as i32),
            _ => return,
        };
        self.reaped = true;
        // pid 1 reports the runtime's own status; without it (runtime never started, or
        // pid 1 was killed) report pid 1's.
        let mut buf = [0u8; 4];
        let runtime = match nix::unistd::read(self.status_r.as_raw_fd(), &mut buf) {
            Ok(4) => Some(status_of(i32::from_ne_bytes(buf))),
            _ => None,
        };
        self.exit = Some(runtime.unwrap_or(init));
    }

    /// Whether the runtime has exited (and with what), without blocking.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, SandboxError> {
        if self.exit.is_some() || self.reaped {
            return Ok(self.exit);
        }
        match waitpid(Pid::from_raw(self.pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => Ok(None),
            Ok(ws) => {
                self.record_exit(ws);
                Ok(self.exit)
            }
            Err(Errno::EINTR) => Ok(None),
            Err(e) => Err(SandboxError::io("waitpid", e.into())),
        }
    }

    /// Host pid of the sandbox's pid 1.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The environment id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name of its cgroup directories under the host's cgroup parent.
    pub fn cgroup_name(&self) -> &str {
        &self.cgroup_name
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Err(e) = self.kill() {
            tracing::warn!(id = %self.id, error = %e, "sandbox cleanup failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SandboxConfig {
        SandboxConfig {
            id: "0123456789abcdef0123456789abcdef".into(),
            task_root: "/tmp".into(),
            layers: vec![],
            runtime_dir: None,
            tmp_size_mb: 16,
            tmp_image: None,
            memory_mb: 128,
            cpu_millis: 100,
            pids_max: 64,
            uid: 993,
            gid: 993,
            argv: vec!["/bin/true".into()],
            env: vec![],
            cwd: "/var/task".into(),
        }
    }

    #[test]
    fn validation() {
        assert!(validate(&cfg()).is_ok());
        assert!(validate(&SandboxConfig {
            id: "../x".into(),
            ..cfg()
        })
        .is_err());
        assert!(validate(&SandboxConfig {
            id: String::new(),
            ..cfg()
        })
        .is_err());
        assert!(validate(&SandboxConfig { uid: 0, ..cfg() }).is_err());
        assert!(validate(&SandboxConfig {
            memory_mb: 0,
            ..cfg()
        })
        .is_err());
        assert!(validate(&SandboxConfig {
            cwd: "rel".into(),
            ..cfg()
        })
        .is_err());
    }

    #[test]
    fn sandbox_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Sandbox>();
    }

    #[test]
    fn wait_status_decoding() {
        assert_eq!(status_of(7 << 8), ExitStatus::Exited(7));
        assert_eq!(status_of(9), ExitStatus::Signaled(9));
    }
}
