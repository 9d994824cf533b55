//! PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions,
//! DeleteLayerVersion, and resolving the layers a function references.

use stratus_model::function::AttachedLayer;
use stratus_model::layer::{
    LayerContent, LayerItem, LayerPage, LayerVersionPage, LayerVersionRecord, LayerVersionResponse,
    PublishLayerRequest,
};
use stratus_model::names::{parse_layer_name, parse_layer_version_arn};
use stratus_model::requests::Paging;
use stratus_model::{LambdaError, Violations};
use stratus_store::WriteTx;

use crate::functions::now_timestamp;
use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// Looks up each referenced layer version; a missing one is a 400 as in Lambda.
    pub(crate) async fn resolve_layers(
        &self,
        tx: &mut dyn WriteTx,
        refs: Option<Vec<(String, u64)>>,
    ) -> Result<Option<Vec<AttachedLayer>>> {
        let Some(refs) = refs else {
            return Ok(None);
        };
        let mut names: Vec<&str> = refs.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let duplicated = names.windows(2).any(|w| w[0] == w[1]);
        let mut out = Vec::with_capacity(refs.len());
        for (name, version) in &refs {
            let (name, version) = (name.as_str(), *version);
            let arn = self.scope().layer_version_arn(name, version);
            let record = tx
                .layer_version(name, version)
                .await
                .internal()?
                .ok_or_else(|| {
                    LambdaError::invalid(format!("Layer version {arn} does not exist."))
                })?;
            out.push(AttachedLayer {
                arn,
                code_size: record.code.size,
                unzipped_size: record.code.unzipped_size,
                sha256_hex: record.code.sha256_hex,
            });
        }
        if duplicated {
            return Err(LambdaError::invalid(
                "Two different versions of the same layer are not allowed to be referenced in the same function. Please remove one of the versions and try again.",
            ));
        }
        Ok(Some(out))
    }

    fn layer_response(&self, l: &LayerVersionRecord) -> LayerVersionResponse {
        LayerVersionResponse {
            content: LayerContent {
                location: self.code_location(&l.code).location,
                code_sha256: l.code.sha256_b64.clone(),
                code_size: l.code.size,
            },
            layer_arn: self.scope().layer_arn(&l.layer_name),
            layer_version_arn: self.scope().layer_version_arn(&l.layer_name, l.version),
            description: l.description.clone(),
            created_date: l.created_date.clone(),
            version: l.version,
            compatible_runtimes: l.compatible_runtimes.clone(),
            license_info: l.license_info.clone(),
            compatible_architectures: l.compatible_architectures.clone(),
        }
    }

    fn layer_version_not_found(&self) -> LambdaError {
        LambdaError::not_found("The resource you requested does not exist.")
    }

    /// PublishLayerVersion.
    pub async fn publish_layer_version(
        &self,
        layer: &str,
        req: PublishLayerRequest,
    ) -> Result<LayerVersionResponse> {
        let name = parse_layer_name(layer, self.scope())?;
        req.validate()?;
        if req.content.is_none() {
            let mut v = Violations::default();
            v.push(&"null", "content", "Member must not be null");
            v.finish()?;
        }
        let pkg = self.accept_package(req.content.as_ref()).await?;
        self.check_code_storage(pkg.info.size).await?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            self.write_blob(&pkg).await?;
            let version = tx.next_layer_version(&name).await.internal()?;
            let record = LayerVersionRecord {
                layer_name: name.clone(),
                version,
                description: req.description.clone().unwrap_or_default(),
                created_date: now_timestamp(),
                compatible_runtimes: req.compatible_runtimes.clone().unwrap_or_default(),
                compatible_architectures: req.compatible_architectures.clone().unwrap_or_default(),
                license_info: req.license_info.clone(),
                code: pkg.code_ref(),
            };
            tx.put_layer_version(&record).await.internal()?;
            Ok(record)
        }
        .await;
        let record = self.finish(tx, out, Some(&pkg)).await?;
        tracing::info!(layer = %name, version = record.version, "layer version published");
        Ok(self.layer_response(&record))
    }

    /// GetLayerVersion.
    pub async fn get_layer_version(
        &self,
        layer: &str,
        version: u64,
    ) -> Result<LayerVersionResponse> {
        let name = parse_layer_name(layer, self.scope())?;
        let record = self
            .store()
            .layer_version(&name, version)
            .await
            .internal()?
            .ok_or_else(|| self.layer_version_not_found())?;
        Ok(self.layer_response(&record))
    }

    /// GetLayerVersionByArn.
    pub async fn get_layer_version_by_arn(&self, arn: &str) -> Result<LayerVersionResponse> {
        let (name, version) = parse_layer_version_arn(arn, self.scope()).ok_or_else(|| {
            let mut v = Violations::default();
            v.pattern(
                arn,
                "arn",
                false,
                r"(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)",
            );
            v.finish().err().unwrap_or_else(LambdaError::internal)
        })?;
        self.get_layer_version(&name, version).await
    }

    /// DeleteLayerVersion (idempotent).
    pub async fn delete_layer_version(&self, layer: &str, version: u64) -> Result<()> {
        let name = parse_layer_name(layer, self.scope())?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let record = tx.layer_version(&name, version).await.internal()?;
            tx.delete_layer_version(&name, version).await.internal()?;
            Ok(record)
        }
        .await;
        let record = self.finish(tx, out, None).await?;
        if let Some(record) = record {
            tracing::info!(layer = %name, version, "layer version deleted");
            self.discard_blobs(vec![record.code.sha256_hex]).await;
        }
        Ok(())
    }

    /// ListLayerVersions, newest first, filtered by runtime and architecture.
    pub async fn list_layer_versions(
        &self,
        layer: &str,
        runtime: Option<&str>,
        arch: Option<&str>,
        marker: Option<String>,
        max_items: Option<i64>,
    ) -> Result<LayerVersionPage> {
        let name = parse_layer_name(layer, self.scope())?;
        let paging = Paging::new(marker, max_items, 50, 50)?;
        let after: Option<u64> = paging.marker.as_deref().and_then(|m| m.parse().ok());
        let mut items: Vec<LayerVersionRecord> = self
            .store()
            .layer_versions(&name)
            .await
            .internal()?
            .into_iter()
            .filter(|l| l.matches(runtime, arch) && after.is_none_or(|a| l.version < a))
            .collect();
        let next_marker = (items.len() > paging.max_items).then(|| {
            items.truncate(paging.max_items);
            items
                .last()
                .map(|l| l.version.to_string())
                .unwrap_or_default()
        });
        Ok(LayerVersionPage {
            layer_versions: items
                .iter()
                .map(|l| l.item(self.scope().layer_version_arn(&l.layer_name, l.version)))
                .collect(),
            next_marker,
        })
    }

    /// ListLayers: each layer with its newest version matching the filters.
    pub async fn list_layers(
        &self,
        runtime: Option<&str>,
        arch: Option<&str>,
        marker: Option<String>,
        max_items: Option<i64>,
    ) -> Result<LayerPage> {
        let paging = Paging::new(marker, max_items, 50, 50)?;
        let all = self.store().all_layer_versions().await.internal()?;
        let mut layers: Vec<LayerItem> = Vec::new();
        for l in all.iter().filter(|l| l.matches(runtime, arch)) {
            if layers.last().is_some_and(|i| i.layer_name == l.layer_name) {
                continue; // newest first within a layer: the first match is the latest
            }
            if paging.marker.as_ref().is_some_and(|m| l.layer_name <= *m) {
                continue;
            }
            layers.push(LayerItem {
                layer_name: l.layer_name.clone(),
                layer_arn: self.scope().layer_arn(&l.layer_name),
                latest_matching_version: l
                    .item(self.scope().layer_version_arn(&l.layer_name, l.version)),
            });
        }
        let next_marker = (layers.len() > paging.max_items).then(|| {
            layers.truncate(paging.max_items);
            layers
                .last()
                .map(|l| l.layer_name.clone())
                .unwrap_or_default()
        });
        Ok(LayerPage {
            layers,
            next_marker,
        })
    }
}
