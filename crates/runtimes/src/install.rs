//! Writing the embedded bootstrap scripts into a runtime directory.
//!
//! Each file is written to a temporary name beside its target, given its mode, synced and
//! renamed into place, so a reader never sees a partial script. Files already holding the
//! right contents and mode are left alone, so installing on every start is cheap.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::registry::{launch_for, offered, Launch};

/// One file of the runtime directory.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Path relative to the runtime directory.
    pub path: &'static str,
    /// File contents.
    pub contents: &'static str,
    /// Unix permission bits.
    pub mode: u32,
}

/// Every file [`install`] writes.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "python/bootstrap.py",
        contents: include_str!("../assets/python/bootstrap.py"),
        mode: 0o755,
    },
    Asset {
        path: "python/_stratus_runtime.py",
        contents: include_str!("../assets/python/_stratus_runtime.py"),
        mode: 0o644,
    },
    Asset {
        path: "node/bootstrap.js",
        contents: include_str!("../assets/node/bootstrap.js"),
        mode: 0o755,
    },
    Asset {
        // Pins bootstrap.js to CommonJS whatever package.json sits above the runtime dir.
        path: "node/package.json",
        contents: include_str!("../assets/node/package.json"),
        mode: 0o644,
    },
];

const DIR_MODE: u32 = 0o755;

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes the bundled bootstraps into `dir` (`dir/python/…`, `dir/node/…`), creating
/// directories as needed (mode 0755). Idempotent and atomic per file.
pub fn install(dir: &Path) -> io::Result<()> {
    ensure_dir(dir)?;
    for asset in ASSETS {
        let target = dir.join(asset.path);
        let parent = target.parent().unwrap_or(dir);
        ensure_dir(parent)?;
        if up_to_date(&target, asset)? {
            continue;
        }
        write_atomically(&target, parent, asset)?;
        tracing::debug!(path = %target.display(), "installed runtime file");
    }
    Ok(())
}

/// Compiles the Python runtime module (installed by [`install`] into `dir`) with every
/// Python interpreter offered, so that cold starts load its bytecode instead of compiling
/// it. The `.pyc` files use checked hashes: one that does not match the source is ignored,
/// never wrong. Runs the interpreters (some tens of milliseconds): call it off the start-up
/// path.
pub fn precompile_python(dir: &Path) -> io::Result<()> {
    const COMPILE: &str = "import py_compile, sys; py_compile.compile(sys.argv[1], doraise=True, \
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)";
    let module = dir.join("python/_stratus_runtime.py");
    for id in offered().iter().filter(|r| r.starts_with("python")) {
        let Ok(Launch::Bundled(spec)) = launch_for(id) else {
            continue;
        };
        let Some(python) = spec.argv.first() else {
            continue;
        };
        let status = Command::new(python)
            .args(["-S", "-c", COMPILE])
            .arg(&module)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "{python} could not compile {}: {status}",
                module.display()
            )));
        }
    }
    Ok(())
}

fn ensure_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let meta = fs::metadata(dir)?;
    if meta.permissions().mode() & 0o777 != DIR_MODE {
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

fn up_to_date(target: &Path, asset: &Asset) -> io::Result<bool> {
    let meta = match fs::symlink_metadata(target) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    if !meta.is_file()
        || meta.permissions().mode() & 0o7777 != asset.mode
        || meta.len() != asset.contents.len() as u64
    {
        return Ok(false);
    }
    Ok(fs::read(target)? == asset.contents.as_bytes())
}

fn write_atomically(target: &Path, parent: &Path, asset: &Asset) -> io::Result<()> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(asset.mode)
            .open(&tmp)?;
        file.write_all(asset.contents.as_bytes())?;
        // The umask may have narrowed the creation mode.
        file.set_permissions(fs::Permissions::from_mode(asset.mode))?;
        file.sync_all()?;
        fs::rename(&tmp, target)?;
        File::open(parent)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_every_asset_with_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("runtime");
        install(&root).unwrap();
        for asset in ASSETS {
            let path = root.join(asset.path);
            assert_eq!(fs::read_to_string(&path).unwrap(), asset.contents);
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode, asset.mode, "{}", asset.path);
        }
        let mode = fs::metadata(root.join("python"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o755);
    }

    #[test]
    fn reinstall_repairs_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        install(dir.path()).unwrap();
        let script = dir.path().join("python/bootstrap.py");
        fs::write(&script, "tampered").unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o600)).unwrap();
        install(dir.path()).unwrap();
        install(dir.path()).unwrap();
        assert_eq!(fs::read_to_string(&script).unwrap(), ASSETS[0].contents);
        for sub in ["python", "node"] {
            for entry in fs::read_dir(dir.path().join(sub)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(!name.starts_with('.'), "leftover {name}");
            }
        }
    }

    #[test]
    fn precompiles_the_python_runtime_for_each_offered_interpreter() {
        let dir = tempfile::tempdir().unwrap();
        install(dir.path()).unwrap();
        precompile_python(dir.path()).unwrap();
        let pythons: Vec<String> = offered()
            .into_iter()
            .filter(|r| r.starts_with("python"))
            .collect();
        let cache = dir.path().join("python/__pycache__");
        for id in &pythons {
            // python3.11 -> _stratus_runtime.cpython-311.pyc
            let tag = id.trim_start_matches("python").replace('.', "");
            let pyc = cache.join(format!("_stratus_runtime.cpython-{tag}.pyc"));
            assert!(pyc.is_file(), "{} missing", pyc.display());
        }
    }
}
