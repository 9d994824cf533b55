//! Put, Get and DeleteFunctionConcurrency: reserved concurrency per function.

use stratus_model::requests::Concurrency;
use stratus_model::{FunctionRef, LambdaError, Violations};

use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// PutFunctionConcurrency; at least the account's minimum stays unreserved.
    pub async fn put_concurrency(&self, function: &str, req: Concurrency) -> Result<Concurrency> {
        let name = FunctionRef::parse_unqualified(function, self.scope())?;
        let Some(n) = req.reserved_concurrent_executions else {
            let mut v = Violations::default();
            v.push(
                &"null",
                "reservedConcurrentExecutions",
                "Member must not be null",
            );
            return Err(v.finish().err().unwrap_or_else(LambdaError::internal));
        };
        let mut v = Violations::default();
        v.at_least(n, "reservedConcurrentExecutions", 0);
        v.finish()?;
        let limits = self.limits().clone();
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let mut row = self.function_row_tx(&mut *tx, &name).await?;
            // Under the write transaction no other writer can change the sum meanwhile.
            let others = tx.reserved_concurrency_total(Some(&name)).await.internal()?;
            let configs = tx.provisioned_configs(None).await.internal()?;
            let mine: i64 = configs
                .iter()
                .filter(|(f, _, _)| *f == name)
                .map(|(_, _, c)| c.requested)
                .sum();
            if n < mine {
                return Err(LambdaError::invalid(format!(
                    "ReservedConcurrentExecutions {n} should not be lower than function's total provisioned concurrency [{mine}]."
                )));
            }
            // Provisioned concurrency of functions without a reservation uses the unreserved pool.
            let pooled = self
                .unreserved_provisioned(&mut *tx, &configs, Some(&name))
                .await?;
            if others + pooled + n > limits.concurrent_executions - limits.min_unreserved {
                return Err(LambdaError::invalid(format!(
                    "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{}].",
                    limits.min_unreserved
                )));
            }
            row.reserved_concurrency = Some(n);
            tx.update_function(&row).await.internal()
        }
        .await;
        self.finish(tx, out, None).await?;
        Ok(Concurrency {
            reserved_concurrent_executions: Some(n),
        })
    }

    /// GetFunctionConcurrency (`{}` when none is reserved).
    pub async fn get_concurrency(&self, function: &str) -> Result<Concurrency> {
        let name = FunctionRef::parse_unqualified(function, self.scope())?;
        Ok(Concurrency {
            reserved_concurrent_executions: self.function_row(&name).await?.reserved_concurrency,
        })
    }

    /// DeleteFunctionConcurrency.
    pub async fn delete_concurrency(&self, function: &str) -> Result<()> {
        let name = FunctionRef::parse_unqualified(function, self.scope())?;
        let mut tx = self.store().begin().await.internal()?;
        let out = async {
            let mut row = self.function_row_tx(&mut *tx, &name).await?;
            row.reserved_concurrency = None;
            tx.update_function(&row).await.internal()
        }
        .await;
        self.finish(tx, out, None).await
    }
}
