//! Aliases: a named pointer to one version, optionally splitting traffic with a second.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{LambdaError, Violations};
use crate::names::ALIAS_PATTERN;

/// `AliasRoutingConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoutingConfig {
    /// Version → share of traffic it receives.
    #[serde(default)]
    pub additional_version_weights: BTreeMap<String, f64>,
}

/// An alias as stored (the wire shape adds the ARN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasRecord {
    /// Alias name.
    pub name: String,
    /// Primary version.
    pub function_version: String,
    /// Description.
    pub description: String,
    /// Weighted routing, if any.
    pub routing_config: Option<RoutingConfig>,
    /// Changes on every write.
    pub revision_id: String,
}

/// `AliasConfiguration` on the wire.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasConfiguration {
    pub alias_arn: String,
    pub name: String,
    pub function_version: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_config: Option<RoutingConfig>,
    pub revision_id: String,
}

impl AliasRecord {
    /// The wire shape, given the alias ARN.
    pub fn configuration(&self, alias_arn: String) -> AliasConfiguration {
        AliasConfiguration {
            alias_arn,
            name: self.name.clone(),
            function_version: self.function_version.clone(),
            description: self.description.clone(),
            routing_config: self.routing_config.clone(),
            revision_id: self.revision_id.clone(),
        }
    }
}

/// `CreateAlias` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAliasRequest {
    pub name: Option<String>,
    pub function_version: Option<String>,
    pub description: Option<String>,
    pub routing_config: Option<RoutingConfig>,
}

/// `UpdateAlias` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAliasRequest {
    pub function_version: Option<String>,
    pub description: Option<String>,
    pub routing_config: Option<RoutingConfig>,
    pub revision_id: Option<String>,
}

/// `ListAliases` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasPage {
    pub aliases: Vec<AliasConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// True for a valid alias name: `[a-zA-Z0-9-_]+`, not all digits, at most 128.
pub fn is_alias_name(name: &str) -> bool {
    crate::names::is_simple_name(name)
        && name.len() <= 128
        && !name.bytes().all(|b| b.is_ascii_digit())
}

/// Checks an alias name's shape.
pub fn validate_alias_name(name: &str) -> Result<(), LambdaError> {
    let mut v = Violations::default();
    v.max_len(name, "name", 128);
    v.pattern(name, "name", is_alias_name(name), ALIAS_PATTERN);
    v.finish()
}

/// Checks a version label an alias may point at: `$LATEST` or a number.
pub fn validate_alias_version(version: &str) -> Result<(), LambdaError> {
    let ok = version == "$LATEST"
        || (!version.is_empty()
            && version.len() <= 1024
            && version.bytes().all(|b| b.is_ascii_digit()));
    let mut v = Violations::default();
    v.pattern(version, "functionVersion", ok, r"(\$LATEST|[0-9]+)");
    v.finish()
}

/// Checks routing weights against the primary version (existence is checked by the caller).
pub fn validate_routing(primary: &str, routing: &RoutingConfig) -> Result<(), LambdaError> {
    let weights = &routing.additional_version_weights;
    if weights.is_empty() {
        return Ok(());
    }
    if weights.len() > 1 {
        return Err(LambdaError::invalid(
            "Number of items in AdditionalVersionWeights cannot be greater than 1",
        ));
    }
    let mut v = Violations::default();
    for (version, weight) in weights {
        if !version.bytes().all(|b| b.is_ascii_digit()) || version.is_empty() {
            v.pattern(
                version,
                "routingConfig.additionalVersionWeights",
                false,
                "[0-9]+",
            );
        }
        if !(0.0..=1.0).contains(weight) || weight.is_nan() {
            v.push(
                weight,
                "routingConfig.additionalVersionWeights",
                "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]",
            );
        }
    }
    v.finish()?;
    if primary == "$LATEST" {
        return Err(LambdaError::invalid(
            "$LATEST is not supported for an alias pointing to more than 1 version",
        ));
    }
    if let Some(dup) = weights.keys().find(|k| k.as_str() == primary) {
        return Err(LambdaError::invalid(format!(
            "Invalid function version {dup}. Function version {dup} is already included in routing configuration."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routing(pairs: &[(&str, f64)]) -> RoutingConfig {
        RoutingConfig {
            additional_version_weights: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn routing_rules() {
        assert!(validate_routing("1", &routing(&[("2", 0.5)])).is_ok());
        assert!(validate_routing("1", &routing(&[("2", 0.5), ("3", 0.1)])).is_err());
        assert!(validate_routing("1", &routing(&[("2", 1.5)])).is_err());
        assert!(validate_routing("1", &routing(&[("1", 0.5)])).is_err());
        assert!(validate_routing("$LATEST", &routing(&[("2", 0.5)])).is_err());
        assert!(validate_routing("$LATEST", &routing(&[])).is_ok());
    }

    #[test]
    fn alias_names() {
        assert!(is_alias_name("live"));
        assert!(is_alias_name("v1-beta_2"));
        assert!(!is_alias_name("123"));
        assert!(!is_alias_name("$LATEST"));
        assert!(!is_alias_name(""));
    }
}
