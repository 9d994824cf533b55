//! Start, exit status, argv/env/cwd, kill, exec errors, cleanup.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use stratus_sandbox::{ExitStatus, Sandbox, SandboxError, Shell};

#[test]
fn argv_env_cwd_hostname_arrive_as_given() {
    let task = world_dir();
    let mut cfg = config(
        task.path(),
        &[
            "sh",
            "-c",
            "echo \"$0|$1|$FOO|$(pwd)|$(cat /proc/sys/kernel/hostname)\"",
            "arg0",
            "arg one",
        ],
    );
    cfg.env.push(("FOO".into(), "bar baz".into()));
    let out = run(&cfg);
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
    assert_eq!(
        out.stdout.trim(),
        format!("arg0|arg one|bar baz|/var/task|{}", cfg.id)
    );
}

#[test]
fn exit_code_and_stderr_are_reported() {
    let out = run_sh("echo oops >&2; exit 7");
    assert_eq!(out.status, ExitStatus::Exited(7));
    assert_eq!(out.stderr.trim(), "oops");
}

#[test]
fn environment_is_exactly_the_given_one() {
    let task = world_dir();
    let mut cfg = config(task.path(), &["/usr/bin/env"]);
    cfg.env = vec![("A".into(), "1".into()), ("B".into(), "x=y".into())];
    let out = run(&cfg);
    assert_eq!(out.stdout, "A=1\nB=x=y\n");
}

#[test]
fn missing_program_fails_start_with_execve_error() {
    let task = world_dir();
    let cfg = config(task.path(), &["/var/task/nope"]);
    let mut sb = Sandbox::prepare(&cfg, &host()).unwrap();
    match sb.start() {
        Err(SandboxError::Setup { step, errno }) => {
            assert_eq!(step, "execve");
            assert_eq!(errno, nix::errno::Errno::ENOENT);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn kill_stops_everything_and_removes_cgroups() {
    let task = world_dir();
    let cfg = sh(task.path(), "sleep 1000 & sleep 1000");
    let mut sb = Sandbox::prepare(&cfg, &host()).unwrap();
    sb.start().unwrap();
    assert_eq!(sb.try_wait().unwrap(), None);
    let cg = Path::new("/sys/fs/cgroup/pids/stratus-test").join(sb.cgroup_name());
    if host().cgroup_version == stratus_sandbox::CgroupVersion::V1 {
        assert!(cg.exists());
    }
    sb.kill().unwrap();
    assert_eq!(sb.try_wait().unwrap(), Some(ExitStatus::Signaled(9)));
    assert!(!cg.exists());
    assert!(!Path::new("/sys/fs/cgroup/memory/stratus-test")
        .join(sb.cgroup_name())
        .exists());
    sb.kill().unwrap(); // idempotent
}

#[test]
fn drop_before_start_cleans_up() {
    let task = world_dir();
    let cfg = sh(task.path(), "true");
    let sb = Sandbox::prepare(&cfg, &host()).unwrap();
    let pid = sb.pid();
    let cgroup = sb.cgroup_name().to_owned();
    drop(sb);
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
    assert!(!Path::new("/sys/fs/cgroup/memory/stratus-test")
        .join(cgroup)
        .exists());
}

#[test]
fn runtime_exit_ends_the_sandbox_and_its_leftovers() {
    // the background sleep is killed when the runtime (and so pid 1) exits
    let out = run_sh("sleep 1000 & echo started");
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout.trim(), "started");
}

#[test]
fn pipes_reach_eof_when_runtime_exits() {
    let task = world_dir();
    let mut sb = Sandbox::prepare(&sh(task.path(), "echo hi"), &host()).unwrap();
    let out = read_all(sb.stdout().unwrap());
    sb.start().unwrap();
    assert_eq!(out.join().unwrap(), "hi\n");
    assert_eq!(
        wait_exit(&mut sb, Duration::from_secs(5)),
        Some(ExitStatus::Exited(0))
    );
}

#[test]
fn stale_cgroups_from_a_crashed_server_are_cleaned_up() {
    let mut h = host();
    h.cgroup_parent = format!("stratus-stale-{}", std::process::id());
    let task = world_dir();
    let cfg = sh(task.path(), "sleep 1000");
    let mut sb = Sandbox::prepare(&cfg, &h).unwrap();
    sb.start().unwrap();
    // simulate a crash: the sandbox is never dropped, its cgroups stay behind
    let pid = sb.pid();
    let cgroup = sb.cgroup_name().to_owned();
    std::mem::forget(sb);
    assert_eq!(stratus_sandbox::cleanup_stale_cgroups(&h), 1);
    // pid 1 of the sandbox was killed; reap it since we are still its parent
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    assert!(!Path::new("/sys/fs/cgroup/memory")
        .join(&h.cgroup_parent)
        .join(cgroup)
        .exists());
    for c in ["memory", "cpu", "pids", "freezer"] {
        let _ = std::fs::remove_dir(Path::new("/sys/fs/cgroup").join(c).join(&h.cgroup_parent));
    }
}

#[test]
fn shells_run_init_not_a_copy_of_the_host_process_and_die_unassigned() {
    let h = host();
    let shell = Shell::spawn(&h, None).unwrap();
    let pid = shell.pid();
    // pid 1 of the sandbox is the init program, exec'd fresh.
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    let want = std::fs::canonicalize(&h.init_program).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut exe = exe;
    while exe != want && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
        exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    }
    assert_eq!(exe, want);
    drop(shell);
    assert!(!Path::new(&format!("/proc/{pid}")).exists());

    // An assigned shell runs its function like a prepared sandbox.
    let task = world_dir();
    let shell = Shell::spawn(&h, None).unwrap();
    let cfg = sh(task.path(), "echo from-shell $(hostname)");
    let mut sb = shell.assign(&cfg, &h).unwrap();
    let out = read_all(sb.stdout().unwrap());
    sb.start().unwrap();
    assert_eq!(
        wait_exit(&mut sb, std::time::Duration::from_secs(5)),
        Some(ExitStatus::Exited(0))
    );
    assert_eq!(out.join().unwrap().trim(), format!("from-shell {}", cfg.id));
}

#[test]
fn a_shell_whose_init_is_gone_fails_assign_or_start_cleanly() {
    // An init program that exits at once: the go byte or the order cannot be delivered, or
    // start sees the child gone; either way an error, no hang.
    let mut h = host();
    h.init_program = "/bin/true".into();
    let task = world_dir();
    let shell = match Shell::spawn(&h, None) {
        // init was executed before the spawn returned, and may be gone already
        Err(_) => return,
        Ok(shell) => shell,
    };
    std::thread::sleep(Duration::from_millis(100));
    let cfg = sh(task.path(), "true");
    match shell.assign(&cfg, &h) {
        Err(_) => {}
        Ok(mut sb) => assert!(sb.start().is_err()),
    }
}
