//! Reads and writes inside a write transaction, on the writer connection.

use async_trait::async_trait;
use stratus_model::alias::AliasRecord;
use stratus_model::invoke_config::EventInvokeRecord;
use stratus_model::layer::LayerVersionRecord;
use stratus_model::provisioned::ProvisionedRecord;
use stratus_model::{FunctionVersion, Version};

use super::{aliases, functions, invoke_configs, layers, provisioned, SqliteTx};
use crate::{FunctionRow, MetadataWrite, StoreError};

#[async_trait]
impl MetadataWrite for SqliteTx {
    async fn function(&mut self, name: &str) -> Result<Option<FunctionRow>, StoreError> {
        functions::get_function(&mut *self.tx, name).await
    }

    async fn version(
        &mut self,
        name: &str,
        version: Version,
    ) -> Result<Option<FunctionVersion>, StoreError> {
        functions::get_version(&mut *self.tx, name, version).await
    }

    async fn latest_published(
        &mut self,
        name: &str,
    ) -> Result<Option<FunctionVersion>, StoreError> {
        functions::latest_published(&mut *self.tx, name).await
    }

    async fn version_blobs(&mut self, name: &str) -> Result<Vec<String>, StoreError> {
        functions::version_blobs(&mut *self.tx, name).await
    }

    async fn reserved_concurrency_total(
        &mut self,
        except: Option<&str>,
    ) -> Result<i64, StoreError> {
        functions::reserved_concurrency_total(&mut *self.tx, except).await
    }

    async fn insert_function(&mut self, f: &FunctionRow) -> Result<(), StoreError> {
        functions::insert_function(&mut self.tx, f).await
    }

    async fn update_function(&mut self, f: &FunctionRow) -> Result<(), StoreError> {
        functions::update_function(&mut self.tx, f).await
    }

    async fn put_version(&mut self, v: &FunctionVersion) -> Result<(), StoreError> {
        functions::put_version(&mut self.tx, v).await
    }

    async fn delete_version(&mut self, name: &str, version: Version) -> Result<(), StoreError> {
        functions::delete_version(&mut self.tx, name, version).await
    }

    async fn delete_function(&mut self, name: &str) -> Result<(), StoreError> {
        functions::delete_function(&mut self.tx, name).await
    }

    async fn blob_referenced(&mut self, sha256_hex: &str) -> Result<bool, StoreError> {
        functions::blob_referenced(&mut *self.tx, sha256_hex).await
    }

    async fn alias(
        &mut self,
        function: &str,
        name: &str,
    ) -> Result<Option<AliasRecord>, StoreError> {
        aliases::get_alias(&mut *self.tx, function, name).await
    }

    async fn aliases(&mut self, function: &str) -> Result<Vec<AliasRecord>, StoreError> {
        aliases::list_aliases(&mut *self.tx, function).await
    }

    async fn put_alias(&mut self, function: &str, alias: &AliasRecord) -> Result<(), StoreError> {
        aliases::put_alias(&mut self.tx, function, alias).await
    }

    async fn delete_alias(&mut self, function: &str, name: &str) -> Result<(), StoreError> {
        aliases::delete_alias(&mut self.tx, function, name).await
    }

    async fn layer_version(
        &mut self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError> {
        layers::get_layer_version(&mut *self.tx, name, version).await
    }

    async fn next_layer_version(&mut self, name: &str) -> Result<u64, StoreError> {
        layers::next_layer_version(&mut self.tx, name).await
    }

    async fn put_layer_version(&mut self, l: &LayerVersionRecord) -> Result<(), StoreError> {
        layers::put_layer_version(&mut self.tx, l).await
    }

    async fn delete_layer_version(&mut self, name: &str, version: u64) -> Result<bool, StoreError> {
        layers::delete_layer_version(&mut self.tx, name, version).await
    }

    async fn event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<EventInvokeRecord>, StoreError> {
        invoke_configs::get_config(&mut *self.tx, function, qualifier).await
    }

    async fn put_event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
        record: &EventInvokeRecord,
    ) -> Result<(), StoreError> {
        invoke_configs::put_config(&mut self.tx, function, qualifier, record).await
    }

    async fn delete_event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<bool, StoreError> {
        invoke_configs::delete_config(&mut self.tx, function, qualifier).await
    }

    async fn provisioned_configs(
        &mut self,
        only: Option<&str>,
    ) -> Result<Vec<(String, String, ProvisionedRecord)>, StoreError> {
        provisioned::list_configs(&mut *self.tx, only).await
    }

    async fn put_provisioned_config(
        &mut self,
        function: &str,
        qualifier: &str,
        record: &ProvisionedRecord,
    ) -> Result<(), StoreError> {
        provisioned::put_config(&mut self.tx, function, qualifier, record).await
    }

    async fn delete_provisioned_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<bool, StoreError> {
        provisioned::delete_configs(&mut self.tx, function, Some(qualifier)).await
    }
}
