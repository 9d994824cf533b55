//! Limit values, as written to cgroup files.

/// CFS period used for the CPU quota, in microseconds.
pub(crate) const CPU_PERIOD_US: u64 = 100_000;
/// Smallest quota the kernel accepts.
const MIN_QUOTA_US: u64 = 1_000;

/// The limits of one sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub memory_mb: u32,
    pub cpu_millis: u32,
    pub pids_max: u32,
}

impl Limits {
    pub(crate) fn memory_bytes(&self) -> u64 {
        u64::from(self.memory_mb) * 1024 * 1024
    }

    /// The CFS quota per period for `cpu_millis` thousandths of a CPU (None = unlimited).
    pub(crate) fn quota_for(cpu_millis: u32) -> Option<u64> {
        (cpu_millis > 0).then(|| (u64::from(cpu_millis) * CPU_PERIOD_US / 1000).max(MIN_QUOTA_US))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        let l = Limits {
            memory_mb: 128,
            cpu_millis: 72,
            pids_max: 1024,
        };
        assert_eq!(l.memory_bytes(), 134_217_728);
        assert_eq!(Limits::quota_for(l.cpu_millis), Some(7_200));
        let l = Limits {
            memory_mb: 1,
            cpu_millis: 5,
            pids_max: 1,
        };
        assert_eq!(Limits::quota_for(l.cpu_millis), Some(1_000));
        let l = Limits {
            memory_mb: 1,
            cpu_millis: 2000,
            pids_max: 1,
        };
        assert_eq!(Limits::quota_for(l.cpu_millis), Some(200_000));
        let l = Limits {
            memory_mb: 1,
            cpu_millis: 0,
            pids_max: 1,
        };
        assert_eq!(Limits::quota_for(l.cpu_millis), None);
    }
}
