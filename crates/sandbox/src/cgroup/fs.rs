//! File-system access used by the cgroup code (real or fake).

use std::io;
use std::path::Path;

/// The few file operations cgroup management needs.
pub(crate) trait CgroupFs: Send + Sync {
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    fn write(&self, path: &Path, value: &str) -> io::Result<()>;
    fn read(&self, path: &Path) -> io::Result<String>;
    fn exists(&self, path: &Path) -> bool;
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
}
