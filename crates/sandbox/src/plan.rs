//! The setup plan: the exact list of operations the child performs to assemble its root.
//!
//! Built in the server, sent to the sandbox's init process in its [`crate::order::Order`]
//! and executed there: every path is a ready `CString`. Building is pure so it is
//! unit-tested.

use std::collections::HashSet;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::SandboxError;

const DEVICES: &[(&str, u32, u32)] = &[
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

const DEV_LINKS: &[(&str, &str)] = &[
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

/// One step of the child's setup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Op {
    /// `unshare(CLONE_NEWCGROUP)`, after the parent moved the child into its cgroups.
    UnshareCgroupNs,
    Mkdir {
        path: CString,
        mode: u32,
    },
    Symlink {
        target: CString,
        link: CString,
    },
    Mknod {
        path: CString,
        major: u32,
        minor: u32,
    },
    Mount {
        source: Option<CString>,
        target: CString,
        fstype: Option<CString>,
        flags: libc::c_ulong,
        data: Option<CString>,
    },
    /// `chdir(new_root); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/")`.
    PivotRoot {
        new_root: CString,
    },
    Sethostname {
        name: CString,
    },
    /// `chown(path, uid, gid)`: gives `/tmp`'s root to the environment's user.
    Chown {
        path: CString,
        uid: u32,
        gid: u32,
    },
    LoopbackUp,
}

impl Op {
    /// Human-readable form for errors and tests.
    pub(crate) fn describe(&self) -> String {
        fn s(c: &CString) -> String {
            c.to_string_lossy().into_owned()
        }
        match self {
            Op::UnshareCgroupNs => "unshare cgroup ns".into(),
            Op::Mkdir { path, mode } => format!("mkdir {} {:o}", s(path), mode),
            Op::Symlink { target, link } => format!("symlink {} -> {}", s(link), s(target)),
            Op::Mknod { path, major, minor } => format!("mknod {} {major}:{minor}", s(path)),
            Op::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => format!(
                "mount {} on {} type {} flags {:#x} data {}",
                source.as_ref().map(s).unwrap_or_else(|| "-".into()),
                s(target),
                fstype.as_ref().map(s).unwrap_or_else(|| "-".into()),
                flags,
                data.as_ref().map(s).unwrap_or_else(|| "-".into()),
            ),
            Op::PivotRoot { new_root } => format!("pivot_root {}", s(new_root)),
            Op::Sethostname { name } => format!("sethostname {}", s(name)),
            Op::Chown { path, uid, gid } => format!("chown {} {uid}:{gid}", s(path)),
            Op::LoopbackUp => "loopback up".into(),
        }
    }
}

/// A host system directory as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SystemDir {
    Dir(PathBuf),
    Symlink { path: PathBuf, target: PathBuf },
}

/// Looks at the host: directories are bind-mounted, symlinks recreated, missing skipped.
pub(crate) fn classify_system_dirs(dirs: &[PathBuf]) -> Vec<SystemDir> {
    dirs.iter()
        .filter_map(|d| {
            let meta = std::fs::symlink_metadata(d).ok()?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(d).ok()?;
                Some(SystemDir::Symlink {
                    path: d.clone(),
                    target,
                })
            } else if meta.is_dir() {
                Some(SystemDir::Dir(d.clone()))
            } else {
                None
            }
        })
        .collect()
}

/// What the plan is built from.
#[derive(Debug, Clone)]
pub(crate) struct PlanInput<'a> {
    pub root: &'a Path,
    pub task_root: &'a Path,
    pub layers: &'a [PathBuf],
    pub runtime_dir: Option<&'a Path>,
    pub tmp_size_mb: u32,
    /// A block device holding the /tmp filesystem (ext4), instead of a tmpfs.
    pub tmp_device: Option<&'a Path>,
    /// `/tmp` was mounted by the base plan already: mount nothing there.
    pub tmp_ready: bool,
    pub hostname: &'a str,
    /// The environment's ids: `/tmp`'s root directory is given to them.
    pub uid: u32,
    pub gid: u32,
}

pub(crate) fn cstring(bytes: &[u8]) -> Result<CString, SandboxError> {
    CString::new(bytes).map_err(|_| {
        SandboxError::InvalidConfig(format!("NUL byte in {:?}", String::from_utf8_lossy(bytes)))
    })
}

