//! Store failures, shared by every backend.

/// What can go wrong talking to the metadata database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// the database failed
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// the schema migration failed
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// a stored record could not be decoded
    #[error("stored record {what} is corrupt: {source}")]
    Corrupt {
        /// which record
        what: &'static str,
        /// the decode error
        source: serde_json::Error,
    },
    /// a stored record has a format this build does not read
    #[error(
        "stored record {what} has format version {found}, this build reads version {expected}"
    )]
    RecordVersion {
        /// which record
        what: &'static str,
        /// the version found on disk
        found: u32,
        /// the version this build writes and reads
        expected: u32,
    },
    /// a row with this key exists already
    #[error("{0} exists already")]
    Conflict(String),
    /// a stored time is outside the range this build represents
    #[error("stored {what} time {millis} ms is out of range")]
    TimeOutOfRange {
        /// which time
        what: &'static str,
        /// the stored epoch milliseconds
        millis: i64,
    },
}
