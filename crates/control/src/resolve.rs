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
