//! Durable metadata: functions, versions, aliases, layers and event-invoke configs.
//!
//! SQLite in WAL mode with `synchronous=FULL`, so a write is on disk before its transaction
//! returns and an acknowledged change survives `kill -9` or power loss. Writes go through a
//! single connection ([`Store::begin`] hands out a [`Tx`]), which serialises them and makes
//! read-check-write sequences atomic; reads use a separate pool and never wait on writers.
//! This crate knows records and keys, not HTTP and not Lambda's rules.

mod aliases;
mod error;
mod functions;
mod invoke_configs;
mod layers;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use error::StoreError;
pub use functions::{FunctionRow, VersionCursor};

/// The metadata store.
#[derive(Debug, Clone)]
pub struct Store {
    read: SqlitePool,
    write: SqlitePool,
}

/// One write transaction; nothing is visible to others until [`Tx::commit`].
#[derive(Debug)]
pub struct Tx {
    tx: Transaction<'static, Sqlite>,
}

impl Store {
    /// Opens (creating if needed) the database file at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self { read, write })
    }

    /// Starts a write transaction; waits while another writer holds the connection.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(Tx {
            tx: self.write.begin().await?,
        })
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

impl Tx {
    /// Makes every change of this transaction durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}
