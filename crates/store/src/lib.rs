//! Durable metadata: functions, versions, aliases, layers and event-invoke configs.
//!
//! The crate is a seam with backends behind it. Control sees only the traits:
//! - [`MetadataRead`]: reads of committed state;
//! - [`MetadataWrite`]: the metadata part of a write transaction (its reads see its own
//!   writes);
//! - [`WriteTx`]: one write transaction over the whole store, committed by
//!   [`WriteTx::commit`] and rolled back when dropped uncommitted;
//! - [`Store`]: committed reads plus [`Store::begin`], held as `Arc<dyn Store>`.
//!
//! [`SqliteStore`] (module `sqlite`, one file per resource) is the embedded default. A
//! PostgreSQL backend is another module implementing the same four traits over a
//! `PgPool`, with its own `migrations-postgres/`, and chosen where the server opens its
//! store; control does not change. It must serialise write transactions (see
//! [`MetadataWrite`]).
//!
//! What is on disk is [`records`], not the model's wire-shaped types: renaming an API field
//! in `stratus-model` does not change the database format. The database schema is
//! versioned by the migrations (`migrations/`, applied at open); the record format by the
//! `v` field of every record.
//!
//! # Where the async-event queue goes
//!
//! The durable queue for asynchronous invocations is a third part of this store, sharing
//! its transactions: a `queue` module with
//! - `QueueWrite` (enqueue, claim the next due events, complete, reschedule with back-off,
//!   dead-letter), made a supertrait of [`WriteTx`] next to [`MetadataWrite`]
//!   (`trait WriteTx: MetadataWrite + QueueWrite`), so a 202 is sent only after the
//!   transaction holding the enqueue commits, and an event's outcome and its removal commit
//!   together;
//! - `QueueRead` (depth, oldest age) made a supertrait of [`Store`] next to
//!   [`MetadataRead`];
//! - on SQLite a `queue_events` table (in a new migration) in the same file and the same
//!   single-writer transaction; on PostgreSQL, claims use `SELECT … FOR UPDATE SKIP LOCKED`
//!   so several dispatchers claim disjoint events, and its records get their own
//!   [`records`] struct like every other stored record.
//!
//! This crate knows records and keys, not HTTP and not Lambda's rules.

mod error;
mod metadata;
pub mod records;
pub mod sqlite;
mod store;

pub use error::StoreError;
pub use metadata::{FunctionRow, MetadataRead, MetadataWrite, VersionCursor};
pub use sqlite::{SqliteStore, SqliteTx};
pub use store::{Store, WriteTx};
