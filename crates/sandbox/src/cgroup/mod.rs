//! Per-sandbox cgroups, v1 (one hierarchy per controller) and v2 (unified).
//!
//! All file access goes through [`CgroupFs`] so both flavours are unit-tested against a
//! fake; only v1 can be exercised for real on the development host.

mod cleanup;
mod fs;
mod limits;
mod v1;
mod v2;

#[cfg(test)]
mod fake;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use cleanup::{cleanup_stale_cgroups, remove_cgroup_parent};
pub(crate) use fs::{CgroupFs, RealFs};
pub(crate) use limits::Limits;
pub(crate) use v1::CgroupV1;
pub(crate) use v2::CgroupV2;

use crate::{CgroupVersion, HostConfig, SandboxError};

/// The cgroups of one sandbox.
pub(crate) trait SandboxCgroup: Send + Sync {
    /// Creates the directories (and the parent when missing) and writes the limits.
    fn create(&self, limits: &Limits) -> Result<(), SandboxError>;
    /// Rewrites the memory, CPU and pids limits (and restarts the peak-memory record
    /// where the kernel allows it), for a cgroup created ahead of its function.
    fn set_limits(&self, limits: &Limits) -> Result<(), SandboxError>;
    /// Moves a process into every controller.
    fn add_process(&self, pid: i32) -> Result<(), SandboxError>;
    /// Changes the CPU quota (0 = unlimited), e.g. after an initialisation boost.
    fn set_cpu_millis(&self, cpu_millis: u32) -> Result<(), SandboxError>;
    /// Freezes and waits until the kernel reports the cgroup frozen.
    fn freeze(&self) -> Result<(), SandboxError>;
    fn thaw(&self) -> Result<(), SandboxError>;
    fn memory_peak_bytes(&self) -> Result<u64, SandboxError>;
    fn oom_killed(&self) -> Result<bool, SandboxError>;
    /// SIGKILLs every process in the cgroup.
    fn kill_all(&self) -> Result<(), SandboxError>;
    /// Removes the directories (retrying briefly while the kernel is still tearing down).
    fn remove(&self) -> Result<(), SandboxError>;
}

/// The cgroups for sandbox `id` on this host.
pub(crate) fn for_sandbox(host: &HostConfig, id: &str) -> Box<dyn SandboxCgroup> {
    let fs: Arc<dyn CgroupFs> = Arc::new(RealFs);
    match host.cgroup_version {
        CgroupVersion::V1 => Box::new(CgroupV1::new(
            fs,
            &host.cgroup_root,
            &host.cgroup_parent,
            id,
        )),
        CgroupVersion::V2 => Box::new(CgroupV2::new(
            fs,
            &host.cgroup_root,
            &host.cgroup_parent,
            id,
        )),
    }
}

const FREEZE_TIMEOUT: Duration = Duration::from_secs(2);

/// Polls `done` (spinning first, then sleeping 100 µs) until it holds or the timeout hits.
pub(crate) fn wait_until(
    what: &'static str,
    mut done: impl FnMut() -> Result<bool, SandboxError>,
) -> Result<(), SandboxError> {
    let start = Instant::now();
    let mut spins = 0u32;
    loop {
        if done()? {
            return Ok(());
        }
        if start.elapsed() > FREEZE_TIMEOUT {
            return Err(SandboxError::Timeout(what));
        }
        spins += 1;
        if spins < 20 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

/// mkdir that accepts an existing directory.
pub(crate) fn ensure_dir(fs: &dyn CgroupFs, dir: &Path) -> Result<(), SandboxError> {
    match fs.create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(SandboxError::cgroup(dir, e)),
    }
}

/// rmdir with brief retries on EBUSY (css teardown is asynchronous); a missing dir is fine.
pub(crate) fn remove_dir_retry(fs: &dyn CgroupFs, dir: &Path) -> Result<(), SandboxError> {
    let mut delay = Duration::from_micros(200);
    for _ in 0..30 {
        match fs.remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_millis(20));
            }
            Err(e) => return Err(SandboxError::cgroup(dir, e)),
        }
    }
    Err(SandboxError::cgroup(
        dir,
        std::io::Error::from_raw_os_error(libc::EBUSY),
    ))
}

/// SIGKILLs the pids listed in a `cgroup.procs` file until it reads empty.
pub(crate) fn kill_listed(fs: &dyn CgroupFs, procs: &Path) -> Result<(), SandboxError> {
    for _ in 0..100 {
        let text = match fs.read(procs) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(SandboxError::cgroup(procs, e)),
        };
        let pids: Vec<i32> = text
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if pids.is_empty() {
            return Ok(());
        }
        for pid in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        std::thread::yield_now();
    }
    Ok(())
}

/// Value of `key` in a flat-keyed file (`memory.events`, `memory.oom_control`, ...).
pub(crate) fn keyed_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next() == Some(key)).then(|| it.next()?.parse().ok())?
    })
}

pub(crate) fn read_u64(fs: &dyn CgroupFs, path: &Path) -> Result<u64, SandboxError> {
    let text = fs.read(path).map_err(|e| SandboxError::cgroup(path, e))?;
    text.trim().parse().map_err(|_| {
        SandboxError::cgroup(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a number: {text:?}"),
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_values() {
        let t = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
        assert_eq!(keyed_value(t, "oom_kill"), Some(3));
        assert_eq!(keyed_value(t, "under_oom"), Some(0));
        assert_eq!(keyed_value(t, "missing"), None);
    }
}
