//! Provisioned concurrency: the stored request per qualifier, its live state as the engine
//! reports it, the wire shapes of Put/Get/ListProvisionedConcurrencyConfig(s), and what the
//! engine is asked to keep warm.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::FunctionVersion;

/// `PutProvisionedConcurrencyConfig` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutProvisionedRequest {
    /// Environments to keep initialised.
    pub provisioned_concurrent_executions: Option<i64>,
}

/// What is stored for one qualifier (a published version number or an alias name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedRecord {
    /// Requested environments (≥ 1).
    pub requested: i64,
    /// When the request last changed (`2019-12-31T20:28:49.000+0000`).
    pub last_modified: String,
}

/// `ProvisionedConcurrencyStatusEnum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProvisionedStatus {
    /// Environments are being initialised.
    InProgress,
    /// Every requested environment is initialised.
    Ready,
    /// Initialisation failed (see the reason).
    Failed,
}

/// The live state of one config, as the engine knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedState {
    /// Environments initialised for the config.
    pub allocated: i64,
    /// Of those, ready to take invocations.
    pub available: i64,
    /// Where allocation stands.
    pub status: ProvisionedStatus,
    /// Why it failed.
    pub reason: Option<String>,
}

/// `GetProvisionedConcurrencyConfigResponse`, `Put…Response` and, with `FunctionArn`,
/// `ProvisionedConcurrencyConfigListItem`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedConfig {
    /// The qualified ARN (list items only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_arn: Option<String>,
    /// Requested environments.
    pub requested_provisioned_concurrent_executions: i64,
    /// Environments ready.
    pub available_provisioned_concurrent_executions: i64,
    /// Environments initialised.
    pub allocated_provisioned_concurrent_executions: i64,
    /// Status.
    pub status: ProvisionedStatus,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Last change of the request.
    pub last_modified: String,
}

impl ProvisionedConfig {
    /// The wire shape of `record` in `state` (IN_PROGRESS with nothing allocated when the
    /// engine has not taken it up yet).
    pub fn new(record: &ProvisionedRecord, state: Option<ProvisionedState>) -> Self {
        let state = state.unwrap_or(ProvisionedState {
            allocated: 0,
            available: 0,
            status: ProvisionedStatus::InProgress,
            reason: None,
        });
        Self {
            function_arn: None,
            requested_provisioned_concurrent_executions: record.requested,
            available_provisioned_concurrent_executions: state.available,
            allocated_provisioned_concurrent_executions: state.allocated,
            status: state.status,
            status_reason: state.reason,
            last_modified: record.last_modified.clone(),
        }
    }
}

/// `ListProvisionedConcurrencyConfigsResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedConfigPage {
    /// One item per qualifier.
    pub provisioned_concurrency_configs: Vec<ProvisionedConfig>,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// What the engine keeps warm for one config: environments per version. An alias with
/// weighted routing splits its count between its versions by weight.
#[derive(Debug, Clone)]
pub struct ProvisionSpec {
    /// The qualifier the config is on (a version number or an alias name).
    pub qualifier: String,
    /// The request, as stored (a new one clears an earlier failure).
    pub last_modified: String,
    /// Each version that runs and how many environments it gets.
    pub versions: Vec<(Arc<FunctionVersion>, usize)>,
}

/// Splits `requested` environments between an alias's primary version and the additional
/// version routed `weight` of the invocations (rounded to the nearest environment).
pub fn split_by_weight(requested: usize, weight: f64) -> (usize, usize) {
    let extra = ((requested as f64) * weight.clamp(0.0, 1.0)).round() as usize;
    (requested - extra.min(requested), extra.min(requested))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_split_the_environments() {
        assert_eq!(split_by_weight(10, 0.25), (7, 3));
        assert_eq!(split_by_weight(1, 0.4), (1, 0));
        assert_eq!(split_by_weight(2, 0.5), (1, 1));
        assert_eq!(split_by_weight(3, 1.0), (0, 3));
    }

    #[test]
    fn the_wire_shape_has_lambdas_names() {
        let record = ProvisionedRecord {
            requested: 2,
            last_modified: "2026-01-01T00:00:00.000+0000".into(),
        };
        let wire = serde_json::to_value(ProvisionedConfig::new(&record, None)).unwrap_or_default();
        assert_eq!(wire["Status"], "IN_PROGRESS");
        assert_eq!(wire["RequestedProvisionedConcurrentExecutions"], 2);
        assert_eq!(wire["AllocatedProvisionedConcurrentExecutions"], 0);
        assert!(wire.get("StatusReason").is_none() && wire.get("FunctionArn").is_none());
    }
}
