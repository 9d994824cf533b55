//! Startup sweep of sandbox cgroups left behind by a previous server process.

use super::for_sandbox;
use crate::{CgroupVersion, HostConfig};

/// Kills and removes every sandbox cgroup left under the parent by a previous server
/// process (crash, `kill -9`). Call once at startup, before creating sandboxes. Returns
/// how many were removed.
pub fn cleanup_stale_cgroups(host: &HostConfig) -> usize {
    let parent = host.cgroup_parent.trim_matches('/');
    let parent_dirs: Vec<std::path::PathBuf> = match host.cgroup_version {
        CgroupVersion::V1 => ["memory", "cpu", "pids", "freezer"]
            .iter()
            .map(|c| host.cgroup_root.join(c).join(parent))
            .collect(),
        CgroupVersion::V2 => vec![host.cgroup_root.join(parent)],
    };
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
