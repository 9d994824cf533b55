//! Account-wide limits and usage (`GetAccountSettings`).

use serde::Serialize;

/// `AccountLimit`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountLimit {
    pub total_code_size: u64,
    pub code_size_unzipped: u64,
    pub code_size_zipped: u64,
    pub concurrent_executions: i64,
    pub unreserved_concurrent_executions: i64,
}

/// `AccountUsage`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountUsage {
    pub total_code_size: u64,
    pub function_count: u64,
}

/// `GetAccountSettings` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountSettings {
    pub account_limit: AccountLimit,
    pub account_usage: AccountUsage,
}

/// The limits this server enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Total stored code (all versions and layers).
    pub total_code_size: u64,
    /// Unzipped function plus layers.
    pub code_size_unzipped: u64,
    /// Zipped direct upload.
    pub code_size_zipped: u64,
    /// Account concurrency.
    pub concurrent_executions: i64,
    /// Unreserved concurrency that must always remain.
    pub min_unreserved: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            total_code_size: 80_530_636_800,
            code_size_unzipped: 262_144_000,
            code_size_zipped: 52_428_800,
            concurrent_executions: 1000,
            min_unreserved: 100,
        }
    }
}
