//! Finding what a request names: a function, one of its versions, or an alias's target.

use stratus_model::{FunctionRef, FunctionVersion, LambdaError, Qualifier, Version};
use stratus_store::{FunctionRow, WriteTx};

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
    pub(crate) async fn function_row_tx(
        &self,
        tx: &mut dyn WriteTx,
        name: &str,
    ) -> Result<FunctionRow> {
        tx.function(name)
            .await
            .internal()?
            .ok_or_else(|| self.function_not_found(name, None))
    }

    /// `$LATEST` inside a write transaction, or 404.
    pub(crate) async fn latest_tx(
        &self,
        tx: &mut dyn WriteTx,
        name: &str,
    ) -> Result<FunctionVersion> {
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
    /// The version that runs (shared with the cache: no copy per invoke).
    pub version: std::sync::Arc<FunctionVersion>,
    /// The ARN as invoked (qualified by the alias or version named).
    pub invoked_arn: String,
    /// The function's reserved concurrency.
    pub reserved_concurrency: Option<i64>,
    /// The concurrency that functions without a reservation share: the account limit less
    /// every function's reservation (as of the store generation the target was read at).
    pub unreserved_pool: i64,
}

/// Invoke targets by (function name as given, qualifier as given), valid for one store
/// generation. Keeps the store off the warm invoke path.
#[derive(Debug, Default)]
pub(crate) struct InvokeCache {
    entries: std::sync::Mutex<std::collections::HashMap<(String, Option<String>), Cached>>,
}

#[derive(Debug, Clone)]
struct Cached {
    generation: u64,
    primary: std::sync::Arc<FunctionVersion>,
    /// The alias's additional version and its weight.
    extra: Option<(std::sync::Arc<FunctionVersion>, f64)>,
    invoked_arn: String,
    reserved_concurrency: Option<i64>,
    unreserved_pool: i64,
}

impl Cached {
    fn pick(&self) -> InvokeTarget {
        let version = match &self.extra {
            Some((extra, weight)) if rand::random::<f64>() < *weight => {
                std::sync::Arc::clone(extra)
            }
            _ => std::sync::Arc::clone(&self.primary),
        };
        InvokeTarget {
            version,
            invoked_arn: self.invoked_arn.clone(),
            reserved_concurrency: self.reserved_concurrency,
            unreserved_pool: self.unreserved_pool,
        }
    }
}

impl Control {
    /// Resolves an Invoke's function and qualifier to the version that runs. An alias with
    /// weighted routing sends each invocation to its additional version with that weight.
    /// Answers from memory while nothing has been written since the last lookup.
    pub async fn resolve_invoke(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<InvokeTarget> {
        let generation = self
            .inner
            .generation
            .load(std::sync::atomic::Ordering::Acquire);
        let key = (name.to_owned(), qualifier.map(str::to_owned));
        if let Ok(entries) = self.inner.invoke_cache.entries.lock() {
            if let Some(c) = entries.get(&key).filter(|c| c.generation == generation) {
                return Ok(c.pick());
            }
        }
        let cached = self.lookup_invoke(name, qualifier, generation).await?;
        let target = cached.pick();
        if let Ok(mut entries) = self.inner.invoke_cache.entries.lock() {
            if entries.len() > 10_000 {
                entries.clear();
            }
            entries.insert(key, cached);
        }
        Ok(target)
    }

    async fn lookup_invoke(
        &self,
        name: &str,
        qualifier: Option<&str>,
        generation: u64,
    ) -> Result<Cached> {
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
        let (primary, extra, invoked_arn) = match &r.qualifier {
            None => (Version::Latest, None, self.scope().function_arn(&r.name)),
            Some(Qualifier::Latest) => (
                Version::Latest,
                None,
                self.scope().qualified_arn(&r.name, "$LATEST"),
            ),
            Some(Qualifier::Version(n)) => (
                Version::Published(*n),
                None,
                self.scope().qualified_arn(&r.name, &n.to_string()),
            ),
            Some(Qualifier::Alias(a)) => {
                let alias = store
                    .alias(&r.name, a)
                    .await
                    .internal()?
                    .ok_or_else(not_found)?;
                let primary = Version::try_from(alias.function_version.clone())
                    .map_err(|_| LambdaError::internal())?;
                let extra = match alias
                    .routing_config
                    .as_ref()
                    .and_then(|rc| rc.additional_version_weights.iter().next())
                {
                    Some((v, w)) => Some((
                        Version::try_from(v.clone()).map_err(|_| LambdaError::internal())?,
                        *w,
                    )),
                    None => None,
                };
                (primary, extra, self.scope().qualified_arn(&r.name, a))
            }
        };
        let primary = store
            .version(&r.name, primary)
            .await
            .internal()?
            .ok_or_else(not_found)?;
        let extra = match extra {
            Some((v, w)) => Some((
                store
                    .version(&r.name, v)
                    .await
                    .internal()?
                    .ok_or_else(not_found)?,
                w,
            )),
            None => None,
        };
        let reserved_total = store.reserved_concurrency_total(None).await.internal()?;
        Ok(Cached {
            generation,
            primary: std::sync::Arc::new(primary),
            extra: extra.map(|(v, w)| (std::sync::Arc::new(v), w)),
            invoked_arn,
            reserved_concurrency: row.reserved_concurrency,
            unreserved_pool: self.limits().concurrent_executions - reserved_total,
        })
    }
}