pub(crate) fn path_cstring(p: &Path) -> Result<CString, SandboxError> {
    cstring(p.as_os_str().as_bytes())
}

struct Builder<'a> {
    root: &'a Path,
    ops: Vec<Op>,
    dirs: HashSet<PathBuf>,
}

impl Builder<'_> {
    /// Host path of `inside` (absolute inside the sandbox) under the new root.
    fn host(&self, inside: &Path) -> PathBuf {
        self.root.join(inside.strip_prefix("/").unwrap_or(inside))
    }

    fn mkdir_all(&mut self, inside: &Path, mode: u32) -> Result<(), SandboxError> {
        if inside == Path::new("/") || self.dirs.contains(inside) {
            return Ok(());
        }
        if let Some(parent) = inside.parent() {
            self.mkdir_all(parent, 0o755)?;
        }
        let path = path_cstring(&self.host(inside))?;
        self.ops.push(Op::Mkdir { path, mode });
        self.dirs.insert(inside.to_path_buf());
        Ok(())
    }

    fn mount(
        &mut self,
        source: Option<&[u8]>,
        inside: &Path,
        fstype: Option<&str>,
        flags: libc::c_ulong,
        data: Option<&str>,
    ) -> Result<(), SandboxError> {
        let op = Op::Mount {
            source: source.map(cstring).transpose()?,
            target: path_cstring(&self.host(inside))?,
            fstype: fstype.map(|f| cstring(f.as_bytes())).transpose()?,
            flags,
            data: data.map(|d| cstring(d.as_bytes())).transpose()?,
        };
        self.ops.push(op);
        Ok(())
    }

    /// Read-only recursive bind of a host dir at `inside` (created).
    fn bind_ro(&mut self, host: &Path, inside: &Path) -> Result<(), SandboxError> {
        self.mkdir_all(inside, 0o755)?;
        self.mount(
            Some(host.as_os_str().as_bytes()),
            inside,
            None,
            libc::MS_BIND | libc::MS_REC,
            None,
        )?;
        self.mount(
            None,
            inside,
            None,
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
            None,
        )
    }
}

/// overlayfs `lowerdir=` value: leftmost wins, so the last attached layer goes first.
pub(crate) fn overlay_lowerdir(layers: &[PathBuf]) -> Result<String, SandboxError> {
    let mut parts = Vec::with_capacity(layers.len());
    for l in layers.iter().rev() {
        let s = l.to_str().ok_or_else(|| {
            SandboxError::InvalidConfig(format!("layer path not UTF-8: {}", l.display()))
        })?;
        if s.contains([':', ',', '\\']) {
            return Err(SandboxError::InvalidConfig(format!(
                "layer path may not contain ':', ',' or '\\': {s}"
            )));
        }
        parts.push(s);
    }
    Ok(format!("lowerdir={}", parts.join(":")))
}

/// The function-independent part of a root, which a shell assembles while it waits for a
/// function: cgroup namespace, private propagation, the root tmpfs, the system dirs,
/// `/proc`, `/dev`, and the empty mount points of the function's part.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub ops: Vec<Op>,
    dirs: HashSet<PathBuf>,
}

const TASK: &str = "/var/task";
const OPT: &str = "/opt";
const RUNTIME: &str = "/var/runtime";
const TMP: &str = "/tmp";

/// `/tmp` from a block device holding an ext4 filesystem.
fn mount_ext4(b: &mut Builder<'_>, dev: &Path) -> Result<(), SandboxError> {
    b.mount(
        Some(dev.as_os_str().as_bytes()),
        Path::new(TMP),
        Some("ext4"),
        libc::MS_NOSUID | libc::MS_NODEV,
        None,
    )
}

