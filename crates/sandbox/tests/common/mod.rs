//! Helpers for the integration tests: real sandboxes, as root.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use stratus_sandbox::{ExitStatus, HostConfig, Sandbox, SandboxConfig};

pub const UID: u32 = 993;

/// Uids the generated `/etc` has accounts for.
pub const UIDS: std::ops::RangeInclusive<u32> = 990..=999;

/// The sandboxes' own `/etc`, written once per test process. The ones earlier test
/// processes wrote (their pid is gone) are removed first.
pub fn etc_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        for entry in std::fs::read_dir("/run").into_iter().flatten().flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix("stratus-test-etc-"))
            else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = PathBuf::from(format!("/run/stratus-test-etc-{}", std::process::id()));
        stratus_sandbox::write_minimal_etc(&dir, UIDS, Path::new("/etc")).unwrap();
        dir
    })
    .clone()
}

pub fn host() -> HostConfig {
    let mut h = HostConfig::detect();
    h.etc_dir = Some(etc_dir());
    h.cgroup_parent = "stratus-test".into();
    h.init_program = env!("CARGO_BIN_EXE_stratus-sandbox-init").into();
    h
}

pub fn new_id() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{:08x}{:08x}{:08x}{:08x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos,
        0xabcd_u32
    )
}

/// A world-readable directory outside the sandbox's view.
pub fn world_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir_in("/var/tmp").unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    d
}

pub fn write_file(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

pub fn config(task_root: &Path, argv: &[&str]) -> SandboxConfig {
    SandboxConfig {
        id: new_id(),
        task_root: task_root.to_path_buf(),
        layers: vec![],
        runtime_dir: None,
        tmp_size_mb: 16,
        tmp_image: None,
        memory_mb: 128,
        cpu_millis: 1000,
        pids_max: 64,
        uid: UID,
        gid: UID,
        argv: argv.iter().map(|s| s.to_string()).collect(),
        env: vec![("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into())],
        cwd: "/var/task".into(),
    }
}

pub fn sh(task_root: &Path, script: &str) -> SandboxConfig {
    config(task_root, &["/bin/sh", "-c", script])
}

/// How long a test waits for a pipe to reach end of file.
pub const PIPE_DEADLINE: Duration = Duration::from_secs(20);

/// A pipe being read to its end on a thread of its own.
pub struct Pipe(mpsc::Receiver<String>);

impl Pipe {
    /// Everything written to the pipe, once it reached end of file (within
    /// [`PIPE_DEADLINE`]).
    pub fn join(self) -> Result<String, String> {
        self.0.recv_timeout(PIPE_DEADLINE).map_err(|e| {
            format!("the pipe did not reach end of file within {PIPE_DEADLINE:?}: {e}")
        })
    }
}

pub fn read_all(fd: OwnedFd) -> Pipe {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut f = std::fs::File::from(fd);
        let mut s = String::new();
        let _ = f.read_to_string(&mut s);
        let _ = tx.send(s);
    });
    Pipe(rx)
}

/// Polls `cond` until it holds; fails the test, naming `what`, after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub fn wait_exit(sb: &mut Sandbox, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Some(s) = sb.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub sandbox: Sandbox,
}

/// Prepares, starts and runs a sandbox to completion (20 s max).
pub fn run(cfg: &SandboxConfig) -> Output {
    let mut sb = Sandbox::prepare(cfg, &host()).unwrap();
    let out = read_all(sb.stdout().unwrap());
    let err = read_all(sb.stderr().unwrap());
    sb.start().unwrap();
    let status = wait_exit(&mut sb, Duration::from_secs(20)).expect("sandbox did not exit");
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    Output {
        status,
        stdout,
        stderr,
        sandbox: sb,
    }
}

pub fn run_sh(script: &str) -> Output {
    let task = world_dir();
    run(&sh(task.path(), script))
}
