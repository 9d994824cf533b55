//! cgroup v1: one directory per controller, `<root>/<controller>/<parent>/<id>`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::fs::ValueFile;
use super::limits::CPU_PERIOD_US;
use super::{
    ensure_dir, keyed_value, kill_listed, read_u64, remove_dir_retry, wait_until, CgroupFs, Limits,
    SandboxCgroup,
};
use crate::SandboxError;

pub(crate) struct CgroupV1 {
    fs: Arc<dyn CgroupFs>,
    /// `memory.max_usage_in_bytes`, opened once created.
    peak: OnceLock<Box<dyn ValueFile>>,
    memory: PathBuf,
    cpu: PathBuf,
    pids: PathBuf,
    freezer: PathBuf,
}

impl CgroupV1 {
    pub(crate) fn new(fs: Arc<dyn CgroupFs>, root: &Path, parent: &str, id: &str) -> CgroupV1 {
        let dir = |c: &str| root.join(c).join(parent.trim_matches('/')).join(id);
        CgroupV1 {
            fs,
            peak: OnceLock::new(),
            memory: dir("memory"),
            cpu: dir("cpu"),
            pids: dir("pids"),
            freezer: dir("freezer"),
        }
    }

    fn dirs(&self) -> [&Path; 4] {
        [&self.memory, &self.cpu, &self.pids, &self.freezer]
    }

    fn write(&self, dir: &Path, file: &str, value: &str) -> Result<(), SandboxError> {
        let p = dir.join(file);
        self.fs
            .write(&p, value)
            .map_err(|e| SandboxError::cgroup(p, e))
    }

    fn ensure_tree(&self, dir: &Path) -> Result<(), SandboxError> {
        // Create missing ancestors below the controller root (the parent cgroup).
        let mut missing = Vec::new();
        let mut cur = dir.parent();
        while let Some(p) = cur {
            if self.fs.exists(p) {
                break;
            }
            missing.push(p);
            cur = p.parent();
        }
        for p in missing.into_iter().rev() {
            ensure_dir(self.fs.as_ref(), p)?;
        }
        ensure_dir(self.fs.as_ref(), dir)
    }
}

impl SandboxCgroup for CgroupV1 {
    fn create(&self, limits: &Limits) -> Result<(), SandboxError> {
        for d in self.dirs() {
            self.ensure_tree(d)?;
        }
        if let Err(e) = self.write(&self.memory, "memory.swappiness", "0") {
            tracing::debug!(error = %e, "memory.swappiness not set");
        }
        self.write(&self.cpu, "cpu.cfs_period_us", &CPU_PERIOD_US.to_string())?;
        self.set_limits(limits)?;
        if let Ok(f) = self
            .fs
            .open_value(&self.memory.join("memory.max_usage_in_bytes"))
        {
            let _ = self.peak.set(f);
        }
        Ok(())
    }

    fn set_limits(&self, limits: &Limits) -> Result<(), SandboxError> {
        let mem = limits.memory_bytes().to_string();
        let memsw = self.memory.join("memory.memsw.limit_in_bytes");
        let has_memsw = self.fs.exists(&memsw);
        // memsw must stay >= the memory limit at every step: raise memory first when
        // growing, memsw first when shrinking. One of each order fails harmlessly.
        if has_memsw {
            let _ = self.write(&self.memory, "memory.memsw.limit_in_bytes", &mem);
        }
        self.write(&self.memory, "memory.limit_in_bytes", &mem)?;
        if has_memsw {
            self.write(&self.memory, "memory.memsw.limit_in_bytes", &mem)?;
        }
        if let Err(e) = self.write(&self.memory, "memory.max_usage_in_bytes", "0") {
            tracing::debug!(error = %e, "memory.max_usage_in_bytes not reset");
        }
        self.set_cpu_millis(limits.cpu_millis)?;
        self.write(&self.pids, "pids.max", &limits.pids_max.to_string())
    }

    fn set_cpu_millis(&self, cpu_millis: u32) -> Result<(), SandboxError> {
        let quota = Limits::quota_for(cpu_millis).map_or("-1".to_string(), |q| q.to_string());
        self.write(&self.cpu, "cpu.cfs_quota_us", &quota)
    }

    fn add_process(&self, pid: i32) -> Result<(), SandboxError> {
        let pid = pid.to_string();
        for d in self.dirs() {
            self.write(d, "cgroup.procs", &pid)?;
        }
        Ok(())
    }

    fn freeze(&self) -> Result<(), SandboxError> {
        self.write(&self.freezer, "freezer.state", "FROZEN")?;
        let state = self.freezer.join("freezer.state");
        wait_until("freezer.state FROZEN", || {
            let s = self
                .fs
                .read(&state)
                .map_err(|e| SandboxError::cgroup(&state, e))?;
            Ok(s.trim() == "FROZEN")
        })
    }