/// Builds the base part (runs in the shell before it is assigned).
pub(crate) fn build_base(
    root: &Path,
    system_dirs: &[SystemDir],
    etc_dir: Option<&Path>,
    tmp_device: Option<&Path>,
) -> Result<Base, SandboxError> {
    let mut b = Builder {
        root,
        ops: Vec::with_capacity(64),
        dirs: HashSet::new(),
    };
    b.ops.push(Op::UnshareCgroupNs);
    // Stop mount propagation in both directions before touching anything.
    b.ops.push(Op::Mount {
        source: None,
        target: cstring(b"/")?,
        fstype: None,
        flags: libc::MS_REC | libc::MS_PRIVATE,
        data: None,
    });
    // The new root: a small tmpfs that only holds mount points and symlinks.
    b.ops.push(Op::Mount {
        source: Some(cstring(b"tmpfs")?),
        target: path_cstring(root)?,
        fstype: Some(cstring(b"tmpfs")?),
        flags: libc::MS_NOSUID | libc::MS_NODEV,
        data: Some(cstring(b"size=1m,mode=755")?),
    });

    for sd in system_dirs {
        match sd {
            SystemDir::Dir(p) => b.bind_ro(p, p)?,
            SystemDir::Symlink { path, target } => {
                if let Some(parent) = path.parent() {
                    b.mkdir_all(parent, 0o755)?;
                }
                let op = Op::Symlink {
                    target: path_cstring(target)?,
                    link: path_cstring(&b.host(path))?,
                };
                b.ops.push(op);
            }
        }
    }

    if let Some(etc) = etc_dir {
        b.bind_ro(etc, Path::new("/etc"))?;
    }

    let proc_ = Path::new("/proc");
    b.mkdir_all(proc_, 0o555)?;
    b.mount(
        Some(b"proc"),
        proc_,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    )?;

    let dev = Path::new("/dev");
    b.mkdir_all(dev, 0o755)?;
    b.mount(
        Some(b"tmpfs"),
        dev,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("size=64k,mode=755"),
    )?;
    for (name, major, minor) in DEVICES {
        let path = path_cstring(&b.host(&dev.join(name)))?;
        b.ops.push(Op::Mknod {
            path,
            major: *major,
            minor: *minor,
        });
    }
    for (name, target) in DEV_LINKS {
        let link = path_cstring(&b.host(&dev.join(name)))?;
        b.ops.push(Op::Symlink {
            target: cstring(target.as_bytes())?,
            link,
        });
    }
    let shm = Path::new("/dev/shm");
    b.mkdir_all(shm, 0o1777)?;
    b.mount(
        Some(b"tmpfs"),
        shm,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("size=64m,mode=1777"),
    )?;

    for (dir, mode) in [(TASK, 0o755), (OPT, 0o755), (RUNTIME, 0o755), (TMP, 0o1777)] {
        b.mkdir_all(Path::new(dir), mode)?;
    }
    if let Some(dev) = tmp_device {
        mount_ext4(&mut b, dev)?;
    }
    b.ops.push(Op::LoopbackUp);
    Ok(Base {
        ops: b.ops,
        dirs: b.dirs,
    })
}

