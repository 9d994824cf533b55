//! Store failures.

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
        what: String,
        /// the decode error
        source: serde_json::Error,
    },
    /// a row with this key exists already
    #[error("{0} exists already")]
    Conflict(String),
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt {
        what: what.to_owned(),
        source,
    })
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> String {
    // Serialising our own plain data types into a String cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}
