//! Disk-backed `/tmp`: one fresh ext4 image per environment, mounted through a loop device.
//!
//! A tmpfs `/tmp` would be charged to the function's memory; Lambda's `/tmp` is disk. Each
//! size is formatted once (`mkfs.ext4` on a sparse file: a process and about 5 ms) into a
//! template; an image is a copy of the template's few hundred kilobytes of data extents
//! into a new sparse file of the same size, so a burst of cold starts does not run a
//! `mkfs` each. One spare per size is also kept ready and remade in the background after
//! each use. Without `mkfs.ext4` on the host the engine falls back to a tmpfs (logged once).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::failure::PlatformError;

const MKFS: &str = "/usr/sbin/mkfs.ext4";

/// Spare images by size in MiB.
#[derive(Debug)]
pub struct TmpImages {
    dir: PathBuf,
    spare: Mutex<HashMap<u32, Vec<PathBuf>>>,
    /// The formatted template of each size, made on first use.
    templates: Mutex<HashMap<u32, Arc<PathBuf>>>,
}

impl TmpImages {
    /// Images made under `dir` (emptied first: images of an earlier run are never reused),
    /// with the root directory owned by root: sandbox init gives it to the environment's
    /// own uid when it mounts it. None when the host cannot make images.
    pub fn new(dir: PathBuf) -> Option<Arc<Self>> {
        if !Path::new(MKFS).is_file() {
            tracing::warn!(
                "mkfs.ext4 not found: /tmp will be a tmpfs counted against function memory"
            );
            return None;
        }
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot create the tmp image dir: /tmp will be a tmpfs");
            return None;
        }
        Some(Arc::new(Self {
            dir,
            spare: Mutex::default(),
            templates: Mutex::default(),
        }))
    }

    /// Makes a fresh image now (blocking): a copy of the size's template.
    pub fn make(&self, size_mb: u32) -> Result<PathBuf, PlatformError> {
        let template = self.template(size_mb)?;
        let path = self.fresh_path();
        sparse_copy(&template, &path).map_err(|source| {
            let _ = std::fs::remove_file(&path);
            PlatformError::TmpImage {
                path: path.clone(),
                source,
            }
        })?;
        Ok(path)
    }

    fn fresh_path(&self) -> PathBuf {
        self.dir
            .join(format!("{}.img", uuid::Uuid::new_v4().simple()))
    }

    /// The template of `size_mb`, formatted on first use (callers racing for a new size
    /// may each format one; one is kept).
    fn template(&self, size_mb: u32) -> Result<Arc<PathBuf>, PlatformError> {
        if let Some(t) = self
            .templates
            .lock()
            .ok()
            .and_then(|t| t.get(&size_mb).cloned())
        {
            return Ok(t);
        }
        let made = Arc::new(self.format(size_mb)?);
        let Ok(mut templates) = self.templates.lock() else {
            return Ok(made);
        };
        let kept = templates
            .entry(size_mb)
            .or_insert_with(|| Arc::clone(&made));
        if !Arc::ptr_eq(kept, &made) {
            let _ = std::fs::remove_file(&*made);
        }
        Ok(Arc::clone(kept))
    }

    /// Formats a new image of `size_mb` with `mkfs.ext4` (blocking, about 5 ms).
    fn format(&self, size_mb: u32) -> Result<PathBuf, PlatformError> {
        let path = self.fresh_path();
        let made = std::fs::File::create(&path)
            .and_then(|file| file.set_len(u64::from(size_mb) << 20))
            .and_then(|()| {
                Command::new(MKFS)
                    .args(["-q", "-F", "-m", "0", "-O", "^has_journal", "-E"])
                    .arg("root_owner=0:0,lazy_itable_init=1,nodiscard")
                    .arg(&path)
                    .status()
            });
        let failed = match made {
            Ok(status) if status.success() => return Ok(path),
            Ok(status) => PlatformError::Mkfs {
                path: path.clone(),
                status,
            },
            Err(source) => PlatformError::TmpImage {
                path: path.clone(),
                source,
            },
        };
        let _ = std::fs::remove_file(&path);
        Err(failed)
    }

    /// A fresh image of `size_mb`; a spare is remade in the background.
    pub async fn take(self: &Arc<Self>, size_mb: u32) -> Result<PathBuf, PlatformError> {
        let spare = self
            .spare
            .lock()
            .ok()
            .and_then(|mut s| s.get_mut(&size_mb).and_then(Vec::pop));
        let image = match spare {
            Some(path) => path,
            None => {
                let me = Arc::clone(self);
                tokio::task::spawn_blocking(move || me.make(size_mb))
                    .await
                    .map_err(PlatformError::join("make a /tmp image"))??
            }
        };
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || match me.make(size_mb) {
            Ok(path) => {
                if let Ok(mut s) = me.spare.lock() {
                    let list = s.entry(size_mb).or_default();
                    if list.is_empty() {
                        list.push(path);
                        return;
                    }
                }
                let _ = std::fs::remove_file(path);
            }
            Err(e) => tracing::warn!(error = %e, "cannot make a spare /tmp image"),
        });
        Ok(image)
    }
}

