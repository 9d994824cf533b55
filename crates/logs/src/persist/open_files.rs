//! The persister's open stream files: at most [`MAX_OPEN_FILES`] at a time, the least
//! recently written closed first and reopened (in append mode) when written again.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

/// Most stream files the persister keeps open.
pub(crate) const MAX_OPEN_FILES: usize = 64;

/// A bounded set of open files, keyed by path.
pub(crate) struct OpenFiles {
    cap: usize,
    /// Each file with the tick of its last use.
    files: HashMap<PathBuf, (File, u64)>,
    tick: u64,
}

impl OpenFiles {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            files: HashMap::with_capacity(cap.max(1)),
            tick: 0,
        }
    }

    /// The file at `path`, opened for appending (with its directory) if it is not open yet;
    /// opening closes the least recently used file when the set is full.
    pub(crate) fn get(&mut self, path: &Path) -> std::io::Result<&mut File> {
        self.tick += 1;
        let tick = self.tick;
        if !self.files.contains_key(path) {
            if self.files.len() >= self.cap {
                let oldest = self
                    .files
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(p, _)| p.clone());
                if let Some(p) = oldest {
                    self.files.remove(&p);
                }
            }
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            let f = OpenOptions::new().create(true).append(true).open(path)?;
            self.files.insert(path.to_path_buf(), (f, tick));
        }
        match self.files.get_mut(path) {
            Some((f, used)) => {
                *used = tick;
                Ok(f)
            }
            None => Err(std::io::Error::other(
                "stream file vanished from the open set",
            )),
        }
    }

    /// Closes every file under `dir`.
    pub(crate) fn forget_under(&mut self, dir: &Path) {
        self.files.retain(|p, _| !p.starts_with(dir));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn least_recently_used_file_is_closed_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = OpenFiles::new(2);
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        files.get(&a).unwrap();
        files.get(&b).unwrap();
        files.get(&a).unwrap();
        files.get(&c).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.files.contains_key(&a) && files.files.contains_key(&c));
        files.forget_under(dir.path());
        assert_eq!(files.len(), 0);
    }
}
