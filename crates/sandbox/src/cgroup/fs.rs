//! File-system access used by the cgroup code (real or fake).

use std::io;
use std::path::Path;

/// A cgroup file kept open and read from its start on each call: a value read on every
/// invocation (peak memory) costs one `pread`, not a path lookup, an open and a close.
pub(crate) trait ValueFile: Send + Sync {
    /// The file's content as one unsigned number.
    fn read_u64(&self) -> io::Result<u64>;
}

/// The few file operations cgroup management needs.
pub(crate) trait CgroupFs: Send + Sync {
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    fn write(&self, path: &Path, value: &str) -> io::Result<()>;
    fn read(&self, path: &Path) -> io::Result<String>;
    fn exists(&self, path: &Path) -> bool;
    fn open_value(&self, path: &Path) -> io::Result<Box<dyn ValueFile>>;
}

/// Parses a cgroup number file's content.
pub(crate) fn parse_u64(text: &[u8]) -> io::Result<u64> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not a number"))
}

impl ValueFile for std::fs::File {
    fn read_u64(&self) -> io::Result<u64> {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 32];
        let n = self.read_at(&mut buf, 0)?;
        parse_u64(buf.get(..n).unwrap_or_default())
    }
}

/// The real `/sys/fs/cgroup`.
pub(crate) struct RealFs;

impl CgroupFs for RealFs {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir(path)
    }
    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        // One write(2) per value: cgroup files act on each write call.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(value.as_bytes())
    }
    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn open_value(&self, path: &Path) -> io::Result<Box<dyn ValueFile>> {
        Ok(Box::new(std::fs::File::open(path)?))
    }
}
