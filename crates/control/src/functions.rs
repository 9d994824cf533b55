//! CreateFunction, GetFunction(Configuration), UpdateFunctionCode/Configuration,
//! DeleteFunction and ListFunctions.

use stratus_model::function::CodeRef;
use stratus_model::requests::{
    validate_tags, CodeLocation, Concurrency, CreateFunctionRequest, FunctionPage,
    GetFunctionResponse, Paging, UpdateCodeRequest, UpdateConfigurationRequest, MAX_TAGS,
};
use stratus_model::settings::default_settings;
use stratus_model::{
    time, FunctionConfiguration, FunctionRef, FunctionVersion, LambdaError, Qualifier, Version,
    Violations,
};
use stratus_store::{FunctionRow, WriteTx};

use crate::internal::OrInternal;
use crate::packages::Package;
use crate::{Control, Result};

pub(crate) fn new_revision() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn now_timestamp() -> String {
    time::timestamp(chrono::Utc::now())
}

fn required<'a>(value: Option<&'a String>, field: &str) -> Result<&'a String> {
    value.ok_or_else(|| {
        LambdaError::new(
            stratus_model::ErrorKind::Validation,
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

impl Control {
    /// Commits `tx` when `out` succeeded; otherwise (or if the commit fails) removes the
    /// blob written for this request unless something committed refers to it.
    pub(crate) async fn finish<T>(
        &self,
        tx: Box<dyn WriteTx>,
        out: Result<T>,
        written: Option<&Package>,
    ) -> Result<T> {
        let out = match out {
            Ok(v) => tx.commit().await.internal().map(|()| {
                self.inner
                    .generation
                    .fetch_add(1, std::sync::atomic::Ordering::Release);
                v
            }),
            Err(e) => {
                drop(tx);
                Err(e)
            }
        };
        if out.is_err() {
            if let Some(pkg) = written {
                self.discard_blobs(vec![pkg.info.sha256_hex.clone()]).await;
            }
        }
        out
    }

    /// CreateFunction.
    pub async fn create_function(
        &self,
        req: CreateFunctionRequest,
    ) -> Result<FunctionConfiguration> {
        let raw_name = required(req.function_name.as_ref(), "functionName")?;
        let name = FunctionRef::parse_unqualified(raw_name, self.scope())?;
        required(req.settings.role.as_ref(), "role")?;
        match req.package_type.as_deref() {
            None | Some("Zip") => {}
            Some("Image") => return Err(LambdaError::invalid(
                "Container image packages are not supported by this server; use PackageType Zip.",
            )),
            Some(other) => {
                let mut v = Violations::default();
                v.push(
                    &other,
                    "packageType",
                    "Member must satisfy enum value set: [Image, Zip]",
                );
                v.finish()?;
            }
        }
        req.settings.validate(&self.inner.config.runtimes)?;
        req.settings
            .validate_dead_letter_target(&name, self.scope())?;
        if req.settings.runtime.is_none() || req.settings.handler.is_none() {
            return Err(LambdaError::invalid(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
            ));
        }
        let tags = req.tags.clone().unwrap_or_default();
        validate_tags(&tags)?;
        if tags.len() > MAX_TAGS {
            return Err(LambdaError::invalid(format!(
                "A function may have at most {MAX_TAGS} tags"
            )));
        }
        let layer_refs = req.settings.layer_refs(self.scope())?;
        let pkg = self.accept_package(req.code.as_ref()).await?;
        self.check_code_storage(pkg.info.size).await?;

        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            if tx.function(&name).await.internal()?.is_some() {
                return Err(LambdaError::conflict(format!(
                    "Function already exist: {name}"
                )));
            }
            let layers = self.resolve_layers(&mut *tx, layer_refs).await?;
            let mut settings = default_settings(&name);
            req.settings.apply(&mut settings, layers);
            let code = pkg.code_ref();
            self.check_unzipped_total(&code, &settings.layers)?;
            self.write_blob(&pkg).await?;
            let now = now_timestamp();
            let mut row = FunctionRow {
                name: name.clone(),
                next_version: 1,
                reserved_concurrency: None,
                tags,
                created_at: now.clone(),
            };
            let mut latest = FunctionVersion {
                function_name: name.clone(),
                version: Version::Latest,
                settings,
                code,
                last_modified: now,
                revision_id: new_revision(),
            };
            tx.insert_function(&row).await.internal()?;
            tx.put_version(&latest).await.internal()?;
            let shown = if req.publish {
                self.publish_in_tx(&mut *tx, &mut row, &mut latest, None)
                    .await?
            } else {
                latest
            };
            Ok(shown.configuration(self.scope()))
        }
        .await;
        let out = self.finish(tx, out, Some(&pkg)).await;
        if out.is_ok() {
            tracing::info!(function = %name, "function created");
        }
        out
    }

    /// GetFunctionConfiguration.
    pub async fn get_configuration(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<FunctionConfiguration> {
        let r = FunctionRef::parse(name, qualifier, self.scope())?;
        let (record, alias) = self.resolve(&r).await?;
        let mut cfg = record.configuration(self.scope());
        if let Some(alias) = alias {
            cfg.function_arn = self.scope().qualified_arn(&r.name, &alias);
        }
        Ok(cfg)
    }

    /// GetFunction. `Code.Location` is a server-relative path the API makes absolute.
    pub async fn get_function(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<GetFunctionResponse> {
        let r = FunctionRef::parse(name, qualifier, self.scope())?;
        let (record, alias) = self.resolve(&r).await?;
        let row = self.function_row(&r.name).await?;
        let mut configuration = record.configuration(self.scope());
        if let Some(alias) = alias {
            configuration.function_arn = self.scope().qualified_arn(&r.name, &alias);
        }
        Ok(GetFunctionResponse {
            configuration,
            code: self.code_location(&record.code),
            tags: (!row.tags.is_empty()).then_some(row.tags),
            concurrency: row.reserved_concurrency.map(|n| Concurrency {
                reserved_concurrent_executions: Some(n),
            }),
        })
    }

    pub(crate) fn code_location(&self, code: &CodeRef) -> CodeLocation {
        CodeLocation {
            repository_type: "S3".into(),
            location: self
                .inner
                .code_urls
                .path(&code.sha256_hex, chrono::Utc::now().timestamp()),
        }
    }

    /// UpdateFunctionCode.
    pub async fn update_code(
        &self,
        name: &str,
        req: UpdateCodeRequest,
    ) -> Result<FunctionConfiguration> {
        let name = FunctionRef::parse_unqualified(name, self.scope())?;
        if let Some(arch) = &req.architectures {
            stratus_model::settings::SettingsInput {
                architectures: Some(arch.clone()),
                ..Default::default()
            }
            .validate(&self.inner.config.runtimes)?;
        }
        let pkg = self.accept_package(Some(&req.code)).await?;
        if req.dry_run {
            let latest = self
                .store()
                .version(&name, Version::Latest)
                .await
                .internal()?
                .ok_or_else(|| self.function_not_found(&name, None))?;
            let mut cfg = latest.configuration(self.scope());
            cfg.code_sha256 = pkg.info.sha256_b64.clone();
            cfg.code_size = pkg.info.size;
            return Ok(cfg);
        }
        self.check_code_storage(pkg.info.size).await?;
        let mut tx = self.store().begin().await.internal()?;
        let mut old_blob = None;
        let out = async {
            let mut row = self.function_row_tx(&mut *tx, &name).await?;
            let mut latest = self.latest_tx(&mut *tx, &name).await?;
            check_revision(
                req.revision_id.as_deref(),
                &latest.revision_id,
                "GetFunction/GetAlias",
            )?;
            let code = pkg.code_ref();
            self.check_unzipped_total(&code, &latest.settings.layers)?;
            self.write_blob(&pkg).await?;
            old_blob = Some(std::mem::replace(&mut latest.code, code).sha256_hex);
            if let Some(arch) = &req.architectures {
                latest.settings.architectures = arch.clone();
            }
            latest.last_modified = now_timestamp();
            latest.revision_id = new_revision();
            tx.put_version(&latest).await.internal()?;
            let shown = if req.publish {
                self.publish_in_tx(&mut *tx, &mut row, &mut latest, None)
                    .await?
            } else {
                latest
            };
            Ok(shown.configuration(self.scope()))
        }
        .await;
        let out = self.finish(tx, out, Some(&pkg)).await;
        if out.is_ok() {
            tracing::info!(function = %name, "function code updated");
            self.changed(&name);
            self.discard_blobs(old_blob.into_iter().collect()).await;
        }
        out
    }

    /// UpdateFunctionConfiguration: given fields replace, `Environment` replaces the whole map.
    pub async fn update_configuration(
        &self,
        name: &str,
        req: UpdateConfigurationRequest,
    ) -> Result<FunctionConfiguration> {
        let name = FunctionRef::parse_unqualified(name, self.scope())?;
        req.settings.validate(&self.inner.config.runtimes)?;
        req.settings
            .validate_dead_letter_target(&name, self.scope())?;
        let layer_refs = req.settings.layer_refs(self.scope())?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let mut latest = self.latest_tx(&mut *tx, &name).await?;
            check_revision(
                req.revision_id.as_deref(),
                &latest.revision_id,
                "GetFunction/GetAlias",
            )?;
            let layers = self.resolve_layers(&mut *tx, layer_refs).await?;
            req.settings.apply(&mut latest.settings, layers);
            self.check_unzipped_total(&latest.code, &latest.settings.layers)?;
            latest.last_modified = now_timestamp();
            latest.revision_id = new_revision();
            tx.put_version(&latest).await.internal()?;
            Ok(latest.configuration(self.scope()))
        }
        .await;
        let out = self.finish(tx, out, None).await;
        if out.is_ok() {
            tracing::info!(function = %name, "function configuration updated");
            self.changed(&name);
        }
        out
    }

    /// DeleteFunction: the whole function, or one published version.
    pub async fn delete_function(&self, name: &str, qualifier: Option<&str>) -> Result<()> {
        let r = FunctionRef::parse(name, qualifier, self.scope())?;
        let mut tx = self.store().begin().await.internal()?;
        let mut freed: Vec<String> = Vec::new();
        let out = async {
            self.function_row_tx(&mut *tx, &r.name).await?;
            match &r.qualifier {
                None => {
                    freed = tx.version_blobs(&r.name).await.internal()?;
                    tx.delete_function(&r.name).await.internal()
                }
                Some(Qualifier::Latest) => Err(LambdaError::invalid(
                    "$LATEST version cannot be deleted without deleting the function.",
                )),
                Some(Qualifier::Alias(_)) => Err(LambdaError::invalid("Deletion of aliases is not currently supported.")),
                Some(Qualifier::Version(n)) => {
                    let version = Version::Published(*n);
                    let record = tx
                        .version(&r.name, version)
                        .await
                        .internal()?
                        .ok_or_else(|| self.function_not_found(&r.name, r.qualifier.as_ref()))?;
                    let label = n.to_string();
                    let users: Vec<String> = tx
                        .aliases(&r.name)
                        .await
                        .internal()?
                        .into_iter()
                        .filter(|a| {
                            a.function_version == label
                                || a.routing_config
                                    .as_ref()
                                    .is_some_and(|rc| rc.additional_version_weights.contains_key(&label))
                        })
                        .map(|a| a.name)
                        .collect();
                    if !users.is_empty() {
                        return Err(LambdaError::conflict(format!(
                            "Unable to delete version because the following aliases reference it: [{}]",
                            users.join(", ")
                        )));
                    }
                    freed.push(record.code.sha256_hex);
                    tx.delete_version(&r.name, version).await.internal()
                }
            }
        }
        .await;
        self.finish(tx, out, None).await?;
        tracing::info!(function = %r.name, qualifier = ?r.qualifier, "function deleted");
        self.changed(&r.name);
        self.provisioning_changed(&r.name);
        freed.sort();
        freed.dedup();
        self.discard_blobs(freed).await;
        Ok(())
    }

    /// ListFunctions: `$LATEST` of each function, or every version with `all`.
    pub async fn list_functions(
        &self,
        marker: Option<String>,
        max_items: Option<i64>,
        all: bool,
    ) -> Result<FunctionPage> {
        let paging = Paging::new(marker, max_items, 10_000, 50)?;
        let cursor = paging.marker.as_deref().map(parse_marker).transpose()?;
        let mut rows = self
            .store()
            .list_versions(None, cursor.as_ref(), all, paging.max_items + 1)
            .await
            .internal()?;
        let next_marker = page_marker(&mut rows, paging.max_items);
        let functions = rows
            .iter()
            .map(|v| {
                let cfg = v.configuration(self.scope()).for_listing();
                if all {
                    cfg.qualify_latest()
                } else {
                    cfg
                }
            })
            .collect();
        Ok(FunctionPage {
            functions: Some(functions),
            versions: None,
            next_marker,
        })
    }
}

/// `412` when a `RevisionId` precondition was given and is stale.
pub(crate) fn check_revision(given: Option<&str>, current: &str, api: &str) -> Result<()> {
    match given {
        Some(g) if !g.is_empty() && g != current => Err(LambdaError::revision_mismatch(api)),
        _ => Ok(()),
    }
}

/// Cuts a page fetched with one extra row and returns the marker of the next page.
pub(crate) fn page_marker(rows: &mut Vec<FunctionVersion>, max: usize) -> Option<String> {
    if rows.len() <= max {
        return None;
    }
    rows.truncate(max);
    rows.last()
        .map(|v| format!("{}:{}", v.function_name, v.version))
}

/// Parses a marker made by [`page_marker`].
pub(crate) fn parse_marker(marker: &str) -> Result<(String, Version)> {
    marker
        .split_once(':')
        .and_then(|(name, v)| {
            Version::try_from(v.to_owned())
                .ok()
                .map(|v| (name.to_owned(), v))
        })
        .ok_or_else(|| LambdaError::invalid(format!("Invalid marker: {marker}")))
}
