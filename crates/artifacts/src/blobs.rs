//! The content-addressed blob store: package bytes on disk, keyed by their SHA-256.
//!
//! Layout: `root/<first 2 hex>/<remaining 62 hex>`, plus `root/tmp` for writes in progress.
//! A write goes to a fresh temp file, is fsynced, renamed into place and its directory
//! fsynced, so a blob is either absent or complete. Keys are validated as 64 lowercase hex
//! digits before they touch a path. All I/O is synchronous; async callers should use
//! `spawn_blocking`.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use thiserror::Error;

/// Name of the directory holding writes in progress.
const TMP_DIR: &str = "tmp";

/// Distinguishes temp files of concurrent writes within this process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why a blob operation failed.
#[derive(Debug, Error)]
pub enum BlobError {
    /// The key is not 64 lowercase hex digits.
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    /// No blob is stored under the key.
    #[error("blob {0} not found")]
    NotFound(String),
    /// The bytes given to `put` do not hash to the key.
    #[error("blob bytes do not match key {0}")]
    DigestMismatch(String),
    /// A filesystem operation failed.
    #[error("blob store cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `"write"`.
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Blobs on the local filesystem, addressed by the lowercase hex SHA-256 of their bytes.
#[derive(Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// Opens (creating if missing) the store at `root`, discarding writes left unfinished by
    /// an earlier process.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        let tmp = root.join(TMP_DIR);
        fs::create_dir_all(&tmp).map_err(io_err("create", &tmp))?;
        let mut removed = 0usize;
        for entry in fs::read_dir(&tmp).map_err(io_err("list", &tmp))? {
            let path = entry.map_err(io_err("list", &tmp))?.path();
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("remove", &path)(e)),
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed unfinished blob writes");
        }
        Ok(BlobStore { root })
    }

    /// The directory the store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stores `bytes` under `sha256_hex`, which must be their SHA-256. Idempotent: storing an
    /// existing key does nothing. Durable once it returns.
    pub fn put(&self, sha256_hex: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let dest = self.path(sha256_hex)?;
        if dest.is_file() {
            return Ok(());
        }
        if hex::encode(Sha256::digest(bytes)) != sha256_hex {
            return Err(BlobError::DigestMismatch(sha256_hex.to_owned()));
        }
        let shard = self.root.join(&sha256_hex[..2]);
        let new_shard = !shard.is_dir();
        fs::create_dir_all(&shard).map_err(io_err("create", &shard))?;

        let tmp = self.root.join(TMP_DIR).join(format!(
            "{sha256_hex}.{}.{}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = write_synced(&tmp, bytes)
            .and_then(|()| fs::rename(&tmp, &dest).map_err(io_err("rename", &tmp)));
        if let Err(e) = written {
            // Best effort: `open` removes anything left behind.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(&shard)?;
        if new_shard {
            sync_dir(&self.root)?;
        }
        Ok(())
    }

    /// Where the blob for `sha256_hex` lives (whether or not it exists).
    pub fn path(&self, sha256_hex: &str) -> Result<PathBuf, BlobError> {
        if !is_key(sha256_hex) {
            return Err(BlobError::InvalidKey(sha256_hex.to_owned()));
        }
        Ok(self.root.join(&sha256_hex[..2]).join(&sha256_hex[2..]))
    }

    /// The bytes stored under `sha256_hex`.
    pub fn read(&self, sha256_hex: &str) -> Result<Vec<u8>, BlobError> {
        let path = self.path(sha256_hex)?;
        fs::read(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => BlobError::NotFound(sha256_hex.to_owned()),
            _ => io_err("read", &path)(e),
        })
    }

    /// Whether a blob is stored under `sha256_hex` (false for invalid keys).
    pub fn exists(&self, sha256_hex: &str) -> bool {
        self.path(sha256_hex).is_ok_and(|p| p.is_file())
    }

    /// Removes the blob under `sha256_hex`; removing an absent blob is not an error.
    pub fn remove(&self, sha256_hex: &str) -> Result<(), BlobError> {
        let path = self.path(sha256_hex)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", &path)(e)),
        }
    }

    /// Every stored key, sorted. Files that are not blobs are ignored.
    pub fn list(&self) -> Result<Vec<String>, BlobError> {
        let mut keys = Vec::new();
        for shard in fs::read_dir(&self.root).map_err(io_err("list", &self.root))? {
            let shard = shard.map_err(io_err("list", &self.root))?;
            let Some(prefix) = shard.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if prefix.len() != 2 || !is_hex(&prefix) || !shard.path().is_dir() {
                continue;
            }
            let dir = shard.path();
            for blob in fs::read_dir(&dir).map_err(io_err("list", &dir))? {
                let blob = blob.map_err(io_err("list", &dir))?;
                let Some(rest) = blob.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                let key = format!("{prefix}{rest}");
                if is_key(&key) && blob.path().is_file() {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }

    /// Removes every blob whose key is not in `keep`; returns how many were removed. A blob
    /// put concurrently under a key missing from `keep` may be removed too.
    pub fn sweep(&self, keep: &HashSet<String>) -> Result<usize, BlobError> {
        let mut removed = 0;
        for key in self.list()? {
            if !keep.contains(&key) {
                self.remove(&key)?;
                tracing::debug!(key, "swept unreferenced blob");
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// 64 lowercase hex digits.
fn is_key(s: &str) -> bool {
    s.len() == 64 && is_hex(s)
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BlobError {
    let path = path.to_path_buf();
    move |source| BlobError::Io { op, path, source }
}

/// Writes `bytes` to a new file at `path` and fsyncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BlobError> {
    let mut file = File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err("create", path))?;
    file.write_all(bytes).map_err(io_err("write", path))?;
    file.sync_all().map_err(io_err("sync", path))
}

/// Fsyncs a directory so a rename or creation inside it is durable.
fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err("sync", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests;
