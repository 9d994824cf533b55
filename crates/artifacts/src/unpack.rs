//! Unpacking a validated package into a directory a sandbox can mount as `/var/task` or a
//! layer under `/opt`.
//!
//! The package must have passed [`crate::inspect_zip`]; unpacking still refuses any entry
//! whose name is not a plain relative path, so a mistake upstream cannot write outside
//! `dest`. The result appears atomically: everything is written into a temporary sibling
//! directory that is renamed into place, so a crash leaves either nothing or a complete tree.
//! Modes are normalised for the sandbox's unprivileged user: directories 0755, files 0644,
//! or 0755 when the package marks them executable.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

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
/// content-addressed, so an existing tree is the same tree).
pub fn unpack(zip_bytes: &[u8], dest: &Path) -> Result<(), UnpackError> {
    if dest.exists() {
        return Ok(());
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(parent))?;
    let staging = parent.join(format!(
        ".unpack-{}-{}",
        std::process::id(),
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("pkg")
    ));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
    }
    fs::create_dir(&staging).map_err(io_err(&staging))?;
    let result = write_tree(zip_bytes, &staging).and_then(|()| {
        fs::set_permissions(&staging, fs::Permissions::from_mode(0o755))
            .map_err(io_err(&staging))?;
        match fs::rename(&staging, dest) {
            Ok(()) => Ok(()),
            // Another unpacker won the race with the same content.
            Err(_) if dest.exists() => fs::remove_dir_all(&staging).map_err(io_err(&staging)),
            Err(e) => Err(io_err(dest)(e)),
        }
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
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

    #[test]
    fn garbage_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("pkg");
        assert!(unpack(b"not a zip", &dest).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
