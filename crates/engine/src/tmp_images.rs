//! Disk-backed `/tmp`: one fresh ext4 image per environment, mounted through a loop device.
//!
//! A tmpfs `/tmp` would be charged to the function's memory; Lambda's `/tmp` is disk. Making
//! an image (`mkfs.ext4` on a sparse file) takes about 10 ms, so one spare per size is kept
//! ready and remade in the background after each use. Without `mkfs.ext4` on the host the
//! engine falls back to a tmpfs (logged once).

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
    uid: u32,
    gid: u32,
    spare: Mutex<HashMap<u32, Vec<PathBuf>>>,
}

impl TmpImages {
    /// Images made under `dir` (emptied first: images of an earlier run are never reused),
    /// with the root directory owned by `uid:gid`. None when the host cannot make images.
    pub fn new(dir: PathBuf, uid: u32, gid: u32) -> Option<Arc<Self>> {
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
            uid,
            gid,
            spare: Mutex::default(),
        }))
    }

    /// Makes a fresh image now (blocking, about 10 ms).
    pub fn make(&self, size_mb: u32) -> Result<PathBuf, PlatformError> {
        let path = self
            .dir
            .join(format!("{}.img", uuid::Uuid::new_v4().simple()));
        let made = std::fs::File::create(&path)
            .and_then(|file| file.set_len(u64::from(size_mb) << 20))
            .and_then(|()| {
                Command::new(MKFS)
                    .args(["-q", "-F", "-m", "0", "-O", "^has_journal", "-E"])
                    .arg(format!(
                        "root_owner={}:{},lazy_itable_init=1,nodiscard",
                        self.uid, self.gid
                    ))
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
