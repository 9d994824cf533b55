//! The sandbox's own `/etc`: a minimal directory written once by the server and mounted
//! read-only at `/etc` in every sandbox instead of the host's.
//!
//! It holds only what programs inside need: `passwd` and `group` with root and one
//! `sbx_user<uid>` account (and group of the same id) for every uid of the range
//! environments run as, so that `getpwuid(getuid())` answers in every environment;
//! `hosts` (localhost), `nsswitch.conf` (files only, then DNS for hosts), `resolv.conf`,
//! the host's CA certificates (`ssl/certs`, and `pki` where the host has it) for HTTPS
//! clients, the dynamic linker's cache `ld.so.cache` (without it libraries outside the
//! linker's built-in directories would not be found) and Debian's `alternatives` (symlinks
//! into `/usr`: `/usr/bin/awk` and others point through them). Nothing else of the host's
//! `/etc` is copied.

use std::ops::RangeInclusive;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::SandboxError;

/// Home directory of the sandbox accounts: `/tmp` is the one writable directory.
const HOME: &str = "/tmp";

/// The name of the account of `uid` (Lambda's accounts are named like `sbx_user1051`).
pub fn user_name(uid: u32) -> String {
    format!("sbx_user{uid}")
}

/// `passwd`: root, then one account per uid of `uids` (its group has the same id).
fn passwd(uids: &RangeInclusive<u32>) -> String {
    let mut s = String::from("root:x:0:0:root:/root:/sbin/nologin\n");
    for uid in uids.clone() {
        s.push_str(&format!(
            "{}:x:{uid}:{uid}::{HOME}:/sbin/nologin\n",
            user_name(uid)
        ));
    }
    s
}

/// `group`: root, then one group per uid of `uids`.
fn group(uids: &RangeInclusive<u32>) -> String {
    let mut s = String::from("root:x:0:\n");
    for uid in uids.clone() {
        s.push_str(&format!("{}:x:{uid}:\n", user_name(uid)));
    }
    s
}

const HOSTS: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

const NSSWITCH: &str = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n\
networks: files\nprotocols: files\nservices: files\n";

/// The sandbox has loopback only: no name server is reachable. With no `nameserver` line
/// the resolver tries 127.0.0.1, where nothing listens, and fails at once instead of
/// waiting for a host resolver it cannot reach.
const RESOLV: &str = "# Stratus sandbox: loopback only, no name server is reachable.\n\
options timeout:1 attempts:1\n";

/// Writes the minimal `/etc` into `dir` (emptied first) for environments running as the
/// uids of `uids`, copying the CA certificates from `host_etc` (normally `/etc`).
pub fn write_minimal_etc(
    dir: &Path,
    uids: RangeInclusive<u32>,
    host_etc: &Path,
) -> Result<(), SandboxError> {
    let io = |what: &'static str| move |e| SandboxError::io(what, e);
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io("empty the sandbox /etc"))?;
    }
    std::fs::create_dir_all(dir).map_err(io("create the sandbox /etc"))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(io("chmod the sandbox /etc"))?;
    let files = [
        ("passwd", passwd(&uids)),
        ("group", group(&uids)),
        ("hosts", HOSTS.to_owned()),
        ("nsswitch.conf", NSSWITCH.to_owned()),
        ("resolv.conf", RESOLV.to_owned()),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io("write the sandbox /etc"))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .map_err(io("chmod the sandbox /etc"))?;
    }
    for sub in ["ssl/certs", "pki", "alternatives"] {
        let from = host_etc.join(sub);
        if from.is_dir() {
            copy_tree(&from, &dir.join(sub)).map_err(io("copy the CA certificates"))?;
        }
    }
    let cache = host_etc.join("ld.so.cache");
    if cache.is_file() {
        std::fs::copy(&cache, dir.join("ld.so.cache")).map_err(io("copy ld.so.cache"))?;
    }
    Ok(())
}

/// Copies a tree of regular files, directories and symlinks (kept as symlinks: those of
/// `/etc/ssl/certs` point into `/usr/share`, which every sandbox mounts). Modes are made
/// world-readable; nothing else is copied.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &dest)?;
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &dest)?;
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn writes_only_the_minimal_files() {
        let host = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(host.path().join("ssl/certs")).unwrap();
        std::fs::write(host.path().join("ssl/certs/ca-certificates.crt"), "PEM").unwrap();
        std::os::unix::fs::symlink(
            "/usr/share/ca-certificates/x.crt",
            host.path().join("ssl/certs/x.pem"),
        )
        .unwrap();
        std::fs::write(host.path().join("shadow"), "secret").unwrap();
        std::fs::write(host.path().join("hostname"), "host").unwrap();
        let out = tempfile::tempdir().unwrap();
        let etc = out.path().join("etc");
        write_minimal_etc(&etc, 1000..=1002, host.path()).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&etc)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "group",
                "hosts",
                "nsswitch.conf",
                "passwd",
                "resolv.conf",
                "ssl"
            ]
        );
        let passwd = std::fs::read_to_string(etc.join("passwd")).unwrap();
        assert_eq!(passwd.lines().count(), 4);
        assert!(passwd.contains("sbx_user1002:x:1002:1002::/tmp:/sbin/nologin\n"));
        let group = std::fs::read_to_string(etc.join("group")).unwrap();
        assert!(group.contains("sbx_user1000:x:1000:\n"));
        assert_eq!(
            std::fs::read_to_string(etc.join("ssl/certs/ca-certificates.crt")).unwrap(),
            "PEM"
        );
        assert_eq!(
            std::fs::read_link(etc.join("ssl/certs/x.pem")).unwrap(),
            Path::new("/usr/share/ca-certificates/x.crt")
        );
        // Written again from scratch.
        write_minimal_etc(&etc, 5..=5, host.path()).unwrap();
        let passwd = std::fs::read_to_string(etc.join("passwd")).unwrap();
        assert!(!passwd.contains("sbx_user1000") && passwd.contains("sbx_user5:"));
    }
}
