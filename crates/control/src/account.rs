//! GetAccountSettings: the limits this server enforces and what is used of them.

use stratus_model::account::{AccountLimit, AccountSettings, AccountUsage};

use crate::internal::OrInternal;
use crate::{Control, Result};

impl Control {
    /// GetAccountSettings.
    pub async fn account_settings(&self) -> Result<AccountSettings> {
        let (total_code_size, function_count) = self.store().usage().await.internal()?;
        let reserved = self
            .store()
            .reserved_concurrency_total(None)
            .await
            .internal()?;
        let l = self.limits();
        Ok(AccountSettings {
            account_limit: AccountLimit {
                total_code_size: l.total_code_size,
                code_size_unzipped: l.code_size_unzipped,
                code_size_zipped: l.code_size_zipped,
                concurrent_executions: l.concurrent_executions,
                unreserved_concurrent_executions: l.concurrent_executions - reserved,
            },
            account_usage: AccountUsage {
                total_code_size,
                function_count,
            },
        })
    }
}
