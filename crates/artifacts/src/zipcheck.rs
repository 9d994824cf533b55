//! Streaming validation of zip packages.
//!
//! Header sizes are never trusted: every entry is decompressed in fixed-size chunks and the
//! bytes actually produced are counted against the limits, the entry's declared size and a
//! compression-ratio bound. Names (central directory, local header and decoded) must stay
//! inside the package root, and symlinks must resolve inside it too.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{ErrorKind, Read};

use base64::Engine as _;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zip::ZipArchive;

use crate::limits::Limits;
use crate::paths::{self, LinkGraph};
use crate::rawzip;

/// Longest symlink target accepted, in bytes.
const MAX_LINK_TARGET: u64 = 4096;

/// Size of the decompression buffer.
const CHUNK: usize = 64 * 1024;

/// Why a package was rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PackageError {
    /// The zip itself is larger than `max_zipped`.
    #[error("package is {size} bytes zipped, over the limit of {limit} bytes")]
    TooLargeZipped {
        /// Size of the zip in bytes.
        size: u64,
        /// The limit it exceeded.
        limit: u64,
    },
    /// The entries decompress (or declare that they decompress) to more than `max_unzipped`.
    #[error("package unzips to more than {limit} bytes")]
    TooLargeUnzipped {
        /// The limit it exceeded.
        limit: u64,
    },
    /// The bytes are not a readable zip: corrupt, truncated, encrypted, an unsupported
    /// compression method, a CRC mismatch or an entry shorter than its header says.
    #[error("not a valid zip package: {0}")]
    NotAZip(String),
    /// An entry name is absolute, has a `..` component, a drive prefix, a NUL or a backslash,
    /// or appears twice.
    #[error("unsafe path in package: {0}")]
    UnsafePath(String),
    /// A symlink's target is absolute, malformed or resolves outside the package root.
    #[error("unsafe symlink in package: {name} -> {target}")]
    UnsafeSymlink {
        /// The symlink entry's name.
        name: String,
        /// Its target as stored (lossily decoded).
        target: String,
    },
    /// An entry decompresses to more than its header claims, or past `max_ratio`.
    #[error("entry {name} looks like a zip bomb")]
    Bomb {
        /// The entry's name.
        name: String,
    },
    /// The package has more than `max_entries` entries.
    #[error("package has more than {limit} entries")]
    TooManyEntries {
        /// The limit it exceeded.
        limit: usize,
    },
}

/// What inspection learned about an accepted package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    /// Lowercase hex SHA-256 of the zip bytes: the blob key.
    pub sha256_hex: String,
    /// Standard base64 of the same digest: Lambda's `CodeSha256`.
    pub sha256_b64: String,
    /// Size of the zip in bytes.
    pub size: u64,
    /// Total decompressed size, counted while streaming.
    pub unzipped_size: u64,
    /// Number of entries (files, directories and symlinks).
    pub entries: usize,
}

/// SHA-256 of `bytes` as (lowercase hex, standard base64).
pub fn code_sha256(bytes: &[u8]) -> (String, String) {
    let digest = Sha256::digest(bytes);
    (
        hex::encode(digest),
        base64::engine::general_purpose::STANDARD.encode(digest),
    )
}

