//! The embedded default backend: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! A commit is on disk before it returns, so an acknowledged change survives `kill -9` or
//! power loss. Writes go through a single connection ([`SqliteStore`]'s `begin` hands out
//! its transaction), which serialises writers and makes read-check-write sequences atomic;
//! committed reads use a separate read-only pool and never wait on the writer.
//! The async-event queue lives in the same file and the same writer (`queue_*.rs`,
//! `dead_letters.rs`): an enqueue is durable exactly when a metadata change would be.
//! Opening applies the migrations in `migrations/`, each in one transaction together with
//! its entry in `_sqlx_migrations`; a database that has migrations this build does not
//! know (written by a newer build) is refused.

mod aliases;
mod dead_letters;
mod functions;
mod invoke_configs;
mod layers;
mod millis;
mod provisioned;
mod queue_claim;
mod queue_events;
mod queue_read;
mod queue_write;
mod read;
mod write;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::{Store, StoreError, WriteTx};

/// Every migration of the SQLite schema, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite metadata store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    rotation: Arc<queue_claim::Rotation>,
}

/// One write transaction on the writer connection.
#[derive(Debug)]
pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    rotation: Arc<queue_claim::Rotation>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // Statement journals and RETURNING results stay in memory: on disk each
            // batched enqueue would create, write and unlink a temporary file.
            .pragma("temp_store", "memory")
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            read,
            write,
            rotation: Arc::default(),
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn WriteTx>, StoreError> {
        Ok(Box::new(SqliteTx {
            tx: self.write.begin().await?,
            rotation: Arc::clone(&self.rotation),
        }))
    }

    async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

#[async_trait]
impl WriteTx for SqliteTx {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}
