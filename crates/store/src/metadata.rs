//! The metadata seam: what control reads and writes, independent of the database behind it.
//!
//! [`MetadataRead`] answers from committed state (on SQLite, the read pool). [`MetadataWrite`]
//! is the metadata part of one write transaction: its reads see the transaction's own
//! writes, and nothing it writes is visible to anyone until the transaction commits.
//! Both speak the model's domain types; how they are laid out on disk is the backend's
//! business (see [`crate::records`]).

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use stratus_model::alias::AliasRecord;
use stratus_model::invoke_config::EventInvokeRecord;
use stratus_model::layer::LayerVersionRecord;
use stratus_model::provisioned::ProvisionedRecord;
use stratus_model::{FunctionVersion, Version};

use crate::StoreError;

/// The per-function row: what is not versioned.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionRow {
    /// Plain name.
    pub name: String,
    /// The number the next PublishVersion takes.
    pub next_version: u64,
    /// Reserved concurrency, if set.
    pub reserved_concurrency: Option<i64>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: String,
}

/// Where a listing of function versions continues: after (name, version).
pub type VersionCursor = (String, Version);

/// Reads of committed metadata.
#[async_trait]
pub trait MetadataRead: Send + Sync {
    /// The function row, if the function exists.
    async fn function(&self, name: &str) -> Result<Option<FunctionRow>, StoreError>;

    /// One version record.
    async fn version(
        &self,
        name: &str,
        version: Version,
    ) -> Result<Option<FunctionVersion>, StoreError>;

    /// Version records in (name, version) order after `after`, `$LATEST` only unless `all`,
    /// of the function `only` if given; at most `limit`.
    async fn list_versions(
        &self,
        only: Option<&str>,
        after: Option<&VersionCursor>,
        all: bool,
        limit: usize,
    ) -> Result<Vec<FunctionVersion>, StoreError>;

    /// Total stored code bytes (all versions and layers) and the number of functions.
    async fn usage(&self) -> Result<(u64, u64), StoreError>;

    /// Reserved concurrency summed over all functions except `except`.
    async fn reserved_concurrency_total(&self, except: Option<&str>) -> Result<i64, StoreError>;

    /// Every blob key any function version or layer version refers to.
    async fn referenced_blobs(&self) -> Result<HashSet<String>, StoreError>;

    /// One alias.
    async fn alias(&self, function: &str, name: &str) -> Result<Option<AliasRecord>, StoreError>;

    /// Every alias of a function, by name.
    async fn aliases(&self, function: &str) -> Result<Vec<AliasRecord>, StoreError>;

    /// One layer version.
    async fn layer_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError>;

    /// A layer's versions, newest first.
    async fn layer_versions(&self, name: &str) -> Result<Vec<LayerVersionRecord>, StoreError>;

    /// Every layer version, by layer name then newest first.
    async fn all_layer_versions(&self) -> Result<Vec<LayerVersionRecord>, StoreError>;

