//! Put, Get, Delete and ListProvisionedConcurrencyConfig(s): environments kept initialised
//! for a published version or an alias.
//!
//! The request is stored per qualifier; the environments and their status are the engine's.
//! Control tells the engine through [`Provisioning`] after every committed change that can
//! alter what should be kept warm (a config put or deleted; a version, alias or function
//! deleted; an alias moved), and asks it for the live state when a config is read.

use stratus_model::alias::AliasRecord;
use stratus_model::provisioned::{
    ProvisionedConfig, ProvisionedConfigPage, ProvisionedRecord, ProvisionedState,
    PutProvisionedRequest,
};
use stratus_model::requests::Paging;
use stratus_model::{ErrorKind, FunctionRef, LambdaError, Qualifier, Version, Violations};
use stratus_store::WriteTx;

use crate::functions::now_timestamp;
use crate::internal::OrInternal;
use crate::{Control, Result};

/// The engine side of provisioned concurrency, as control sees it.
pub trait Provisioning: Send + Sync {
    /// A committed change may have altered what `function` should keep warm.
    fn changed(&self, function: &str);
    /// The live state of one config, if the engine has taken it up.
    fn state(&self, function: &str, qualifier: &str) -> Option<ProvisionedState>;
}

/// `Value null at 'qualifier'…`: the qualifier is required.
fn qualifier_required(r: &FunctionRef) -> Result<String> {
    match &r.qualifier {
        Some(q) => Ok(q.to_string()),
        None => {
            let mut v = Violations::default();
            v.push(&"null", "qualifier", "Member must not be null");
            Err(v.finish().err().unwrap_or_else(LambdaError::internal))
        }
    }
}

fn points_to(alias: &AliasRecord, version: &str) -> bool {
    alias.function_version == version
        || alias
            .routing_config
            .as_ref()
            .is_some_and(|rc| rc.additional_version_weights.contains_key(version))
}

impl Control {
    /// Registers the engine's side (set once, at wiring time).
    pub fn on_provisioning(&self, p: std::sync::Arc<dyn Provisioning>) {
        if self.inner.provisioning.set(p).is_err() {
            tracing::warn!("provisioning hook set twice; keeping the first");
        }
    }

    pub(crate) fn provisioning_changed(&self, function: &str) {
        if let Some(p) = self.inner.provisioning.get() {
            p.changed(function);
        }
    }

    fn provisioned_wire(
        &self,
        name: &str,
        label: &str,
        record: &ProvisionedRecord,
    ) -> ProvisionedConfig {
        let state = self
            .inner
            .provisioning
            .get()
            .and_then(|p| p.state(name, label));
        ProvisionedConfig::new(record, state)
    }