/// Builds the function's part, which follows `base`: code, layers, runtime, `/tmp`,
/// hostname, then the pivot into the new root.
pub(crate) fn build_function(base: &Base, input: &PlanInput<'_>) -> Result<Vec<Op>, SandboxError> {
    if input.tmp_size_mb == 0 {
        return Err(SandboxError::InvalidConfig(
            "tmp_size_mb must be at least 1".into(),
        ));
    }
    let mut b = Builder {
        root: input.root,
        ops: Vec::with_capacity(16),
        dirs: base.dirs.clone(),
    };
    b.bind_ro(input.task_root, Path::new(TASK))?;

    let opt = Path::new(OPT);
    match input.layers {
        [] => {}
        [one] => b.bind_ro(one, opt)?,
        many => {
            let lower = overlay_lowerdir(many)?;
            b.mount(
                Some(b"overlay"),
                opt,
                Some("overlay"),
                libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
                Some(&lower),
            )?;
        }
    }

    if let Some(dir) = input.runtime_dir {
        b.bind_ro(dir, Path::new(RUNTIME))?;
    }

    let tmp = Path::new(TMP);
    match input.tmp_device {
        _ if input.tmp_ready => {}
        Some(dev) => mount_ext4(&mut b, dev)?,
        None => {
            let tmp_data = format!("size={}m,mode=1777", input.tmp_size_mb);
            b.mount(
                Some(b"tmpfs"),
                tmp,
                Some("tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV,
                Some(&tmp_data),
            )?;
        }
    }

    // Whatever filesystem /tmp is (an image formatted for root, the shell's, a tmpfs),
    // its root belongs to the environment's user, who is the only one writing there.
    b.ops.push(Op::Chown {
        path: path_cstring(&b.host(tmp))?,
        uid: input.uid,
        gid: input.gid,
    });
    b.ops.push(Op::Sethostname {
        name: cstring(input.hostname.as_bytes())?,
    });
    b.ops.push(Op::PivotRoot {
        new_root: path_cstring(input.root)?,
    });
    // The root tmpfs itself becomes read-only last.
    b.ops.push(Op::Mount {
        source: None,
        target: cstring(b"/")?,
        fstype: None,
        flags: libc::MS_REMOUNT
            | libc::MS_BIND
            | libc::MS_RDONLY
            | libc::MS_NOSUID
            | libc::MS_NODEV,
        data: None,
    });
    Ok(b.ops)
}

/// The whole plan, base then function part (what a sandbox made on demand runs).
#[cfg(test)]
pub(crate) fn build(
    system_dirs: &[SystemDir],
    input: &PlanInput<'_>,
) -> Result<Vec<Op>, SandboxError> {
    let base = build_base(input.root, system_dirs, None, None)?;
    let mut ops = base.ops.clone();
    ops.extend(build_function(&base, input)?);
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(layers: &[&str], runtime: Option<&str>) -> Vec<String> {
        let sys = vec![
            SystemDir::Dir("/usr".into()),
            SystemDir::Symlink {
                path: "/bin".into(),
                target: "usr/bin".into(),
            },
            SystemDir::Dir("/etc".into()),
        ];
        let layers: Vec<PathBuf> = layers.iter().map(PathBuf::from).collect();
        build(
            &sys,
            &PlanInput {
                root: Path::new("/r"),
                task_root: Path::new("/data/code"),
                layers: &layers,
                runtime_dir: runtime.map(Path::new),
                tmp_size_mb: 512,
                tmp_device: None,
                tmp_ready: false,
                hostname: "abc",
                uid: 1000,
                gid: 1000,
            },
        )
        .expect("plan")
        .iter()
        .map(Op::describe)
        .collect()
    }

    fn index_of(ops: &[String], needle: &str) -> usize {
        ops.iter()
            .position(|o| o.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in {ops:#?}"))
    }

    #[test]
    fn plan_order_and_contents() {
        let ops = plan(&[], None);
        assert_eq!(ops[0], "unshare cgroup ns");
        assert!(
            ops[1].starts_with("mount - on / type - flags 0x44000"),
            "{}",
            ops[1]
        );
        assert!(ops[2].contains("on /r type tmpfs"));
        // system dirs: bind then read-only remount, symlink recreated
        let usr_bind = index_of(&ops, "mount /usr on /r/usr");
        assert!(ops[usr_bind + 1].starts_with("mount - on /r/usr"));
        assert!(ops.contains(&"symlink /r/bin -> usr/bin".to_string()));
        // /var created once, before /var/task
        let var = index_of(&ops, "mkdir /r/var 755");
        let task = index_of(&ops, "mkdir /r/var/task 755");
        assert!(var < task);
        assert_eq!(
            ops.iter()
                .filter(|o| o.starts_with("mkdir /r/var "))
                .count(),
            1
        );
        assert!(ops
            .iter()
            .any(|o| o.starts_with("mount /data/code on /r/var/task")));
        assert!(ops.contains(&"mkdir /r/opt 755".to_string()));
        assert!(ops.contains(&"mkdir /r/var/runtime 755".to_string()));
        assert!(ops
            .iter()
            .any(|o| o.contains("on /r/tmp type tmpfs") && o.ends_with("size=512m,mode=1777")));
        assert!(ops.iter().any(|o| o.contains("proc on /r/proc type proc")));
        assert!(ops.contains(&"mknod /r/dev/null 1:3".to_string()));
        assert!(ops.contains(&"symlink /r/dev/fd -> /proc/self/fd".to_string()));
        assert!(ops.iter().any(|o| o.contains("on /r/dev/shm type tmpfs")));
        assert!(ops.contains(&"sethostname abc".to_string()));
        // /tmp is given to the environment's user after it is mounted, before the pivot.
        let chown = index_of(&ops, "chown /r/tmp 1000:1000");
        assert!(chown > index_of(&ops, "on /r/tmp type tmpfs"));
        let pivot = index_of(&ops, "pivot_root /r");
        assert_eq!(pivot, ops.len() - 2);
        assert!(ops[pivot + 1].starts_with("mount - on / type - flags"));
        // nothing mounted after the pivot except the final remount
        let dev = index_of(&ops, "on /r/dev type tmpfs");
        let null = index_of(&ops, "mknod /r/dev/null");
        assert!(dev < null);
    }

    #[test]
    fn layers_one_is_bind_many_is_overlay_later_wins() {
        let ops = plan(&["/l/a"], Some("/rt"));
        assert!(ops.iter().any(|o| o.starts_with("mount /l/a on /r/opt")));
        assert!(ops
            .iter()
            .any(|o| o.starts_with("mount /rt on /r/var/runtime")));
        let ops = plan(&["/l/a", "/l/b", "/l/c"], None);
        let o = &ops[index_of(&ops, "on /r/opt type overlay")];
        assert!(o.ends_with("data lowerdir=/l/c:/l/b:/l/a"), "{o}");
    }

    #[test]
    fn a_tmp_mounted_by_the_base_is_not_mounted_again() {
        let base = build_base(
            Path::new("/r"),
            &[],
            Some(Path::new("/e")),
            Some(Path::new("/dev/loop7")),
        )
        .expect("base");
        let base_ops: Vec<String> = base.ops.iter().map(Op::describe).collect();
        let tmp = index_of(&base_ops, "mount /dev/loop7 on /r/tmp type ext4");
        assert!(tmp > index_of(&base_ops, "mkdir /r/tmp 1777"));
        assert!(base_ops.iter().any(|o| o.starts_with("mount /e on /r/etc")));
        let input = |tmp_ready, tmp_device| PlanInput {
            root: Path::new("/r"),
            task_root: Path::new("/t"),
            layers: &[],
            runtime_dir: None,
            tmp_size_mb: 512,
            tmp_device,
            tmp_ready,
            hostname: "h",
            uid: 1000,
            gid: 1000,
        };
        let f: Vec<String> = build_function(&base, &input(true, None))
            .expect("function")
            .iter()
            .map(Op::describe)
            .collect();
        assert!(
            !f.iter()
                .any(|o| o.contains("/r/tmp") && !o.starts_with("chown")),
            "{f:#?}"
        );
        assert!(f.contains(&"chown /r/tmp 1000:1000".to_string()), "{f:#?}");
        assert!(!f.iter().any(|o| o.starts_with("mkdir")), "{f:#?}");
        // A different size brings its own device, mounted over the base's.
        let f: Vec<String> = build_function(&base, &input(false, Some(Path::new("/dev/loop8"))))
            .expect("function")
            .iter()
            .map(Op::describe)
            .collect();
        assert!(f
            .iter()
            .any(|o| o.starts_with("mount /dev/loop8 on /r/tmp type ext4")));
    }

    #[test]
    fn rejects_bad_inputs() {
        assert!(overlay_lowerdir(&["/a:b".into(), "/c".into()]).is_err());
        assert!(overlay_lowerdir(&["/a,b".into(), "/c".into()]).is_err());
        let r = build(
            &[],
            &PlanInput {
                root: Path::new("/r"),
                task_root: Path::new("/t"),
                layers: &[],
                runtime_dir: None,
                tmp_size_mb: 0,
                tmp_device: None,
                tmp_ready: false,
                hostname: "h",
                uid: 1000,
                gid: 1000,
            },
        );
        assert!(r.is_err());
    }

    #[test]
    fn classify_skips_missing_and_keeps_symlinks() {
        let d = tempfile::tempdir().expect("tempdir");
        let real = d.path().join("real");
        std::fs::create_dir(&real).expect("mkdir");
        let link = d.path().join("link");
        std::os::unix::fs::symlink("real", &link).expect("symlink");
        let missing = d.path().join("missing");
        let got = classify_system_dirs(&[real.clone(), link.clone(), missing]);
        assert_eq!(
            got,
            vec![
                SystemDir::Dir(real),
                SystemDir::Symlink {
                    path: link,
                    target: "real".into()
                }
            ]
        );
    }
}
