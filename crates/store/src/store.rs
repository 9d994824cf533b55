//! The store as a whole: committed reads, and write transactions spanning all of it.
//!
//! A [`WriteTx`] is one transaction over every part of the store. Today that is metadata
//! ([`MetadataWrite`]); the durable async-event queue will be a second part of the same
//! transaction (see the crate documentation), so that for example enqueueing an event and
//! reading the function it targets, or completing an event and recording its outcome,
//! commit together or not at all.

use async_trait::async_trait;

use crate::{MetadataRead, MetadataWrite, StoreError};

/// One write transaction. Nothing it wrote is visible to others, or durable, until
/// [`WriteTx::commit`] returns `Ok`; dropping it without committing rolls everything back.
#[async_trait]
pub trait WriteTx: MetadataWrite + Send {
    /// Makes every change of this transaction durable (on disk before this returns).
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A metadata store: committed reads directly, writes through [`Store::begin`].
///
/// Write transactions are serialised: `begin` waits while another one is open, so a
/// transaction's reads stay true until it commits (see [`MetadataWrite`]).
#[async_trait]
pub trait Store: MetadataRead + Send + Sync {
    /// Starts a write transaction; waits while another writer holds it.
    async fn begin(&self) -> Result<Box<dyn WriteTx>, StoreError>;

    /// Closes the store (on SQLite, checkpointing the WAL). Later calls fail.
    async fn close(&self);
}
