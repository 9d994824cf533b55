//! Entry-name rules and symlink containment, as pure functions over strings.
//!
//! Names are checked as written, never sanitised: anything an extractor could interpret as
//! leaving the package root is rejected. Symlinks are checked by walking their targets the
//! way the kernel would inside a fresh extraction directory, following the package's own
//! symlinks, so that chains of individually harmless links cannot escape either.

use std::collections::HashMap;

/// Longest path, in bytes, a symlink walk may reach (Linux `PATH_MAX`).
const MAX_PATH: usize = 4096;

/// Most symlinks one walk may follow (Linux `MAXSYMLINKS`).
const MAX_HOPS: usize = 40;

/// Bytes of path work all walks of one package may do together, bounding hostile link graphs.
const MAX_WORK: usize = 256 * 1024 * 1024;

/// Whether `name` is a safe entry name: relative, no `..` component, no drive prefix, no NUL
/// and no backslash (which some extractors treat as a separator).
pub(crate) fn is_safe_name(name: &str) -> bool {
    if name.is_empty() || name.starts_with('/') || name.contains(['\0', '\\']) {
        return false;
    }
    if has_drive_prefix(name) {
        return false;
    }
    name.split('/').all(|c| c != "..")
}

/// `C:` style prefixes, which Windows tools resolve against a drive.
fn has_drive_prefix(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// The canonical form of a safe name: components joined by `/`, without empty or `.`
/// components and without the trailing `/` of directories.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.split('/').filter(|c| !c.is_empty() && *c != ".") {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(c);
    }
    out
}

/// Whether a symlink target is acceptable on its own: non-empty, relative, no NUL, no
/// backslash. Containment is checked separately by [`LinkGraph::check`].
pub(crate) fn is_plain_target(target: &str) -> bool {
    !target.is_empty() && !target.starts_with('/') && !target.contains(['\0', '\\'])
}

/// Why a symlink walk failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// The walk went above the package root or reached an absolute target.
    OutsideRoot,
    /// Too many links followed, path too long, or the work budget ran out.
    TooComplex,
}

/// The package's symlinks, keyed by normalized path, for containment walks.
#[derive(Debug, Default)]
pub(crate) struct LinkGraph {
    links: HashMap<String, String>,
    work: usize,
}

impl LinkGraph {
    /// Records a symlink; returns `false` if `path` (normalized) was already recorded.
    pub(crate) fn insert(&mut self, path: String, target: String) -> bool {
        match self.links.entry(path) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(target);
                true
            }
        }
    }

    /// Walks from the package root through the link's parent directory and then its target,
    /// following recorded links, and fails if the walk leaves the root.
    pub(crate) fn check(&mut self, path: &str, target: &str) -> Result<(), Escape> {
        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
        // Components still to walk, last one first.
        let mut pending: Vec<&str> = target.rsplit('/').collect();
        pending.extend(parent.rsplit('/'));
        let mut cur = String::new();
        let mut marks: Vec<usize> = Vec::new();
        let mut hops = 0;
        while let Some(c) = pending.pop() {
            self.work += 1;
            match c {
                "" | "." => {}
                ".." => {
                    let mark = marks.pop().ok_or(Escape::OutsideRoot)?;
                    cur.truncate(mark);
                }
                name => {
                    marks.push(cur.len());
                    if !cur.is_empty() {
                        cur.push('/');
                    }
                    cur.push_str(name);
                    self.work += cur.len();
                    if cur.len() > MAX_PATH || self.work > MAX_WORK {
                        return Err(Escape::TooComplex);
                    }
                    if let Some(next) = self.links.get(&cur) {
                        hops += 1;
                        if hops > MAX_HOPS {
                            return Err(Escape::TooComplex);
                        }
                        if next.starts_with('/') {
                            return Err(Escape::OutsideRoot);
                        }
                        if let Some(mark) = marks.pop() {
                            cur.truncate(mark);
                        }
                        pending.extend(next.rsplit('/'));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "a", "a/b", "a/b/", "./a", "a/./b", "a..b", "..a", "a/...", "ab:c", "a/c:d", "é/ü",
        ] {
            assert!(is_safe_name(ok), "{ok}");
        }
        for bad in [
            "", "/a", "//a", "../a", "a/../b", "a/..", "..", "C:/a", "c:a", "a\\b", "..\\a", "a\0b",
        ] {
            assert!(!is_safe_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn normalized() {
        assert_eq!(normalize("./a//b/./c/"), "a/b/c");
        assert_eq!(normalize("a/"), "a");
        assert_eq!(normalize("./"), "");
    }

    fn graph(links: &[(&str, &str)]) -> LinkGraph {
        let mut g = LinkGraph::default();
        for (p, t) in links {
            assert!(g.insert((*p).to_owned(), (*t).to_owned()));
        }
        g
    }

    fn check_all(links: &[(&str, &str)]) -> Result<(), Escape> {
        let mut g = graph(links);
        for (p, t) in links {
            g.check(p, t)?;
        }
        Ok(())
    }

    #[test]
    fn contained_links() {
        assert_eq!(check_all(&[("a", "b")]), Ok(()));
        assert_eq!(check_all(&[("d/a", "../b")]), Ok(()));
        assert_eq!(check_all(&[("d/e/a", "../../x/y")]), Ok(()));
        assert_eq!(check_all(&[("d/a", ".")]), Ok(()));
        assert_eq!(check_all(&[("d/a", "..")]), Ok(()));
        assert_eq!(check_all(&[("l", "d/e"), ("l/x", "../y")]), Ok(()));
    }

    #[test]
    fn escaping_links() {
        assert_eq!(check_all(&[("a", "..")]), Err(Escape::OutsideRoot));
        assert_eq!(check_all(&[("d/a", "../..")]), Err(Escape::OutsideRoot));
        assert_eq!(check_all(&[("d/a", "../../etc")]), Err(Escape::OutsideRoot));
        assert_eq!(check_all(&[("a", "b/../../c")]), Err(Escape::OutsideRoot));
    }

    #[test]
    fn chained_links_cannot_escape() {
        // `d/l` points at the root, so `d/l/..` is above it, though `d/l/..` reads as `d`.
        assert_eq!(
            check_all(&[("d/l", ".."), ("e", "d/l/..")]),
            Err(Escape::OutsideRoot)
        );
        // A link whose parent directory is itself a link is walked from the real place.
        assert_eq!(
            check_all(&[("l", "d/e"), ("l/x", "../../..")]),
            Err(Escape::OutsideRoot)
        );
    }

    #[test]
    fn loops_are_rejected() {
        assert_eq!(check_all(&[("a", "a")]), Err(Escape::TooComplex));
        assert_eq!(
            check_all(&[("a", "b"), ("b", "a")]),
            Err(Escape::TooComplex)
        );
    }

    #[test]
    fn duplicate_links_are_refused() {
        let mut g = graph(&[("a", "b")]);
        assert!(!g.insert("a".to_owned(), "c".to_owned()));
    }
}