    /// PutProvisionedConcurrencyConfig (202: the environments are made afterwards).
    pub async fn put_provisioned(
        &self,
        function: &str,
        qualifier: Option<&str>,
        req: PutProvisionedRequest,
    ) -> Result<ProvisionedConfig> {
        let r = FunctionRef::parse(function, qualifier, self.scope())?;
        let mut v = Violations::default();
        match req.provisioned_concurrent_executions {
            None => v.push(
                &"null",
                "provisionedConcurrentExecutions",
                "Member must not be null",
            ),
            Some(n) => v.at_least(n, "provisionedConcurrentExecutions", 1),
        }
        let label = qualifier_required(&r)?;
        v.finish()?;
        let n = req.provisioned_concurrent_executions.unwrap_or(1);
        if r.qualifier == Some(Qualifier::Latest) {
            return Err(LambdaError::invalid(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
            ));
        }
        let record = ProvisionedRecord {
            requested: n,
            last_modified: now_timestamp(),
        };
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            self.check_provisioned_target(&mut *tx, &r, &label).await?;
            self.check_provisioned_limits(&mut *tx, &r.name, &label, n)
                .await?;
            tx.put_provisioned_config(&r.name, &label, &record)
                .await
                .internal()
        }
        .await;
        self.finish(tx, out, None).await?;
        tracing::info!(function = %r.name, qualifier = %label, requested = n, "provisioned concurrency requested");
        self.provisioning_changed(&r.name);
        Ok(ProvisionedConfig::new(&record, None))
    }

    /// The qualifier exists, and no alias and version it points to both carry a config.
    async fn check_provisioned_target(
        &self,
        tx: &mut dyn WriteTx,
        r: &FunctionRef,
        label: &str,
    ) -> Result<()> {
        self.function_row_tx(tx, &r.name).await?;
        let not_found = || self.function_not_found(&r.name, r.qualifier.as_ref());
        let configs = tx.provisioned_configs(Some(&r.name)).await.internal()?;
        let has_config = |q: &str| configs.iter().any(|(_, cq, _)| cq == q);
        match &r.qualifier {
            Some(Qualifier::Version(n)) => {
                tx.version(&r.name, Version::Published(*n))
                    .await
                    .internal()?
                    .ok_or_else(not_found)?;
                let aliases = tx.aliases(&r.name).await.internal()?;
                if aliases
                    .iter()
                    .any(|a| points_to(a, label) && has_config(&a.name))
                {
                    return Err(LambdaError::conflict(
                        "Version is pointed by a Provisioned Concurrency alias",
                    ));
                }
            }
            Some(Qualifier::Alias(a)) => {
                let alias = tx
                    .alias(&r.name, a)
                    .await
                    .internal()?
                    .ok_or_else(not_found)?;
                let mut versions = vec![alias.function_version.clone()];
                if let Some(rc) = &alias.routing_config {
                    versions.extend(rc.additional_version_weights.keys().cloned());
                }
                if versions.iter().any(|v| has_config(v)) {
                    return Err(LambdaError::conflict(
                        "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
                    ));
                }
            }
            None | Some(Qualifier::Latest) => return Err(not_found()),
        }
        Ok(())
    }

    /// Within the function's reserved concurrency, or leaving the account's unreserved
    /// minimum when it has none.
    async fn check_provisioned_limits(
        &self,
        tx: &mut dyn WriteTx,
        name: &str,
        label: &str,
        n: i64,
    ) -> Result<()> {
        let row = self.function_row_tx(tx, name).await?;
        let others: Vec<_> = tx
            .provisioned_configs(None)
            .await
            .internal()?
            .into_iter()
            .filter(|(f, q, _)| !(f == name && q == label))
            .collect();
        let mine: i64 = others
            .iter()
            .filter(|(f, _, _)| f == name)
            .map(|(_, _, c)| c.requested)
            .sum();
        if let Some(reserved) = row.reserved_concurrency {
            if mine + n > reserved {
                return Err(LambdaError::invalid(
                    "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
                ));
            }
            return Ok(());
        }
        let unreserved_provisioned = self.unreserved_provisioned(tx, &others, None).await?;
        let reserved = tx.reserved_concurrency_total(None).await.internal()?;
        let limits = self.limits();
        if reserved + unreserved_provisioned + n
            > limits.concurrent_executions - limits.min_unreserved
        {
            return Err(LambdaError::invalid(format!(
                "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{}].",
                limits.min_unreserved
            )));
        }
        Ok(())
    }

    /// Provisioned concurrency in `configs` of functions without reserved concurrency (but
    /// `except`), which the unreserved pool has to carry.
    pub(crate) async fn unreserved_provisioned(
        &self,
        tx: &mut dyn WriteTx,
        configs: &[(String, String, ProvisionedRecord)],
        except: Option<&str>,
    ) -> Result<i64> {
        let mut total = 0;
        let mut last: Option<(&str, bool)> = None;
        for (f, _, c) in configs
            .iter()
            .filter(|(f, _, _)| Some(f.as_str()) != except)
        {
            let unreserved = match last {
                Some((seen, unreserved)) if seen == f => unreserved,
                _ => tx
                    .function(f)
                    .await
                    .internal()?
                    .is_some_and(|r| r.reserved_concurrency.is_none()),
            };
            last = Some((f, unreserved));
            if unreserved {
                total += c.requested;
            }
        }
        Ok(total)
    }

    /// GetProvisionedConcurrencyConfig.
    pub async fn get_provisioned(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<ProvisionedConfig> {
        let r = FunctionRef::parse(function, qualifier, self.scope())?;
        let label = qualifier_required(&r)?;
        self.function_row(&r.name).await?;
        let record = self
            .store()
            .provisioned_config(&r.name, &label)
            .await
            .internal()?
            .ok_or_else(|| {
                LambdaError::new(
                    ErrorKind::ProvisionedConcurrencyConfigNotFound,
                    "No Provisioned Concurrency Config found for this function",
                )
            })?;
        Ok(self.provisioned_wire(&r.name, &label, &record))
    }

    /// DeleteProvisionedConcurrencyConfig (idempotent once the function exists).
    pub async fn delete_provisioned(&self, function: &str, qualifier: Option<&str>) -> Result<()> {
        let r = FunctionRef::parse(function, qualifier, self.scope())?;
        let label = qualifier_required(&r)?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            self.function_row_tx(&mut *tx, &r.name).await?;
            tx.delete_provisioned_config(&r.name, &label)
                .await
                .internal()
        }
        .await;
        if self.finish(tx, out, None).await? {
            tracing::info!(function = %r.name, qualifier = %label, "provisioned concurrency removed");
        }
        self.provisioning_changed(&r.name);
        Ok(())
    }

    /// ListProvisionedConcurrencyConfigs, by qualifier.
    pub async fn list_provisioned(
        &self,
        function: &str,
        marker: Option<String>,
        max_items: Option<i64>,
    ) -> Result<ProvisionedConfigPage> {
        let name = FunctionRef::parse_unqualified(function, self.scope())?;
        self.function_row(&name).await?;
        let paging = Paging::new(marker, max_items, 50, 50)?;
        let mut configs: Vec<_> = self
            .store()
            .provisioned_configs(Some(&name))
            .await
            .internal()?
            .into_iter()
            .filter(|(_, q, _)| paging.marker.as_ref().is_none_or(|m| q > m))
            .collect();
        let next_marker = (configs.len() > paging.max_items).then(|| {
            configs.truncate(paging.max_items);
            configs
                .last()
                .map(|(_, q, _)| q.clone())
                .unwrap_or_default()
        });
        Ok(ProvisionedConfigPage {
            provisioned_concurrency_configs: configs
                .iter()
                .map(|(f, q, c)| ProvisionedConfig {
                    function_arn: Some(self.scope().qualified_arn(f, q)),
                    ..self.provisioned_wire(f, q, c)
                })
                .collect(),
            next_marker,
        })
    }
}
