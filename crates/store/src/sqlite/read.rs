//! Committed reads, from the read pool.

use std::collections::HashSet;

use async_trait::async_trait;
use stratus_model::alias::AliasRecord;
use stratus_model::invoke_config::EventInvokeRecord;
use stratus_model::layer::LayerVersionRecord;
use stratus_model::provisioned::ProvisionedRecord;
use stratus_model::{FunctionVersion, Version};

use super::{aliases, functions, invoke_configs, layers, provisioned, SqliteStore};
use crate::{FunctionRow, MetadataRead, StoreError, VersionCursor};

#[async_trait]
impl MetadataRead for SqliteStore {
    async fn function(&self, name: &str) -> Result<Option<FunctionRow>, StoreError> {
        functions::get_function(&self.read, name).await
    }

    async fn version(
        &self,
        name: &str,
        version: Version,
    ) -> Result<Option<FunctionVersion>, StoreError> {
        functions::get_version(&self.read, name, version).await
    }

    async fn list_versions(
        &self,
        only: Option<&str>,
        after: Option<&VersionCursor>,
        all: bool,
        limit: usize,
    ) -> Result<Vec<FunctionVersion>, StoreError> {
        functions::list_versions(&self.read, only, after, all, limit).await
    }

    async fn usage(&self) -> Result<(u64, u64), StoreError> {
        functions::usage(&self.read).await
    }

    async fn reserved_concurrency_total(&self, except: Option<&str>) -> Result<i64, StoreError> {
        functions::reserved_concurrency_total(&self.read, except).await
    }

    async fn referenced_blobs(&self) -> Result<HashSet<String>, StoreError> {
        functions::referenced_blobs(&self.read).await
    }

    async fn alias(&self, function: &str, name: &str) -> Result<Option<AliasRecord>, StoreError> {
        aliases::get_alias(&self.read, function, name).await
    }

    async fn aliases(&self, function: &str) -> Result<Vec<AliasRecord>, StoreError> {
        aliases::list_aliases(&self.read, function).await
    }

    async fn layer_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError> {
        layers::get_layer_version(&self.read, name, version).await
    }

    async fn layer_versions(&self, name: &str) -> Result<Vec<LayerVersionRecord>, StoreError> {
        layers::layer_versions(&self.read, name).await
    }

    async fn all_layer_versions(&self) -> Result<Vec<LayerVersionRecord>, StoreError> {
        layers::all_layer_versions(&self.read).await
    }

    async fn event_invoke_config(
        &self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<EventInvokeRecord>, StoreError> {
        invoke_configs::get_config(&self.read, function, qualifier).await
    }

    async fn event_invoke_configs(
        &self,
        function: &str,
    ) -> Result<Vec<(String, EventInvokeRecord)>, StoreError> {
        invoke_configs::list_configs(&self.read, function).await
    }

    async fn provisioned_config(
        &self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<ProvisionedRecord>, StoreError> {
        provisioned::get_config(&self.read, function, qualifier).await
    }

    async fn provisioned_configs(
        &self,
        only: Option<&str>,
    ) -> Result<Vec<(String, String, ProvisionedRecord)>, StoreError> {
        provisioned::list_configs(&self.read, only).await
    }
}
