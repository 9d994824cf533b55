//! cgroup v2: one directory `<root>/<parent>/<id>` in the unified hierarchy.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::fs::ValueFile;
use super::limits::CPU_PERIOD_US;
use super::{
    ensure_dir, keyed_value, kill_listed, read_u64, remove_dir_retry, wait_until, CgroupFs, Limits,
    SandboxCgroup,
};
use crate::SandboxError;

const CONTROLLERS: &[&str] = &["memory", "cpu", "pids"];

pub(crate) struct CgroupV2 {
    fs: Arc<dyn CgroupFs>,
    /// `memory.peak` (or `memory.current` before Linux 5.19), opened once created.
    peak: OnceLock<Box<dyn ValueFile>>,
    root: PathBuf,
    dir: PathBuf,
}

impl CgroupV2 {
    pub(crate) fn new(fs: Arc<dyn CgroupFs>, root: &Path, parent: &str, id: &str) -> CgroupV2 {
        CgroupV2 {
            fs,
            peak: OnceLock::new(),
            root: root.to_path_buf(),
            dir: root.join(parent.trim_matches('/')).join(id),
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `memory.peak`; kernels before 5.19 have none, and the current usage is the best
    /// there is.
    fn peak_file(&self) -> PathBuf {
        let peak = self.file("memory.peak");
        if self.fs.exists(&peak) {
            peak
        } else {
            self.file("memory.current")
        }
    }

    fn write(&self, name: &str, value: &str) -> Result<(), SandboxError> {
        let p = self.file(name);
        self.fs
            .write(&p, value)
            .map_err(|e| SandboxError::cgroup(p, e))
    }

    fn read(&self, name: &str) -> Result<String, SandboxError> {
        let p = self.file(name);
        self.fs.read(&p).map_err(|e| SandboxError::cgroup(p, e))
    }

    /// Creates the ancestors and enables our controllers for their children (top-down,
    /// as v2 requires; skipped where already enabled).
    fn ensure_parents(&self) -> Result<(), SandboxError> {
        let Some(parent) = self.dir.parent() else {
            return Ok(());
        };
        let rel = parent.strip_prefix(&self.root).unwrap_or(Path::new(""));
        let mut cur = self.root.clone();
        self.enable_controllers(&cur)?;
        for comp in rel.components() {
            cur.push(comp);
            ensure_dir(self.fs.as_ref(), &cur)?;
            self.enable_controllers(&cur)?;
        }
        Ok(())
    }

    fn enable_controllers(&self, dir: &Path) -> Result<(), SandboxError> {
        let ctl = dir.join("cgroup.subtree_control");
        let enabled = self.fs.read(&ctl).unwrap_or_default();
        let have: Vec<&str> = enabled.split_whitespace().collect();
        let missing: Vec<String> = CONTROLLERS
            .iter()
            .filter(|c| !have.contains(c))
            .map(|c| format!("+{c}"))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.fs
            .write(&ctl, &missing.join(" "))
            .map_err(|e| SandboxError::cgroup(ctl, e))
    }
}

impl SandboxCgroup for CgroupV2 {
    fn create(&self, limits: &Limits) -> Result<(), SandboxError> {
        self.ensure_parents()?;
        ensure_dir(self.fs.as_ref(), &self.dir)?;
        if self.fs.exists(&self.file("memory.swap.max")) {
            self.write("memory.swap.max", "0")?;
        }
        self.set_limits(limits)?;
        if let Ok(f) = self.fs.open_value(&self.peak_file()) {
            let _ = self.peak.set(f);
        }
        Ok(())
    }

    fn set_limits(&self, limits: &Limits) -> Result<(), SandboxError> {
        self.write("memory.max", &limits.memory_bytes().to_string())?;
        // Writing memory.peak restarts it (Linux 6.12+); older kernels keep the record.
        if self.fs.exists(&self.file("memory.peak")) {
            let _ = self.write("memory.peak", "0");
        }
        self.set_cpu_millis(limits.cpu_millis)?;
        self.write("pids.max", &limits.pids_max.to_string())
    }

    fn set_cpu_millis(&self, cpu_millis: u32) -> Result<(), SandboxError> {
        let quota = Limits::quota_for(cpu_millis).map_or("max".to_string(), |q| q.to_string());
        self.write("cpu.max", &format!("{quota} {CPU_PERIOD_US}"))
    }

    fn add_process(&self, pid: i32) -> Result<(), SandboxError> {
        self.write("cgroup.procs", &pid.to_string())
    }

    fn freeze(&self) -> Result<(), SandboxError> {
        self.write("cgroup.freeze", "1")?;
        wait_until("cgroup.events frozen 1", || {
            Ok(keyed_value(&self.read("cgroup.events")?, "frozen") == Some(1))
        })
    }

    fn thaw(&self) -> Result<(), SandboxError> {
        self.write("cgroup.freeze", "0")
    }

    fn memory_peak_bytes(&self) -> Result<u64, SandboxError> {
        match self.peak.get() {
            Some(f) => f
                .read_u64()
                .map_err(|e| SandboxError::cgroup(self.file("memory.peak"), e)),
            None => read_u64(self.fs.as_ref(), &self.peak_file()),
        }
    }

    fn oom_killed(&self) -> Result<bool, SandboxError> {
        Ok(keyed_value(&self.read("memory.events")?, "oom_kill").unwrap_or(0) > 0)
    }

    fn kill_all(&self) -> Result<(), SandboxError> {
        if self.fs.exists(&self.file("cgroup.kill")) {
            self.write("cgroup.kill", "1")
        } else {
            kill_listed(self.fs.as_ref(), &self.file("cgroup.procs"))
        }
    }

    fn remove(&self) -> Result<(), SandboxError> {
        remove_dir_retry(self.fs.as_ref(), &self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::fake::FakeFs;

    fn setup() -> (Arc<FakeFs>, CgroupV2) {
        let fs = Arc::new(FakeFs::default());
        fs.add_dir("/cg");
        fs.set("/cg/cgroup.subtree_control", "cpu");
        let cg = CgroupV2::new(fs.clone(), Path::new("/cg"), "stratus/pool", "abc");
        (fs, cg)
    }

    #[test]
    fn create_enables_controllers_and_writes_v2_limits() {
        let (fs, cg) = setup();
        fs.set("/cg/stratus/pool/abc/memory.swap.max", "max");
        cg.create(&Limits {
            memory_mb: 256,
            cpu_millis: 144,
            pids_max: 1024,
        })
        .expect("create");
        assert_eq!(fs.get("/cg/cgroup.subtree_control"), "+memory +pids");
        assert_eq!(
            fs.get("/cg/stratus/cgroup.subtree_control"),
            "+memory +cpu +pids"
        );
        assert_eq!(
            fs.get("/cg/stratus/pool/cgroup.subtree_control"),
            "+memory +cpu +pids"
        );
        assert!(fs.is_dir("/cg/stratus/pool/abc"));
        assert_eq!(fs.get("/cg/stratus/pool/abc/memory.max"), "268435456");
        assert_eq!(fs.get("/cg/stratus/pool/abc/memory.swap.max"), "0");
        assert_eq!(fs.get("/cg/stratus/pool/abc/cpu.max"), "14400 100000");
        assert_eq!(fs.get("/cg/stratus/pool/abc/pids.max"), "1024");
    }

    #[test]
    fn unlimited_cpu_and_no_swap_file() {
        let (fs, cg) = setup();
        cg.create(&Limits {
            memory_mb: 1,
            cpu_millis: 0,
            pids_max: 5,
        })
        .expect("create");
        assert_eq!(fs.get("/cg/stratus/pool/abc/cpu.max"), "max 100000");
        assert!(!fs.has("/cg/stratus/pool/abc/memory.swap.max"));
    }

    #[test]
    fn procs_freeze_stats_kill_remove() {
        let (fs, cg) = setup();
        cg.create(&Limits {
            memory_mb: 1,
            cpu_millis: 0,
            pids_max: 5,
        })
        .expect("create");
        cg.add_process(7).expect("add");
        assert_eq!(fs.get("/cg/stratus/pool/abc/cgroup.procs"), "7");
        cg.freeze().expect("freeze");
        assert_eq!(fs.get("/cg/stratus/pool/abc/cgroup.freeze"), "1");
        cg.thaw().expect("thaw");
        assert_eq!(fs.get("/cg/stratus/pool/abc/cgroup.freeze"), "0");
        fs.set("/cg/stratus/pool/abc/memory.current", "100");
        assert_eq!(cg.memory_peak_bytes().expect("current"), 100);
        fs.set("/cg/stratus/pool/abc/memory.peak", "5000");
        assert_eq!(cg.memory_peak_bytes().expect("peak"), 5000);
        fs.set(
            "/cg/stratus/pool/abc/memory.events",
            "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
        );
        assert!(cg.oom_killed().expect("oom"));
        fs.set("/cg/stratus/pool/abc/cgroup.kill", "");
        cg.kill_all().expect("kill");
        assert_eq!(fs.get("/cg/stratus/pool/abc/cgroup.kill"), "1");
        cg.remove().expect("remove");
        assert!(!fs.is_dir("/cg/stratus/pool/abc"));
    }

    #[test]
    fn freeze_times_out_when_kernel_never_reports_frozen() {
        let (fs, cg) = setup();
        cg.create(&Limits {
            memory_mb: 1,
            cpu_millis: 0,
            pids_max: 5,
        })
        .expect("create");
        fs.set_freeze_sticks(false);
        fs.set(
            "/cg/stratus/pool/abc/cgroup.events",
            "populated 1\nfrozen 0\n",
        );
        assert!(matches!(cg.freeze(), Err(SandboxError::Timeout(_))));
    }
}