    fn thaw(&self) -> Result<(), SandboxError> {
        self.write(&self.freezer, "freezer.state", "THAWED")
    }

    fn memory_peak_bytes(&self) -> Result<u64, SandboxError> {
        let path = self.memory.join("memory.max_usage_in_bytes");
        match self.peak.get() {
            Some(f) => f.read_u64().map_err(|e| SandboxError::cgroup(path, e)),
            None => read_u64(self.fs.as_ref(), &path),
        }
    }

    fn oom_killed(&self) -> Result<bool, SandboxError> {
        let p = self.memory.join("memory.oom_control");
        let text = self.fs.read(&p).map_err(|e| SandboxError::cgroup(&p, e))?;
        Ok(keyed_value(&text, "oom_kill").unwrap_or(0) > 0)
    }

    fn kill_all(&self) -> Result<(), SandboxError> {
        // Every task of the sandbox is in every controller; the pids one is as good as any.
        kill_listed(self.fs.as_ref(), &self.pids.join("cgroup.procs"))
    }

    fn remove(&self) -> Result<(), SandboxError> {
        let mut first_err = None;
        for d in self.dirs() {
            if let Err(e) = remove_dir_retry(self.fs.as_ref(), d) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::fake::FakeFs;

    fn setup() -> (Arc<FakeFs>, CgroupV1) {
        let fs = Arc::new(FakeFs::default());
        for c in ["memory", "cpu", "pids", "freezer"] {
            fs.add_dir(&format!("/cg/{c}"));
        }
        let cg = CgroupV1::new(fs.clone(), Path::new("/cg"), "stratus", "abc");
        (fs, cg)
    }

    #[test]
    fn create_writes_v1_limits() {
        let (fs, cg) = setup();
        fs.set(
            "/cg/memory/stratus/abc/memory.memsw.limit_in_bytes",
            "9223372036854771712",
        );
        cg.create(&Limits {
            memory_mb: 128,
            cpu_millis: 72,
            pids_max: 1024,
        })
        .expect("create");
        assert!(fs.is_dir("/cg/cpu/stratus"));
        assert_eq!(
            fs.get("/cg/memory/stratus/abc/memory.limit_in_bytes"),
            "134217728"
        );
        assert_eq!(
            fs.get("/cg/memory/stratus/abc/memory.memsw.limit_in_bytes"),
            "134217728"
        );
        assert_eq!(fs.get("/cg/memory/stratus/abc/memory.swappiness"), "0");
        assert_eq!(fs.get("/cg/cpu/stratus/abc/cpu.cfs_period_us"), "100000");
        assert_eq!(fs.get("/cg/cpu/stratus/abc/cpu.cfs_quota_us"), "7200");
        assert_eq!(fs.get("/cg/pids/stratus/abc/pids.max"), "1024");
        assert!(fs.is_dir("/cg/freezer/stratus/abc"));
    }

    #[test]
    fn memsw_skipped_when_absent_and_unlimited_cpu() {
        let (fs, cg) = setup();
        cg.create(&Limits {
            memory_mb: 1,
            cpu_millis: 0,
            pids_max: 1,
        })
        .expect("create");
        assert!(!fs.has("/cg/memory/stratus/abc/memory.memsw.limit_in_bytes"));
        assert_eq!(fs.get("/cg/cpu/stratus/abc/cpu.cfs_quota_us"), "-1");
    }

    #[test]
    fn procs_freeze_stats_remove() {
        let (fs, cg) = setup();
        cg.create(&Limits {
            memory_mb: 1,
            cpu_millis: 1000,
            pids_max: 1,
        })
        .expect("create");
        cg.add_process(42).expect("add");
        for c in ["memory", "cpu", "pids", "freezer"] {
            assert_eq!(fs.get(&format!("/cg/{c}/stratus/abc/cgroup.procs")), "42");
        }
        cg.freeze().expect("freeze");
        assert_eq!(fs.get("/cg/freezer/stratus/abc/freezer.state"), "FROZEN");
        cg.thaw().expect("thaw");
        assert_eq!(fs.get("/cg/freezer/stratus/abc/freezer.state"), "THAWED");
        fs.set("/cg/memory/stratus/abc/memory.max_usage_in_bytes", "4096\n");
        assert_eq!(cg.memory_peak_bytes().expect("peak"), 4096);
        fs.set(
            "/cg/memory/stratus/abc/memory.oom_control",
            "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
        );
        assert!(!cg.oom_killed().expect("oom"));
        fs.set(
            "/cg/memory/stratus/abc/memory.oom_control",
            "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
        );
        assert!(cg.oom_killed().expect("oom"));
        fs.set("/cg/pids/stratus/abc/cgroup.procs", "");
        cg.kill_all().expect("kill");
        cg.remove().expect("remove");
        assert!(!fs.is_dir("/cg/memory/stratus/abc"));
        assert!(fs.is_dir("/cg/memory/stratus"));
    }
}
