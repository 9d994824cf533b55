//! CreateAlias, GetAlias, UpdateAlias, DeleteAlias and ListAliases.

use stratus_model::alias::{
    validate_alias_name, validate_alias_version, validate_routing, AliasConfiguration, AliasPage,
    AliasRecord, CreateAliasRequest, UpdateAliasRequest,
};
use stratus_model::requests::Paging;
use stratus_model::{FunctionRef, LambdaError, Version, Violations};
use stratus_store::WriteTx;

use crate::functions::{check_revision, new_revision};
use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    fn alias_arn(&self, function: &str, alias: &str) -> String {
        self.scope().qualified_arn(function, alias)
    }

    fn alias_not_found(&self, function: &str, alias: &str) -> LambdaError {
        LambdaError::not_found(format!(
            "Cannot find alias arn: {}",
            self.alias_arn(function, alias)
        ))
    }

    /// Checks that the alias's versions exist (the routing version must be published).
    async fn check_alias_targets(
        &self,
        tx: &mut dyn WriteTx,
        function: &str,
        alias: &AliasRecord,
    ) -> Result<()> {
        validate_alias_version(&alias.function_version)?;
        let mut versions = vec![alias.function_version.clone()];
        if let Some(rc) = &alias.routing_config {
            validate_routing(&alias.function_version, rc)?;
            versions.extend(rc.additional_version_weights.keys().cloned());
        }
        for label in versions {
            let version = Version::try_from(label.clone())
                .map_err(|_| LambdaError::invalid(format!("Invalid function version {label}")))?;
            if tx.version(function, version).await.internal()?.is_none() {
                return Err(LambdaError::not_found(format!(
                    "Function not found: {}",
                    self.scope().qualified_arn(function, &label)
                )));
            }
        }
        Ok(())
    }

    /// CreateAlias.
    pub async fn create_alias(
        &self,
        function: &str,
        req: CreateAliasRequest,
    ) -> Result<AliasConfiguration> {
        let function = FunctionRef::parse_unqualified(function, self.scope())?;
        let mut v = Violations::default();
        if req.name.is_none() {
            v.push(&"null", "name", "Member must not be null");
        }
        if req.function_version.is_none() {
            v.push(&"null", "functionVersion", "Member must not be null");
        }
        if let Some(d) = &req.description {
            v.max_len(d, "description", 256);
        }
        v.finish()?;
        let alias = AliasRecord {
            name: req.name.unwrap_or_default(),
            function_version: req.function_version.unwrap_or_default(),
            description: req.description.unwrap_or_default(),
            routing_config: req
                .routing_config
                .filter(|r| !r.additional_version_weights.is_empty()),
            revision_id: new_revision(),
        };
        validate_alias_name(&alias.name)?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            self.function_row_tx(&mut *tx, &function).await?;
            if tx.alias(&function, &alias.name).await.internal()?.is_some() {
                return Err(LambdaError::conflict(format!(
                    "Alias already exists: {}",
                    self.alias_arn(&function, &alias.name)
                )));
            }
            self.check_alias_targets(&mut *tx, &function, &alias)
                .await?;
            tx.put_alias(&function, &alias).await.internal()?;
            Ok(alias.configuration(self.alias_arn(&function, &alias.name)))
        }
        .await;
        self.finish(tx, out, None).await
    }

    /// GetAlias.
    pub async fn get_alias(&self, function: &str, name: &str) -> Result<AliasConfiguration> {
        let function = FunctionRef::parse_unqualified(function, self.scope())?;
        self.function_row(&function).await?;
        let alias = self
            .store()
            .alias(&function, name)
            .await
            .internal()?
            .ok_or_else(|| self.alias_not_found(&function, name))?;
        Ok(alias.configuration(self.alias_arn(&function, name)))
    }

    /// UpdateAlias: given fields replace; a `RevisionId` precondition is honoured.
    pub async fn update_alias(
        &self,
        function: &str,
        name: &str,
        req: UpdateAliasRequest,
    ) -> Result<AliasConfiguration> {
        let function = FunctionRef::parse_unqualified(function, self.scope())?;
        if let Some(d) = &req.description {
            let mut v = Violations::default();
            v.max_len(d, "description", 256);
            v.finish()?;
        }
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            self.function_row_tx(&mut *tx, &function).await?;
            let mut alias = tx
                .alias(&function, name)
                .await
                .internal()?
                .ok_or_else(|| self.alias_not_found(&function, name))?;
            check_revision(
                req.revision_id.as_deref(),
                &alias.revision_id,
                "GetFunction/GetAlias",
            )?;
            if let Some(v) = req.function_version {
                alias.function_version = v;
            }
            if let Some(d) = req.description {
                alias.description = d;
            }
            if let Some(rc) = req.routing_config {
                alias.routing_config = (!rc.additional_version_weights.is_empty()).then_some(rc);
            }
            alias.revision_id = new_revision();
            self.check_alias_targets(&mut *tx, &function, &alias)
                .await?;
            tx.put_alias(&function, &alias).await.internal()?;
            Ok(alias.configuration(self.alias_arn(&function, name)))
        }
        .await;
        let updated = self.finish(tx, out, None).await?;
        // An alias with provisioned concurrency may now route to other versions.
        self.provisioning_changed(&function);
        Ok(updated)
    }

    /// DeleteAlias (idempotent once the function exists).
    pub async fn delete_alias(&self, function: &str, name: &str) -> Result<()> {
        let function = FunctionRef::parse_unqualified(function, self.scope())?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            self.function_row_tx(&mut *tx, &function).await?;
            tx.delete_alias(&function, name).await.internal()
        }
        .await;
        self.finish(tx, out, None).await?;
        self.provisioning_changed(&function);
        Ok(())
    }

    /// ListAliases, optionally only those routing to `version`.
    pub async fn list_aliases(
        &self,
        function: &str,
        version: Option<&str>,
        marker: Option<String>,
        max_items: Option<i64>,
    ) -> Result<AliasPage> {
        let function = FunctionRef::parse_unqualified(function, self.scope())?;
        self.function_row(&function).await?;
        let paging = Paging::new(marker, max_items, 10_000, 50)?;
        let all = self.store().aliases(&function).await.internal()?;
        let mut matching: Vec<AliasRecord> = all
            .into_iter()
            .filter(|a| {
                version.is_none_or(|v| {
                    a.function_version == v
                        || a.routing_config
                            .as_ref()
                            .is_some_and(|rc| rc.additional_version_weights.contains_key(v))
                })
            })
            .filter(|a| paging.marker.as_ref().is_none_or(|m| a.name > *m))
            .collect();
        let next_marker = (matching.len() > paging.max_items).then(|| {
            matching.truncate(paging.max_items);
            matching.last().map(|a| a.name.clone()).unwrap_or_default()
        });
        Ok(AliasPage {
            aliases: matching
                .iter()
                .map(|a| a.configuration(self.alias_arn(&function, &a.name)))
                .collect(),
            next_marker,
        })
    }
}
