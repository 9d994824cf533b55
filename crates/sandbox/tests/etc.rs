//! The sandbox's own `/etc` and its `/tmp` owner: only the minimal files, accounts that
//! name the sandbox's user, the CA certificates, and a `/tmp` that belongs to that user.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use stratus_sandbox::ExitStatus;

#[test]
fn etc_is_the_minimal_one_and_names_the_sandbox_user() {
    let script = "ls -A /etc | tr '\\n' ' '; echo; \
         id -un; id -gn; \
         grep -c . /etc/passwd; \
         test -s /etc/ssl/certs/ca-certificates.crt && echo ca-bundle; \
         for f in shadow hostname machine-id os-release fstab sudoers; do \
           test -e /etc/$f && echo \"HOST /etc/$f\"; done; \
         touch /etc/x 2>/dev/null && echo WROTE; \
         grep -q localhost /etc/hosts && echo hosts; \
         stat -c '%u:%g %a' /tmp; touch /tmp/mine && stat -c '%u' /tmp/mine";
    let out = run_sh(script);
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let mut names: Vec<&str> = lines[0].split_whitespace().collect();
    names.sort_unstable();
    let mut allowed = vec![
        "alternatives",
        "group",
        "hosts",
        "ld.so.cache",
        "nsswitch.conf",
        "passwd",
        "pki",
        "resolv.conf",
        "ssl",
    ];
    allowed.retain(|n| names.contains(n));
    assert_eq!(names, allowed, "{}", out.stdout);
    assert_eq!(lines[1], format!("sbx_user{UID}"));
    assert_eq!(lines[2], format!("sbx_user{UID}"));
    assert_eq!(lines[3], (UIDS.count() + 1).to_string());
    assert_eq!(lines[4], "ca-bundle", "{}", out.stdout);
    assert!(!out.stdout.contains("HOST "), "{}", out.stdout);
    assert!(!out.stdout.contains("WROTE"), "{}", out.stdout);
    assert_eq!(lines[5], "hosts");
    assert_eq!(lines[6], format!("{UID}:{UID} 1777"));
    assert_eq!(lines[7], UID.to_string());
}

#[test]
fn tmp_belongs_to_each_sandboxs_own_uid() {
    let task = world_dir();
    for uid in [991, 997] {
        let mut cfg = sh(task.path(), "stat -c '%u:%g' /tmp; id -u");
        cfg.uid = uid;
        cfg.gid = uid;
        let out = run(&cfg);
        assert_eq!(out.status, ExitStatus::Exited(0), "{}", out.stderr);
        assert_eq!(out.stdout, format!("{uid}:{uid}\n{uid}\n"));
    }
}
