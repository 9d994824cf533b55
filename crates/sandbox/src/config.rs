//! Configuration of one sandbox and of the host it runs on.

use std::path::{Path, PathBuf};

/// The host directories bind-mounted read-only into every sandbox root (those that exist;
/// symlinks such as merged-usr `/bin -> usr/bin` are recreated as symlinks). The host's
/// `/etc` is not among them: sandboxes get their own ([`HostConfig::etc_dir`]).
pub const DEFAULT_SYSTEM_DIRS: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/sbin"];

/// One execution environment.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Environment id (32 hex chars); names the cgroups and is the hostname.
    pub id: String,
    /// Host dir with the unpacked code, mounted read-only at `/var/task`. Must be readable
    /// (and its directories searchable) by `uid`.
    pub task_root: PathBuf,
    /// Host dirs of the layers in attach order, mounted read-only at `/opt`; later layers win.
    pub layers: Vec<PathBuf>,
    /// Host dir with the bundled bootstrap, mounted read-only at `/var/runtime`.
    pub runtime_dir: Option<PathBuf>,
    /// Size of the `/tmp` tmpfs in MiB (≥ 1), when no `tmp_image` is given.
    pub tmp_size_mb: u32,
    /// A filesystem image (ext4) to mount at `/tmp` through a loop device instead of a
    /// tmpfs: disk-backed, so not charged to the function's memory. The file is unlinked
    /// once attached.
    pub tmp_image: Option<PathBuf>,
    /// Memory limit in MiB, no swap.
    pub memory_mb: u32,
    /// CPU quota in thousandths of a CPU; 0 = unlimited. The caller computes and caps it.
    pub cpu_millis: u32,
    /// Max number of tasks in the sandbox.
    pub pids_max: u32,
    /// Unprivileged uid the runtime runs as; `/tmp`'s root directory is given to it.
    pub uid: u32,
    /// Unprivileged gid the runtime runs as.
    pub gid: u32,
    /// Program and arguments; a program without `/` is looked up in the `PATH` of `env`.
    pub argv: Vec<String>,
    /// The complete environment.
    pub env: Vec<(String, String)>,
    /// Working directory inside the sandbox, e.g. `/var/task`.
    pub cwd: String,
}

/// cgroup hierarchy flavour of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// Legacy per-controller hierarchies under `<root>/<controller>`.
    V1,
    /// Unified hierarchy with controllers listed in `<root>/cgroup.controllers`.
    V2,
}

/// Host-wide settings shared by every sandbox.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Parent cgroup path, relative to the root of each hierarchy (v1: of each controller's
    /// hierarchy), e.g. `stratus`. Created when missing. May contain `/`.
    pub cgroup_parent: String,
    /// Detected with [`detect_cgroup_version`].
    pub cgroup_version: CgroupVersion,
    /// Where the cgroup hierarchies are mounted, normally `/sys/fs/cgroup`.
    pub cgroup_root: PathBuf,
    /// Host dirs bind-mounted read-only at the same path inside the sandbox.
    pub system_dirs: Vec<PathBuf>,
    /// The sandbox's own `/etc` (see [`crate::write_minimal_etc`]), mounted read-only at
    /// `/etc`; without it the sandbox has no `/etc` at all.
    pub etc_dir: Option<PathBuf>,
    /// An empty host directory. Each sandbox mounts its root tmpfs over it inside its own
    /// mount namespace (so one directory serves all sandboxes); created when missing.
    pub root_mountpoint: PathBuf,
    /// The executable each sandbox runs as its init (pid 1): a binary whose `main` calls
    /// [`crate::init_main`] when [`crate::invoked_as_init`]. The server uses
    /// `/proc/self/exe`, which stays the running binary even if the file is replaced.
    pub init_program: PathBuf,
}

impl HostConfig {
    /// Defaults for this host: parent `stratus`, detected cgroup version, the default
    /// system dirs, no `/etc` (the caller writes one and sets [`HostConfig::etc_dir`]),
    /// root mount point `/run/stratus-sandbox/root`, this binary as init.
    pub fn detect() -> HostConfig {
        HostConfig {
            cgroup_parent: "stratus".to_string(),
            cgroup_version: detect_cgroup_version(),
            cgroup_root: PathBuf::from("/sys/fs/cgroup"),
            system_dirs: DEFAULT_SYSTEM_DIRS.iter().map(PathBuf::from).collect(),
            etc_dir: None,
            root_mountpoint: PathBuf::from("/run/stratus-sandbox/root"),
            init_program: PathBuf::from("/proc/self/exe"),
        }
    }
}

/// Detects the cgroup flavour under `/sys/fs/cgroup` and logs it.
pub fn detect_cgroup_version() -> CgroupVersion {
    detect_cgroup_version_at(Path::new("/sys/fs/cgroup"))
}

/// v2 when `<root>/cgroup.controllers` exists and lists at least one controller (a hybrid
/// host with an empty unified hierarchy counts as v1).
pub fn detect_cgroup_version_at(root: &Path) -> CgroupVersion {
    let version = match std::fs::read_to_string(root.join("cgroup.controllers")) {
        Ok(s) if !s.trim().is_empty() => CgroupVersion::V2,
        _ => CgroupVersion::V1,
    };
    tracing::info!(root = %root.display(), ?version, "detected cgroup version");
    version
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_v2_only_with_controllers() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(detect_cgroup_version_at(dir.path()), CgroupVersion::V1);
        std::fs::write(dir.path().join("cgroup.controllers"), "\n").expect("write");
        assert_eq!(detect_cgroup_version_at(dir.path()), CgroupVersion::V1);
        std::fs::write(dir.path().join("cgroup.controllers"), "cpu memory pids\n").expect("write");
        assert_eq!(detect_cgroup_version_at(dir.path()), CgroupVersion::V2);
    }
}
