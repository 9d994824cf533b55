//! Unpacking a validated package into a directory a sandbox can mount as `/var/task` or a
//! layer under `/opt`.
//!
//! The package must have passed [`crate::inspect_zip`]; unpacking still refuses any entry
//! whose name is not a plain relative path, so a mistake upstream cannot write outside
//! `dest`. The result appears atomically: everything is written into a staging sibling
//! directory named after the process and a process-wide counter (so concurrent unpacks of
//! the same package, in this process or another, never share one), then renamed into place;
//! a crash leaves either nothing or a complete tree at `dest`, plus at worst a staging
//! directory that is never used and that [`sweep_staging`] removes.
//! Modes are normalised for the sandbox's unprivileged user: directories 0755, files 0644,
//! or 0755 when the package marks them executable.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use thiserror::Error;

/// Names of staging directories start with this (never a SHA-256 in hex).
const STAGING_PREFIX: &str = ".unpack-";

/// Distinguishes the staging directories of one process.
static STAGING_SEQ: AtomicU64 = AtomicU64::new(0);

const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;

/// Why a package could not be unpacked.
#[derive(Debug, Error)]
pub enum UnpackError {
    /// the package is not a readable zip
    #[error("package is not a readable zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// an entry's name is not a safe relative path
    #[error("package entry {0:?} has an unsafe path")]
    UnsafePath(String),
    /// writing the tree failed
    #[error("cannot unpack into {}: {source}", path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> UnpackError + '_ {
    move |source| UnpackError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Unpacks `zip_bytes` into `dest` unless `dest` already exists (packages are immutable and
/// content-addressed, so an existing tree is the same tree). Safe to call concurrently for
/// the same `dest`: each call writes its own staging tree and the first rename wins.
pub fn unpack(zip_bytes: &[u8], dest: &Path) -> Result<(), UnpackError> {
    if dest.exists() {
        return Ok(());
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(parent))?;
    let staging = parent.join(format!(
        "{STAGING_PREFIX}{}-{}-{}",
        std::process::id(),
        STAGING_SEQ.fetch_add(1, Ordering::Relaxed),
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("pkg")
    ));
    fs::create_dir(&staging).map_err(io_err(&staging))?;
    let result = write_tree(zip_bytes, &staging).and_then(|()| publish(&staging, dest));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Renames the complete tree at `staging` to `dest` (or discards it when another unpack
/// published the same content first).
///
/// The tree is not flushed to disk: an unpacked tree is a cache of a blob that is, and a
/// flush here (fsync per file, or one syncfs) costs from milliseconds to seconds on a busy
/// disk, on the cold start that needs the tree. A process crash cannot leave a published
/// tree incomplete (the kernel holds what was written); surviving a power loss is the
/// caller's part (the engine rebuilds trees after an unclean stop).
fn publish(staging: &Path, dest: &Path) -> Result<(), UnpackError> {
    fs::set_permissions(staging, fs::Permissions::from_mode(0o755)).map_err(io_err(staging))?;
    match fs::rename(staging, dest) {
        Ok(()) => Ok(()),
        // Another unpacker won the race with the same content.
        Err(_) if dest.is_dir() => fs::remove_dir_all(staging).map_err(io_err(staging)),
        Err(e) => Err(io_err(dest)(e)),
    }
}

/// Removes staging directories an interrupted unpack left in `root` (call at start-up, before
/// any unpack runs there); returns how many were removed. Published trees are untouched.
pub fn sweep_staging(root: &Path) -> Result<usize, UnpackError> {
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err(root)(e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(io_err(root))?;
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
        {
            let path = entry.path();
            fs::remove_dir_all(&path).map_err(io_err(&path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn write_tree(zip_bytes: &[u8], root: &Path) -> Result<(), UnpackError> {
    let mut archive = zip::ZipArchive::new(io::Cursor::new(zip_bytes))?;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        let name = entry.name().to_owned();
        let rel = entry
            .enclosed_name()
            .ok_or_else(|| UnpackError::UnsafePath(name.clone()))?;
        let path = root.join(&rel);
        let mode = entry.unix_mode().unwrap_or(0);
        if entry.is_dir() {
            fs::create_dir_all(&path).map_err(io_err(&path))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(io_err(&path))?;
            continue;
        }
        if let Some(dir) = path.parent() {
            if !dir.exists() {
                fs::create_dir_all(dir).map_err(io_err(dir))?;
                fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(io_err(dir))?;
            }
        }
        if mode & S_IFMT == S_IFLNK {
            let mut target = String::new();
            entry
                .by_ref()
                .take(4096)
                .read_to_string(&mut target)
                .map_err(io_err(&path))?;
            symlink(&target, &path).map_err(io_err(&path))?;
            continue;
        }
        let mut out = fs::File::create(&path).map_err(io_err(&path))?;
        loop {
            let n = entry.read(&mut buf).map_err(io_err(&path))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(io_err(&path))?;
        }
        let perm = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
        out.set_permissions(fs::Permissions::from_mode(perm))
            .map_err(io_err(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    fn package() -> Vec<u8> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        w.add_directory("lib/", SimpleFileOptions::default())
            .unwrap();
        w.start_file(
            "lib/a.py",
            SimpleFileOptions::default().unix_permissions(0o600),
        )
        .unwrap();
        w.write_all(b"A = 1\n").unwrap();
        w.start_file(
            "bootstrap",
            SimpleFileOptions::default().unix_permissions(0o700),
        )
        .unwrap();
        w.write_all(b"#!/bin/sh\n").unwrap();
        w.add_symlink("link", "lib/a.py", SimpleFileOptions::default())
            .unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn unpacks_with_sandbox_friendly_modes() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("pkg");
        unpack(&package(), &dest).unwrap();
        let mode = |p: &str| fs::metadata(dest.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            fs::read_to_string(dest.join("lib/a.py")).unwrap(),
            "A = 1\n"
        );
        assert_eq!(mode("lib/a.py"), 0o644);
        assert_eq!(mode("bootstrap"), 0o755);
        assert_eq!(mode("lib"), 0o755);
        assert_eq!(
            fs::read_link(dest.join("link")).unwrap(),
            Path::new("lib/a.py")
        );
        // A second unpack of the same package is a no-op.
        unpack(&package(), &dest).unwrap();
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    /// A package big enough that concurrent unpacks overlap.
    fn many_files(n: usize) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for i in 0..n {
            w.start_file(format!("d{}/f{i}.txt", i % 7), SimpleFileOptions::default())
                .unwrap();
            w.write_all(format!("file {i}\n").repeat(64).as_bytes())
                .unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn concurrent_unpacks_of_one_package_all_succeed_with_a_complete_tree() {
        const FILES: usize = 100;
        const THREADS: usize = 4;
        let zip = many_files(FILES);
        let dir = tempfile::tempdir().unwrap();
        for round in 0..3 {
            let dest = dir.path().join(format!("pkg{round}"));
            let start = std::sync::Barrier::new(THREADS);
            let results: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            unpack(&zip, &dest)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for r in results {
                r.unwrap();
            }
            for i in 0..FILES {
                let text = fs::read_to_string(dest.join(format!("d{}/f{i}.txt", i % 7))).unwrap();
                assert_eq!(text, format!("file {i}\n").repeat(64));
            }
        }
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.starts_with(STAGING_PREFIX)),
            "staging left behind: {names:?}"
        );
    }

    #[test]
    fn sweep_removes_only_staging_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("pkg");
        unpack(&package(), &dest).unwrap();
        let leftover = dir.path().join(format!("{STAGING_PREFIX}1-0-pkg2"));
        fs::create_dir_all(leftover.join("half")).unwrap();
        assert_eq!(sweep_staging(dir.path()).unwrap(), 1);
        assert!(!leftover.exists());
        assert!(dest.join("bootstrap").is_file());
        assert_eq!(sweep_staging(&dir.path().join("absent")).unwrap(), 0);
    }

    #[test]
    fn garbage_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("pkg");
        assert!(unpack(b"not a zip", &dest).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
