//! Code and layer packages: streaming zip validation and the content-addressed blob store.
//!
//! [`inspect_zip`] checks an uploaded package without extracting it: every entry is streamed
//! through the decompressor and counted, paths and symlinks are checked for escapes, and the
//! SHA-256 of the raw bytes becomes the package's key. [`BlobStore`] keeps packages on disk
//! under that key, and [`unpack`] turns a checked package into a directory a sandbox mounts.
//! Nothing here knows about HTTP or the database.

mod blobs;
mod limits;
mod paths;
mod rawzip;
mod unpack;
mod zipcheck;

pub use blobs::{BlobError, BlobStore};
pub use limits::Limits;
pub use unpack::{sweep_staging, unpack, UnpackError};
pub use zipcheck::{code_sha256, inspect_zip, PackageError, PackageInfo};
