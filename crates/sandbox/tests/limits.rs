//! cgroup limits: pids, memory/OOM, freeze/thaw, stats.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use stratus_sandbox::{ExitStatus, Sandbox};

const PY_FORK_BOMB: &str = r#"
import os, time
n = 0
try:
    for i in range(500):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    print("all forks succeeded", n)
except OSError as e:
    print("fork failed after", n, e.errno)
"#;

#[test]
fn fork_bomb_is_stopped_by_pids_max() {
    let task = world_dir();
    write_file(task.path(), "bomb.py", PY_FORK_BOMB);
    let mut cfg = config(task.path(), &["/usr/bin/python3.11", "/var/task/bomb.py"]);
    cfg.pids_max = 16;
    let out = run(&cfg);
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
    let words: Vec<&str> = out.stdout.split_whitespace().collect();
    assert_eq!(&words[..3], &["fork", "failed", "after"], "{}", out.stdout);
    let n: u32 = words[3].parse().unwrap();
    assert!(n < 16, "{n}");
    assert_eq!(words[4], "11", "EAGAIN expected");
    // the host is fine
    assert!(std::process::Command::new("true")
        .status()
        .unwrap()
        .success());
}

#[test]
fn memory_limit_oom_kills_and_is_reported() {
    let task = world_dir();
    let mut cfg = config(
        task.path(),
        &[
            "/usr/bin/python3.11",
            "-c",
            "b = b'x' * (200 << 20); print('survived')",
        ],
    );
    cfg.memory_mb = 48;
    let mut out = run(&cfg);
    assert_eq!(
        out.status,
        ExitStatus::Signaled(9),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stdout.contains("survived"));
    assert!(out.sandbox.oom_killed());
    let peak = out.sandbox.memory_peak_bytes().unwrap();
    assert!(peak > 40 << 20 && peak <= 48 << 20, "peak {peak}");
    out.sandbox.kill().unwrap();
    // still answers after cleanup
    assert!(out.sandbox.oom_killed());
    assert_eq!(out.sandbox.memory_peak_bytes().unwrap(), peak);
}

#[test]
fn memory_peak_is_reported_and_no_oom_for_small_use() {
    let out = run_sh("echo ok");
    assert!(!out.sandbox.oom_killed());
    assert!(out.sandbox.memory_peak_bytes().unwrap() > 0);
}

#[test]
fn frozen_sandbox_makes_no_progress_until_thawed() {
    let task = world_dir();
    let cfg = sh(
        task.path(),
        "i=0; while true; do echo $i; i=$((i+1)); sleep 0.01; done",
    );
    let mut sb = Sandbox::prepare(&cfg, &host()).unwrap();
    let lines = Arc::new(AtomicU64::new(0));
    let counter = lines.clone();
    let fd = sb.stdout().unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(std::fs::File::from(fd)).lines() {
            if l.is_err() {
                break;
            }
            counter.fetch_add(1, Ordering::SeqCst);
        }
        let _ = done.send(());
    });
    let count = || lines.load(Ordering::SeqCst);
    sb.start().unwrap();
    wait_until(
        "lines from the running sandbox",
        Duration::from_secs(10),
        || count() > 3,
    );

    sb.freeze().unwrap();
    // A line already on its way may still arrive; then nothing for a while.
    std::thread::sleep(Duration::from_millis(20));
    let frozen_at = count();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count(), frozen_at, "progress while frozen");
    assert_eq!(sb.try_wait().unwrap(), None);

    sb.thaw().unwrap();
    wait_until("lines after the thaw", Duration::from_secs(10), || {
        count() > frozen_at + 3
    });

    // a frozen sandbox can still be killed
    sb.freeze().unwrap();
    sb.kill().unwrap();
    assert_eq!(sb.try_wait().unwrap(), Some(ExitStatus::Signaled(9)));
    finished
        .recv_timeout(PIPE_DEADLINE)
        .expect("stdout reaches end of file once the sandbox is killed");
}

#[test]
fn cpu_quota_is_applied() {
    let task = world_dir();
    let mut cfg = sh(task.path(), "true");
    cfg.cpu_millis = 250;
    let sb = Sandbox::prepare(&cfg, &host()).unwrap();
    if host().cgroup_version == stratus_sandbox::CgroupVersion::V1 {
        let dir = std::path::Path::new("/sys/fs/cgroup/cpu/stratus-test").join(sb.cgroup_name());
        let quota = std::fs::read_to_string(dir.join("cpu.cfs_quota_us")).unwrap();
        assert_eq!(quota.trim(), "25000");
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap();
        assert_eq!(procs.trim(), sb.pid().to_string());
        let mem = std::path::Path::new("/sys/fs/cgroup/memory/stratus-test").join(sb.cgroup_name());
        let limit = std::fs::read_to_string(mem.join("memory.limit_in_bytes")).unwrap();
        assert_eq!(limit.trim(), (128u64 << 20).to_string());
    }
}
