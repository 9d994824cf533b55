//! Durable metadata (functions, versions, aliases, layers and event-invoke configs) and
//! the durable queue of asynchronous invocations with its dead letters.
//!
//! The crate is a seam with backends behind it. Control sees only the traits (the queue's
//! are described below):
//! - [`MetadataRead`]: reads of committed state;
//! - [`MetadataWrite`]: the metadata part of a write transaction (its reads see its own
//!   writes);
//! - [`WriteTx`]: one write transaction over the whole store, committed by
//!   [`WriteTx::commit`] and rolled back when dropped uncommitted;
//! - [`Store`]: committed reads plus [`Store::begin`], held as `Arc<dyn Store>`.
//!
//! [`SqliteStore`] (module `sqlite`, one file per resource) is the embedded default. A
//! PostgreSQL backend is another module implementing the same traits over a
//! `PgPool`, with its own `migrations-postgres/`, and chosen where the server opens its
//! store; control does not change. It must serialise write transactions (see
//! [`MetadataWrite`]).
//!
//! What is on disk is [`records`], not the model's wire-shaped types: renaming an API field
//! in `stratus-model` does not change the database format. The database schema is
//! versioned by the migrations (`migrations/`, applied at open); the record format by the
//! `v` field of every record.
//!
//! # The async-event queue
//!
//! The durable queue for asynchronous invocations is a third part of this store, sharing
//! its transactions ([`queue`]):
//! - [`QueueWrite`] (enqueue, fair claim with leases, complete, release with back-off,
//!   expire leases, dead-letter, redrive) is a supertrait of [`WriteTx`] next to
//!   [`MetadataWrite`], so a 202 is sent only after the transaction holding the enqueue
//!   commits, and an event's outcome and its removal commit together;
//! - [`QueueRead`] (one event, depth and oldest age per function, dead letters) is a
//!   supertrait of [`Store`] next to [`MetadataRead`];
//! - [`queue::GroupCommit`] batches concurrent enqueues into one transaction, over any
//!   [`Store`], so durable enqueues are not limited to one fsync each;
//! - on SQLite, tables `queue_events` and `dead_letters` (migration 0003) in the same file
//!   and the same single-writer transaction. On PostgreSQL, claims would select with
//!   `FOR UPDATE SKIP LOCKED` so several dispatchers claim disjoint events; the fairness
//!   rule (round-robin over functions) and the lease rule (an expired lease is free) stay
//!   as documented on [`QueueWrite`]. Event columns are plain (the payload a BLOB); the
//!   dead letter's failure is a [`records::StoredFailure`] like every other stored record.
//!
//! This crate knows records and keys, not HTTP and not Lambda's rules.

mod error;
mod metadata;
pub mod queue;
pub mod records;
pub mod sqlite;
mod store;

pub use error::StoreError;
pub use metadata::{FunctionRow, MetadataRead, MetadataWrite, VersionCursor};
pub use queue::{QueueRead, QueueWrite};
pub use sqlite::{SqliteStore, SqliteTx};
pub use store::{Store, WriteTx};