    /// The event-invoke settings of one qualifier.
    async fn event_invoke_config(
        &self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<EventInvokeRecord>, StoreError>;

    /// Every qualifier's event-invoke settings of a function, as (qualifier, record), by
    /// qualifier.
    async fn event_invoke_configs(
        &self,
        function: &str,
    ) -> Result<Vec<(String, EventInvokeRecord)>, StoreError>;

    /// The provisioned concurrency request of one qualifier.
    async fn provisioned_config(
        &self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<ProvisionedRecord>, StoreError>;

    /// Provisioned concurrency requests as (function, qualifier, record), of `only` or of
    /// every function, by function then qualifier.
    async fn provisioned_configs(
        &self,
        only: Option<&str>,
    ) -> Result<Vec<(String, String, ProvisionedRecord)>, StoreError>;
}

/// The metadata part of a write transaction: reads that see its own writes, and writes.
///
/// Control's read-check-write rules rely on write transactions being serialised: while one
/// is open no other writer changes anything it read. SQLite gets that from its single
/// writer connection; a PostgreSQL backend must take a lock when it begins (for example a
/// transaction-scoped advisory lock) to give the same guarantee.
#[async_trait]
pub trait MetadataWrite: Send {
    /// The function row.
    async fn function(&mut self, name: &str) -> Result<Option<FunctionRow>, StoreError>;

    /// One version record.
    async fn version(
        &mut self,
        name: &str,
        version: Version,
    ) -> Result<Option<FunctionVersion>, StoreError>;

    /// The newest published version, if any.
    async fn latest_published(&mut self, name: &str)
        -> Result<Option<FunctionVersion>, StoreError>;

    /// The blob keys of every version of a function (with repeats).
    async fn version_blobs(&mut self, name: &str) -> Result<Vec<String>, StoreError>;

    /// Reserved concurrency summed over all functions except `except`.
    async fn reserved_concurrency_total(&mut self, except: Option<&str>)
        -> Result<i64, StoreError>;

    /// Inserts a new function row; [`StoreError::Conflict`] if the name is taken.
    async fn insert_function(&mut self, f: &FunctionRow) -> Result<(), StoreError>;

    /// Rewrites an existing function row.
    async fn update_function(&mut self, f: &FunctionRow) -> Result<(), StoreError>;

    /// Inserts or replaces a version record.
    async fn put_version(&mut self, v: &FunctionVersion) -> Result<(), StoreError>;

    /// Deletes one published version and its per-qualifier settings.
    async fn delete_version(&mut self, name: &str, version: Version) -> Result<(), StoreError>;

    /// Deletes a function with all its versions, aliases and settings.
    async fn delete_function(&mut self, name: &str) -> Result<(), StoreError>;

    /// True when any function or layer version still refers to the blob.
    async fn blob_referenced(&mut self, sha256_hex: &str) -> Result<bool, StoreError>;

    /// One alias.
    async fn alias(
        &mut self,
        function: &str,
        name: &str,
    ) -> Result<Option<AliasRecord>, StoreError>;

    /// Every alias of a function, by name.
    async fn aliases(&mut self, function: &str) -> Result<Vec<AliasRecord>, StoreError>;

    /// Inserts or replaces an alias.
    async fn put_alias(&mut self, function: &str, alias: &AliasRecord) -> Result<(), StoreError>;

    /// Deletes an alias and its per-qualifier settings.
    async fn delete_alias(&mut self, function: &str, name: &str) -> Result<(), StoreError>;

    /// One layer version.
    async fn layer_version(
        &mut self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError>;

    /// Reserves the next version number of a layer (creating the layer's counter); numbers
    /// are never reused, even after every version was deleted.
    async fn next_layer_version(&mut self, name: &str) -> Result<u64, StoreError>;

    /// Stores a layer version.
    async fn put_layer_version(&mut self, l: &LayerVersionRecord) -> Result<(), StoreError>;

    /// Deletes a layer version; true if it existed.
    async fn delete_layer_version(&mut self, name: &str, version: u64) -> Result<bool, StoreError>;

    /// The event-invoke settings of one qualifier.
    async fn event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<EventInvokeRecord>, StoreError>;

    /// Inserts or replaces one qualifier's event-invoke settings.
    async fn put_event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
        record: &EventInvokeRecord,
    ) -> Result<(), StoreError>;

    /// Deletes one qualifier's event-invoke settings; true if they existed.
    async fn delete_event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<bool, StoreError>;

    /// Provisioned concurrency requests as (function, qualifier, record), of `only` or of
    /// every function (the account-wide sum is checked against the unreserved minimum).
    async fn provisioned_configs(
        &mut self,
        only: Option<&str>,
    ) -> Result<Vec<(String, String, ProvisionedRecord)>, StoreError>;

    /// Inserts or replaces one qualifier's provisioned concurrency request.
    async fn put_provisioned_config(
        &mut self,
        function: &str,
        qualifier: &str,
        record: &ProvisionedRecord,
    ) -> Result<(), StoreError>;

    /// Deletes one qualifier's provisioned concurrency request; true if it existed.
    async fn delete_provisioned_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<bool, StoreError>;
}
