//! Size and shape limits applied while inspecting a package.

/// Limits for [`crate::inspect_zip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted zip, in bytes.
    pub max_zipped: u64,
    /// Largest accepted total of decompressed bytes over all entries.
    pub max_unzipped: u64,
    /// Most entries (files, directories, symlinks) a package may hold.
    pub max_entries: usize,
    /// Largest decompressed-to-compressed ratio of one entry, checked only once the entry
    /// has produced more than [`Limits::RATIO_GRACE`] bytes.
    pub max_ratio: u64,
}

impl Limits {
    /// Decompressed bytes an entry may produce before `max_ratio` applies (1 MiB), so small
    /// highly compressible files are always accepted.
    pub const RATIO_GRACE: u64 = 1024 * 1024;
}

impl Default for Limits {
    /// Lambda's package quotas: 50 MiB zipped and 250 MiB unzipped.
    fn default() -> Self {
        Limits {
            max_zipped: 52_428_800,
            max_unzipped: 262_144_000,
            max_entries: 100_000,
            max_ratio: 1_000,
        }
    }
}
