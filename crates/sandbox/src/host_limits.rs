//! The host's per-process limits that live environments count against, checked when the
//! server starts: the descriptor limit is raised to what the host allows, and what the
//! limits leave room for is said plainly.

use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// Descriptors the server holds per live environment (its output pipes, control pipes,
/// the Runtime API listener and connection, cgroup handles), measured with a margin.
pub const FDS_PER_ENVIRONMENT: u64 = 10;

/// What the host allows the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostLimits {
    /// The descriptor soft limit before the server raised it.
    pub fds_before: u64,
    /// The descriptor soft limit now (the hard limit, when it could be raised).
    pub fds: u64,
    /// The kernel's largest pid (`kernel.pid_max`): every environment runs at least two
    /// processes (init and the runtime).
    pub pid_max: Option<u64>,
}

impl HostLimits {
    /// About how many live environments the descriptor limit leaves room for.
    pub fn environments_by_fds(&self) -> u64 {
        self.fds.saturating_sub(64) / FDS_PER_ENVIRONMENT
    }
}

/// Raises the descriptor soft limit to the hard limit and reads the pid limit.
pub fn raise_limits() -> HostLimits {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((1024, 1024));
    let fds = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        hard
    } else {
        soft
    };
    let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok());
    HostLimits {
        fds_before: soft,
        fds,
        pid_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let limits = raise_limits();
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap_or((0, 0));
        assert_eq!(limits.fds, soft);
        assert_eq!(soft, hard);
        assert!(limits.fds >= limits.fds_before);
        assert!(limits.pid_max.is_some());
    }
}
