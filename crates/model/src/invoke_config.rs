//! Asynchronous invocation settings per qualifier (`FunctionEventInvokeConfig`).

use serde::{Deserialize, Serialize};

use crate::error::{LambdaError, Violations};

/// `OnSuccess` / `OnFailure`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Destination {
    /// Target ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// `DestinationConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationConfig {
    #[serde(default)]
    pub on_success: Destination,
    #[serde(default)]
    pub on_failure: Destination,
}

/// The stored settings (and the Put/Update request body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_config: Option<DestinationConfig>,
}

impl EventInvokeSettings {
    /// Checks ranges; `self_arn` is the function's ARN (a function may not be its own target).
    pub fn validate(&self, function_arn: &str) -> Result<(), LambdaError> {
        let mut v = Violations::default();
        if let Some(r) = self.maximum_retry_attempts {
            v.at_least(r, "maximumRetryAttempts", 0);
            v.at_most(r, "maximumRetryAttempts", 2);
        }
        if let Some(a) = self.maximum_event_age_in_seconds {
            v.at_least(a, "maximumEventAgeInSeconds", 60);
            v.at_most(a, "maximumEventAgeInSeconds", 21600);
        }
        v.finish()?;
        if let Some(d) = &self.destination_config {
            for dest in [&d.on_success.destination, &d.on_failure.destination]
                .into_iter()
                .flatten()
            {
                if !dest.starts_with("arn:") {
                    return Err(LambdaError::invalid(format!(
                        "The provided destination config DestinationConfig is invalid: {dest} is not a valid ARN"
                    )));
                }
                if dest == function_arn || dest.starts_with(&format!("{function_arn}:")) {
                    return Err(LambdaError::invalid(
                        "You can't specify the function as a destination for itself.",
                    ));
                }
            }
        }
        Ok(())
    }

    /// UpdateFunctionEventInvokeConfig: fields given in `patch` replace ours.
    pub fn merge(&mut self, patch: EventInvokeSettings) {
        if patch.maximum_retry_attempts.is_some() {
            self.maximum_retry_attempts = patch.maximum_retry_attempts;
        }
        if patch.maximum_event_age_in_seconds.is_some() {
            self.maximum_event_age_in_seconds = patch.maximum_event_age_in_seconds;
        }
        if patch.destination_config.is_some() {
            self.destination_config = patch.destination_config;
        }
    }
}

/// A stored config with its last change time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeRecord {
    pub settings: EventInvokeSettings,
    /// Epoch seconds.
    pub last_modified: f64,
}

/// `FunctionEventInvokeConfig` on the wire.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfig {
    pub last_modified: f64,
    pub function_arn: String,
    #[serde(flatten)]
    pub settings: EventInvokeSettings,
}

/// `ListFunctionEventInvokeConfigs` response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfigPage {
    pub function_event_invoke_configs: Vec<EventInvokeConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_self_destination() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        let s = EventInvokeSettings {
            maximum_retry_attempts: Some(3),
            ..Default::default()
        };
        assert!(s.validate(arn).is_err());
        let s = EventInvokeSettings {
            maximum_event_age_in_seconds: Some(59),
            ..Default::default()
        };
        assert!(s.validate(arn).is_err());
        let s = EventInvokeSettings {
            destination_config: Some(DestinationConfig {
                on_success: Destination {
                    destination: Some(arn.into()),
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(s.validate(arn).is_err());
    }
}
