//! Finding what a request names: a function, one of its versions, or an alias's target.

use stratus_model::{FunctionRef, FunctionVersion, LambdaError, Qualifier, Version};
use stratus_store::{FunctionRow, Tx};

use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// `Function not found: ARN` for the function, qualified when a qualifier was named.
    pub(crate) fn function_not_found(
        &self,
        name: &str,
        qualifier: Option<&Qualifier>,
    ) -> LambdaError {
        let arn = match qualifier {
            Some(q) => self.scope().qualified_arn(name, &q.to_string()),
            None => self.scope().function_arn(name),
        };
        LambdaError::not_found(format!("Function not found: {arn}"))
    }

    /// The function row, or 404.
    pub(crate) async fn function_row(&self, name: &str) -> Result<FunctionRow> {
        self.store()
            .function(name)
            .await
            .internal()?
            .ok_or_else(|| self.function_not_found(name, None))
    }

    /// The function row inside a write transaction, or 404.
    pub(crate) async fn function_row_tx(&self, tx: &mut Tx, name: &str) -> Result<FunctionRow> {
        tx.function(name)
            .await
            .internal()?
            .ok_or_else(|| self.function_not_found(name, None))
    }

    /// `$LATEST` inside a write transaction, or 404.
    pub(crate) async fn latest_tx(&self, tx: &mut Tx, name: &str) -> Result<FunctionVersion> {
        tx.version(name, Version::Latest)
            .await
            .internal()?
            .ok_or_else(|| self.function_not_found(name, None))
    }

    /// The version record a reference denotes; an alias resolves to its primary version.
    /// Also returns the alias name when one was used.
    pub(crate) async fn resolve(
        &self,
        r: &FunctionRef,
    ) -> Result<(FunctionVersion, Option<String>)> {
        let store = self.store();
        let (version, alias) = match &r.qualifier {
            None | Some(Qualifier::Latest) => (Version::Latest, None),
            Some(Qualifier::Version(n)) => (Version::Published(*n), None),
            Some(Qualifier::Alias(a)) => {
                let alias = store
                    .alias(&r.name, a)
                    .await
                    .internal()?
                    .ok_or_else(|| self.function_not_found(&r.name, r.qualifier.as_ref()))?;
                let v = Version::try_from(alias.function_version.clone())
                    .map_err(|_| LambdaError::internal())?;
                (v, Some(alias.name))
            }
        };
        let record = store
            .version(&r.name, version)
            .await
            .internal()?
            .ok_or_else(|| self.function_not_found(&r.name, r.qualifier.as_ref()))?;
        Ok((record, alias))
    }
}

/// What an Invoke resolves to.
#[derive(Debug, Clone)]
pub struct InvokeTarget {
    /// The version that runs.
    pub version: FunctionVersion,
    /// The ARN as invoked (qualified by the alias or version named).
    pub invoked_arn: String,
    /// The function's reserved concurrency.
    pub reserved_concurrency: Option<i64>,
}

impl Control {
    /// Resolves an Invoke's function and qualifier to the version that runs. An alias with
    /// weighted routing sends each invocation to its additional version with that weight.
    pub async fn resolve_invoke(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<InvokeTarget> {
        let r = FunctionRef::parse(name, qualifier, self.scope())?;
        let store = self.store();
        let not_found = || {
            let q = r.qualifier.clone().unwrap_or(Qualifier::Latest);
            self.function_not_found(&r.name, Some(&q))
        };
        let row = store
            .function(&r.name)
            .await
            .internal()?
            .ok_or_else(not_found)?;
        let (version, invoked_arn) = match &r.qualifier {
            None => (Version::Latest, self.scope().function_arn(&r.name)),
            Some(Qualifier::Latest) => (
                Version::Latest,
                self.scope().qualified_arn(&r.name, "$LATEST"),
            ),
            Some(Qualifier::Version(n)) => (
                Version::Published(*n),
                self.scope().qualified_arn(&r.name, &n.to_string()),
            ),
            Some(Qualifier::Alias(a)) => {
                let alias = store
                    .alias(&r.name, a)
                    .await
                    .internal()?
                    .ok_or_else(not_found)?;
                let mut label = alias.function_version.clone();
                if let Some((extra, weight)) = alias
                    .routing_config
                    .as_ref()
                    .and_then(|rc| rc.additional_version_weights.iter().next())
                {
                    if rand::random::<f64>() < *weight {
                        label = extra.clone();
                    }
                }
                let v = Version::try_from(label).map_err(|_| LambdaError::internal())?;
                (v, self.scope().qualified_arn(&r.name, a))
            }
        };
        let version = store
            .version(&r.name, version)
            .await
            .internal()?
            .ok_or_else(not_found)?;
        Ok(InvokeTarget {
            version,
            invoked_arn,
            reserved_concurrency: row.reserved_concurrency,
        })
    }
}
