//! Startup sweep of sandbox cgroups left behind by a previous server process, and removal
//! of the (empty) parent at shutdown.

use super::for_sandbox;
use crate::{CgroupVersion, HostConfig};

/// Kills and removes every sandbox cgroup left under the parent by a previous server
/// process (crash, `kill -9`). Call once at startup, before creating sandboxes. Returns
/// how many were removed.
pub fn cleanup_stale_cgroups(host: &HostConfig) -> usize {
    let parent_dirs = parent_dirs(host);
    let mut ids = std::collections::BTreeSet::new();
    for dir in &parent_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                ids.insert(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    let mut removed = 0;
    for id in ids {
        let cg = for_sandbox(host, &id);
        let _ = cg.thaw();
        let _ = cg.kill_all();
        match cg.remove() {
            Ok(()) => removed += 1,
            Err(e) => tracing::warn!(%id, error = %e, "stale sandbox cgroup not removed"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed stale sandbox cgroups");
    }
    removed
}

/// The parent cgroup directories of `host` (one per v1 controller, or the v2 one).
fn parent_dirs(host: &HostConfig) -> Vec<std::path::PathBuf> {
    let parent = host.cgroup_parent.trim_matches('/');
    match host.cgroup_version {
        CgroupVersion::V1 => ["memory", "cpu", "pids", "freezer"]
            .iter()
            .map(|c| host.cgroup_root.join(c).join(parent))
            .collect(),
        CgroupVersion::V2 => vec![host.cgroup_root.join(parent)],
    }
}

/// Removes the parent cgroup directories once they are empty (shutdown, after every
/// sandbox is gone); a parent still holding a sandbox, or shared, is left alone.
pub fn remove_cgroup_parent(host: &HostConfig) {
    for dir in parent_dirs(host) {
        match std::fs::remove_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::debug!(dir = %dir.display(), error = %e, "cgroup parent kept"),
        }
    }
}
