//! In-memory cgroup file system for unit tests. Writing `cgroup.freeze` updates the
//! sibling `cgroup.events` the way the kernel does (unless told not to).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::fs::ValueFile;
use super::CgroupFs;

#[derive(Default)]
pub(crate) struct FakeFs {
    state: Arc<Mutex<State>>,
}

/// An "open" fake file: reads the current value each time.
struct FakeValue {
    state: Arc<Mutex<State>>,
    path: PathBuf,
}

impl ValueFile for FakeValue {
    fn read_u64(&self) -> io::Result<u64> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let text = s.files.get(&self.path).ok_or(io::ErrorKind::NotFound)?;
        super::fs::parse_u64(text.as_bytes())
    }
}

#[derive(Default)]
struct State {
    dirs: BTreeSet<PathBuf>,
    files: BTreeMap<PathBuf, String>,
    freeze_never_completes: bool,
}

impl FakeFs {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn add_dir(&self, p: &str) {
        self.lock().dirs.insert(p.into());
    }
    pub(crate) fn set(&self, p: &str, v: &str) {
        self.lock().files.insert(p.into(), v.into());
    }
    pub(crate) fn get(&self, p: &str) -> String {
        self.lock()
            .files
            .get(Path::new(p))
            .cloned()
            .unwrap_or_else(|| panic!("no file {p}"))
    }
    pub(crate) fn has(&self, p: &str) -> bool {
        self.lock().files.contains_key(Path::new(p))
    }
    pub(crate) fn is_dir(&self, p: &str) -> bool {
        self.lock().dirs.contains(Path::new(p))
    }
    pub(crate) fn set_freeze_sticks(&self, sticks: bool) {
        self.lock().freeze_never_completes = !sticks;
    }
}

impl CgroupFs for FakeFs {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        let mut s = self.lock();
        let parent_ok = path.parent().is_some_and(|p| s.dirs.contains(p));
        if !parent_ok {
            return Err(io::ErrorKind::NotFound.into());
        }
        if !s.dirs.insert(path.to_path_buf()) {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        Ok(())
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        let mut s = self.lock();
        if !s.dirs.remove(path) {
            return Err(io::ErrorKind::NotFound.into());
        }
        s.files.retain(|f, _| !f.starts_with(path));
        Ok(())
    }
    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        let mut s = self.lock();
        let parent_ok = path.parent().is_some_and(|p| s.dirs.contains(p));
        if !parent_ok {
            return Err(io::ErrorKind::NotFound.into());
        }
        if path.file_name().is_some_and(|n| n == "cgroup.freeze") && !s.freeze_never_completes {
            let events = path.with_file_name("cgroup.events");
            s.files
                .insert(events, format!("populated 1\nfrozen {}\n", value.trim()));
        }
        s.files.insert(path.to_path_buf(), value.to_string());
        Ok(())
    }
    fn read(&self, path: &Path) -> io::Result<String> {
        self.lock()
            .files
            .get(path)
            .cloned()
            .ok_or_else(|| io::ErrorKind::NotFound.into())
    }
    fn exists(&self, path: &Path) -> bool {
        let s = self.lock();
        s.dirs.contains(path) || s.files.contains_key(path)
    }
    fn open_value(&self, path: &Path) -> io::Result<Box<dyn ValueFile>> {
        if !self.lock().files.contains_key(path) {
            return Err(io::ErrorKind::NotFound.into());
        }
        Ok(Box::new(FakeValue {
            state: Arc::clone(&self.state),
            path: path.to_path_buf(),
        }))
    }
}