/// Copies `from` (a sparse image) to a new file `to` of the same size, writing only the
/// extents that hold data (`SEEK_DATA` / `SEEK_HOLE`), so the copy stays sparse.
fn sparse_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    use nix::unistd::{lseek, Whence};
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::FileExt;

    let src = std::fs::File::open(from)?;
    let len = src.metadata()?.len();
    let dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    dst.set_len(len)?;
    let len = i64::try_from(len).map_err(std::io::Error::other)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = 0i64;
    while at < len {
        let start = match lseek(src.as_raw_fd(), at, Whence::SeekData) {
            Ok(start) => start,
            // No data past `at`: the rest is a hole, which `set_len` made already.
            Err(nix::errno::Errno::ENXIO) => break,
            Err(e) => return Err(e.into()),
        };
        let end = lseek(src.as_raw_fd(), start, Whence::SeekHole)?;
        let mut off = u64::try_from(start).map_err(std::io::Error::other)?;
        let end = u64::try_from(end).map_err(std::io::Error::other)?;
        while off < end {
            let want = usize::try_from((end - off).min(buf.len() as u64)).unwrap_or(buf.len());
            let n = src.read_at(&mut buf[..want], off)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            dst.write_all_at(&buf[..n], off)?;
            off += n as u64;
        }
        at = i64::try_from(end).map_err(std::io::Error::other)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::{Read, Seek, SeekFrom, Write};

    use super::*;

    #[test]
    fn a_sparse_copy_has_the_same_bytes_and_stays_sparse() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("a"), dir.path().join("b"));
        let mut f = std::fs::File::create(&from).unwrap();
        f.set_len(64 << 20).unwrap();
        for (at, bytes) in [
            (0u64, &b"head"[..]),
            (10 << 20, b"middle"),
            ((64 << 20) - 4, b"tail"),
        ] {
            f.seek(SeekFrom::Start(at)).unwrap();
            f.write_all(bytes).unwrap();
        }
        drop(f);
        sparse_copy(&from, &to).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        std::fs::File::open(&from)
            .unwrap()
            .read_to_end(&mut a)
            .unwrap();
        std::fs::File::open(&to)
            .unwrap()
            .read_to_end(&mut b)
            .unwrap();
        assert_eq!(a.len(), 64 << 20);
        assert!(a == b, "the copy differs");
        use std::os::unix::fs::MetadataExt;
        let blocks = std::fs::metadata(&to).unwrap().blocks();
        assert!(
            blocks * 512 < 4 << 20,
            "the copy is not sparse: {blocks} blocks"
        );
        assert!(
            sparse_copy(&from, &to).is_err(),
            "an existing file is not overwritten"
        );
    }
}
