//! What the runtime can see and touch: filesystem, processes, privileges.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use stratus_sandbox::ExitStatus;

#[test]
fn host_files_are_invisible() {
    let secret = world_dir();
    write_file(secret.path(), "secret", "s3cr3t");
    let script = format!(
        "for p in /root /work /home /var/tmp /run /srv /mnt /var/lib {} {}/secret; do \
           if ls \"$p\" >/dev/null 2>&1 || cat \"$p\" >/dev/null 2>&1; then echo \"VISIBLE $p\"; fi; \
         done; ls / | tr '\\n' ' '; echo; ls /var | tr '\\n' ' '",
        secret.path().display(),
        secret.path().display()
    );
    let out = run_sh(&script);
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
    assert!(!out.stdout.contains("VISIBLE"), "{}", out.stdout);
    let mut lines = out.stdout.lines();
    let root: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    for unexpected in ["root", "work", "home", "srv", "mnt", "run", "boot", "media"] {
        assert!(!root.contains(&unexpected), "{root:?}");
    }
    for expected in ["usr", "etc", "bin", "tmp", "proc", "dev", "var", "opt"] {
        assert!(root.contains(&expected), "{root:?}");
    }
    let var: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(var, vec!["runtime", "task"]);
}

#[test]
fn only_tmp_is_writable_and_it_is_size_limited() {
    let task = world_dir();
    write_file(task.path(), "handler.sh", "echo hi");
    let script = "for p in / /var/task /var/task/handler.sh /usr /etc /opt /var/runtime /var /dev; do \
           if touch \"$p/x\" 2>/dev/null || echo >> \"$p\" 2>/dev/null; then echo \"WROTE $p\"; fi; \
         done; \
         echo data > /tmp/f && cat /tmp/f; \
         dd if=/dev/zero of=/tmp/big bs=1M count=40 2>/dev/null; echo dd=$?; \
         ls -l /tmp/big | awk '{print \"size=\" $5}'; \
         stat -c '%a' /tmp; \
         echo shm > /dev/shm/x && cat /dev/shm/x; \
         echo null > /dev/null && head -c 4 /dev/urandom | wc -c";
    let out = run(&sh(task.path(), script));
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
    assert!(!out.stdout.contains("WROTE"), "{}", out.stdout);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "data");
    assert_eq!(
        lines[1], "dd=1",
        "dd past the 16 MiB /tmp must fail: {}",
        out.stdout
    );
    let size: u64 = lines[2].trim_start_matches("size=").parse().unwrap();
    assert!(size <= 16 * 1024 * 1024, "{size}");
    assert_eq!(lines[3], "1777", "{}", out.stdout);
    assert_eq!(lines[4], "shm");
    assert_eq!(lines[5], "4");
}

#[test]
fn proc_shows_only_the_sandbox_and_host_pids_are_unreachable() {
    let me = std::process::id();
    let script = format!(
        "ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '; echo; \
         ps -e -o pid= | wc -l; \
         kill -9 {me} 2>/dev/null && echo KILLED || echo nokill; \
         kill -9 1 2>/dev/null; sleep 0.05; kill -0 1 && echo init-alive; \
         echo $$"
    );
    let out = run_sh(&script);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let pids: Vec<u32> = lines[0]
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(pids.iter().all(|p| *p < 20), "{pids:?}");
    assert!(pids.contains(&1));
    let ps: u32 = lines[1].trim().parse().unwrap();
    assert!(ps <= 6, "ps saw {ps} processes");
    assert_eq!(lines[2], "nokill");
    // SIGKILL from inside the namespace does not reach its pid 1 (the reaper)
    assert_eq!(lines[3], "init-alive");
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(lines[4], "2", "the runtime is pid 2 under the reaper");
}

#[test]
fn runs_unprivileged_with_no_new_privs_no_caps_and_seccomp() {
    let out = run_sh(
        "id -u; id -g; id -G; \
         grep -E '^(NoNewPrivs|CapEff|CapPrm|CapBnd|CapAmb|Seccomp):' /proc/self/status | tr -s '\\t ' ' '",
    );
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
    let text = out.stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], UID.to_string());
    assert_eq!(lines[1], UID.to_string());
    assert_eq!(lines[2], UID.to_string());
    for want in [
        "CapPrm: 0000000000000000",
        "CapEff: 0000000000000000",
        "CapBnd: 0000000000000000",
        "CapAmb: 0000000000000000",
        "NoNewPrivs: 1",
        "Seccomp: 2",
    ] {
        assert!(text.contains(want), "{want} missing in {text}");
    }
}

const PY_SYSCALLS: &str = r#"
import ctypes, os, errno
libc = ctypes.CDLL(None, use_errno=True)
def res(r):
    return "ok" if r == 0 else errno.errorcode.get(ctypes.get_errno(), "?")
print("unshare_user", res(libc.unshare(0x10000000)))
print("unshare_net", res(libc.unshare(0x40000000)))
print("mount", res(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)))
print("ptrace", res(libc.ptrace(16, 1, 0, 0)))
print("sethostname", res(libc.sethostname(b"x", 1)))
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("fork ok")
import threading
t = threading.Thread(target=lambda: None); t.start(); t.join()
print("thread ok")
"#;

#[test]
fn seccomp_denies_namespace_and_admin_calls_but_not_fork_or_threads() {
    let task = world_dir();
    write_file(task.path(), "probe.py", PY_SYSCALLS);
    let out = run(&config(
        task.path(),
        &["/usr/bin/python3.11", "/var/task/probe.py"],
    ));
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
    let s = out.stdout;
    for want in [
        "unshare_user EPERM",
        "unshare_net EPERM",
        "mount EPERM",
        "ptrace EPERM",
        "sethostname EPERM",
        "fork ok",
        "thread ok",
    ] {
        assert!(s.contains(want), "{want} missing in {s}");
    }
}

#[test]
fn layers_overlay_later_wins_and_runtime_dir_is_mounted() {
    let task = world_dir();
    let l1 = world_dir();
    let l2 = world_dir();
    let rt = world_dir();
    write_file(l1.path(), "who", "layer1");
    write_file(l1.path(), "only1", "one");
    write_file(l2.path(), "who", "layer2");
    write_file(
        rt.path(),
        "bootstrap",
        "#!/bin/sh\necho from-runtime \"$@\"\n",
    );
    let mut cfg = config(task.path(), &["/var/runtime/bootstrap", "x"]);
    cfg.layers = vec![l1.path().into(), l2.path().into()];
    cfg.runtime_dir = Some(rt.path().into());
    let out = run(&cfg);
    assert_eq!(out.stdout, "from-runtime x\n", "{}", out.stderr);

    let mut cfg = sh(
        task.path(),
        "cat /opt/who; cat /opt/only1; echo; touch /opt/x 2>/dev/null || echo ro",
    );
    cfg.layers = vec![l1.path().into(), l2.path().into()];
    let out = run(&cfg);
    assert_eq!(out.stdout, "layer2one\nro\n", "{}", out.stderr);

    let mut cfg = sh(task.path(), "cat /opt/who");
    cfg.layers = vec![l1.path().into()];
    assert_eq!(run(&cfg).stdout, "layer1");
}