/// Validate a zip package fully by streaming every entry through the decompressor.
pub fn inspect_zip(bytes: &[u8], limits: &Limits) -> Result<PackageInfo, PackageError> {
    let size = bytes.len() as u64;
    if size > limits.max_zipped {
        return Err(PackageError::TooLargeZipped {
            size,
            limit: limits.max_zipped,
        });
    }
    let ends = rawzip::end_signatures(bytes).map_err(not_a_zip)?;
    let Some((last, hidden)) = ends.split_last() else {
        return Err(not_a_zip(rawzip::RawError::NoEnd));
    };
    // Refuse before the `zip` crate allocates a record per declared entry.
    if rawzip::declared_entries(bytes, *last).is_some_and(|n| n > limits.max_entries as u64) {
        return Err(PackageError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    let fenced = Cell::new(true);
    let opened = ZipArchive::new(rawzip::Fenced::new(bytes, hidden, &fenced));
    fenced.set(false);
    let mut archive = opened.map_err(not_a_zip)?;
    check_central_directory(
        bytes,
        archive.central_directory_start(),
        archive.len(),
        limits,
    )?;

    let mut walk = Walk::new(bytes, limits);
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(not_a_zip)?;
        let name = file.name().to_owned();
        walk.check_name(&name, file.header_start())?;
        let entry = Entry {
            name,
            declared: file.size(),
            compressed: file.compressed_size(),
            symlink: file.is_symlink(),
        };
        walk.read_entry(&entry, &mut file)?;
    }
    walk.check_links()?;

    let (sha256_hex, sha256_b64) = code_sha256(bytes);
    Ok(PackageInfo {
        sha256_hex,
        sha256_b64,
        size,
        unzipped_size: walk.total,
        entries: archive.len(),
    })
}

fn not_a_zip(e: impl std::fmt::Display) -> PackageError {
    PackageError::NotAZip(e.to_string().to_lowercase())
}

/// Checks the raw central directory records: their count, their names, and that no name
/// appears twice (the `zip` crate would silently show only one of them).
fn check_central_directory(
    bytes: &[u8],
    start: u64,
    entries: usize,
    limits: &Limits,
) -> Result<(), PackageError> {
    let too_many = PackageError::TooManyEntries {
        limit: limits.max_entries,
    };
    if entries > limits.max_entries {
        return Err(too_many);
    }
    let raw = rawzip::central_names(bytes, start, limits.max_entries).map_err(not_a_zip)?;
    if raw.len() > limits.max_entries {
        return Err(too_many);
    }
    let mut seen = HashSet::with_capacity(raw.len());
    for name in &raw {
        let text = String::from_utf8_lossy(name);
        if !paths::is_safe_name(&text) {
            return Err(PackageError::UnsafePath(text.into_owned()));
        }
        if !seen.insert(*name) {
            return Err(PackageError::UnsafePath(format!(
                "{text} (duplicate entry)"
            )));
        }
    }
    if raw.len() != entries {
        return Err(PackageError::NotAZip(format!(
            "central directory has {} records for {entries} entries",
            raw.len()
        )));
    }
    Ok(())
}

/// One entry's header facts.
struct Entry {
    name: String,
    declared: u64,
    compressed: u64,
    symlink: bool,
}

/// State carried across the entries of one package.
struct Walk<'a> {
    bytes: &'a [u8],
    limits: &'a Limits,
    /// Decompressed bytes so far, over all entries.
    total: u64,
    /// Compressed bytes the entries so far claim to occupy.
    compressed: u64,
    buf: Vec<u8>,
    /// Normalized names seen so far.
    names: HashSet<String>,
    links: LinkGraph,
    /// (entry name, normalized name, target) of every symlink, in archive order.
    symlinks: Vec<(String, String, String)>,
}

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8], limits: &'a Limits) -> Self {
        Walk {
            bytes,
            limits,
            total: 0,
            compressed: 0,
            buf: vec![0; CHUNK],
            names: HashSet::new(),
            links: LinkGraph::default(),
            symlinks: Vec::new(),
        }
    }

    /// Checks the decoded name, the local header's name, and uniqueness after normalizing.
    fn check_name(&mut self, name: &str, header_start: u64) -> Result<(), PackageError> {
        if !paths::is_safe_name(name) {
            return Err(PackageError::UnsafePath(name.to_owned()));
        }
        let local = rawzip::local_name(self.bytes, header_start).map_err(not_a_zip)?;
        let local = String::from_utf8_lossy(local);
        if !paths::is_safe_name(&local) {
            return Err(PackageError::UnsafePath(local.into_owned()));
        }
        let normalized = paths::normalize(name);
        if !normalized.is_empty() && !self.names.insert(normalized) {
            return Err(PackageError::UnsafePath(format!(
                "{name} (duplicate entry)"
            )));
        }
        Ok(())
    }

    /// Streams one entry, counting what it produces; keeps symlink targets for later.
    fn read_entry(&mut self, entry: &Entry, reader: &mut impl Read) -> Result<(), PackageError> {
        let name = &entry.name;
        // No two entries may claim the same bytes, so their claims cannot exceed the file;
        // this bounds the input work of overlapping-entry bombs.
        self.compressed = self.compressed.saturating_add(entry.compressed);
        if self.compressed > self.bytes.len() as u64 {
            return Err(PackageError::NotAZip(format!(
                "entry {name} overlaps others or runs past the end of the archive"
            )));
        }
        // Entries must produce exactly their declared size, so a declared total over the
        // limit is rejected without decompressing anything.
        if self.total.saturating_add(entry.declared) > self.limits.max_unzipped {
            return Err(PackageError::TooLargeUnzipped {
                limit: self.limits.max_unzipped,
            });
        }
        if entry.symlink && entry.declared > MAX_LINK_TARGET {
            return Err(PackageError::UnsafeSymlink {
                name: name.clone(),
                target: format!("<{} bytes>", entry.declared),
            });
        }
        let mut target = Vec::new();
        let mut produced: u64 = 0;
        loop {
            let n = match reader.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    let e = e.to_string().to_lowercase();
                    return Err(PackageError::NotAZip(format!("entry {name}: {e}")));
                }
            };
            produced += n as u64;
            self.total += n as u64;
            if produced > entry.declared {
                return Err(PackageError::Bomb { name: name.clone() });
            }
            if self.total > self.limits.max_unzipped {
                return Err(PackageError::TooLargeUnzipped {
                    limit: self.limits.max_unzipped,
                });
            }
            if produced > Limits::RATIO_GRACE
                && produced
                    > self
                        .limits
                        .max_ratio
                        .saturating_mul(entry.compressed.max(1))
            {
                return Err(PackageError::Bomb { name: name.clone() });
            }
            if entry.symlink {
                // Bounded by `declared`, itself at most MAX_LINK_TARGET.
                target.extend_from_slice(&self.buf[..n]);
            }
        }
        if produced < entry.declared {
            return Err(PackageError::NotAZip(format!(
                "entry {name} is shorter than its header says"
            )));
        }
        if entry.symlink {
            self.add_link(name, target)?;
        }
        Ok(())
    }

    fn add_link(&mut self, name: &str, target: Vec<u8>) -> Result<(), PackageError> {
        let target = match String::from_utf8(target) {
            Ok(t) if paths::is_plain_target(&t) => t,
            Ok(t) => return Err(unsafe_link(name, &t)),
            Err(e) => return Err(unsafe_link(name, &String::from_utf8_lossy(e.as_bytes()))),
        };
        let normalized = paths::normalize(name);
        if normalized.is_empty() || !self.links.insert(normalized.clone(), target.clone()) {
            return Err(unsafe_link(name, &target));
        }
        self.symlinks.push((name.to_owned(), normalized, target));
        Ok(())
    }

    /// Walks every symlink through the package's link graph.
    fn check_links(&mut self) -> Result<(), PackageError> {
        for (name, normalized, target) in &self.symlinks {
            if self.links.check(normalized, target).is_err() {
                return Err(unsafe_link(name, target));
            }
        }
        Ok(())
    }
}

fn unsafe_link(name: &str, target: &str) -> PackageError {
    PackageError::UnsafeSymlink {
        name: name.to_owned(),
        target: target.to_owned(),
    }
}

#[cfg(test)]
mod tests;
