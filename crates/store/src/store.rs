//! The store as a whole: committed reads, and write transactions spanning all of it.
//!
//! A [`WriteTx`] is one transaction over every part of the store: metadata
//! ([`MetadataWrite`]) and the durable async-event queue ([`QueueWrite`]), so that for
//! example enqueueing an event and reading the function it targets, or dead-lettering an
//! event and removing it from the queue, commit together or not at all.

use async_trait::async_trait;

use crate::queue::{NewEvent, QueueRead, QueueWrite};
use crate::{MetadataRead, MetadataWrite, StoreError};

/// One write transaction. Nothing it wrote is visible to others, or durable, until
/// [`WriteTx::commit`] returns `Ok`; dropping it without committing rolls everything back.
#[async_trait]
pub trait WriteTx: MetadataWrite + QueueWrite + Send {
    /// Makes every change of this transaction durable (on disk before this returns).
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The store: committed reads directly (metadata and queue), writes through
/// [`Store::begin`].
///
/// Write transactions are serialised: `begin` waits while another one is open, so a
/// transaction's reads stay true until it commits (see [`MetadataWrite`]).
#[async_trait]
pub trait Store: MetadataRead + QueueRead + Send + Sync {
    /// Starts a write transaction; waits while another writer holds it.
    async fn begin(&self) -> Result<Box<dyn WriteTx>, StoreError>;

    /// Enqueues one event in a transaction of its own, durable when this returns. Each call
    /// costs a commit (an fsync); concurrent enqueues should share commits through
    /// [`GroupCommit`](crate::queue::GroupCommit).
    async fn enqueue(&self, event: &NewEvent) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.enqueue(event).await?;
        tx.commit().await
    }

    /// Closes the store (on SQLite, checkpointing the WAL). Later calls fail.
    async fn close(&self);
}
