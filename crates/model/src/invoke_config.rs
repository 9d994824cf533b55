//! Asynchronous invocation settings per qualifier (`FunctionEventInvokeConfig`).

use serde::{Deserialize, Serialize};

use crate::destination::{Target, TargetUse};
use crate::error::{LambdaError, Violations};
use crate::names::Scope;

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
    /// Checks ranges and destinations; `function` is the plain name of the function the
    /// config belongs to (a function may not be its own destination).
    pub fn validate(&self, function: &str, scope: &Scope) -> Result<(), LambdaError> {
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
                .filter(|d| !d.is_empty())
            {
                if Target::parse(dest, TargetUse::Destination, scope)?.is_function(function) {
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
        let scope = Scope {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        };
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        let s = EventInvokeSettings {
            maximum_retry_attempts: Some(3),
            ..Default::default()
        };
        assert!(s.validate("f", &scope).is_err());
        let s = EventInvokeSettings {
            maximum_event_age_in_seconds: Some(59),
            ..Default::default()
        };
        assert!(s.validate("f", &scope).is_err());
        let on_success = |d: &str| EventInvokeSettings {
            destination_config: Some(DestinationConfig {
                on_success: Destination {
                    destination: Some(d.into()),
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        for own in [
            arn.to_owned(),
            format!("{arn}:live"),
            format!("{arn}:$LATEST"),
        ] {
            let e = on_success(&own).validate("f", &scope).err();
            assert_eq!(
                e.map(|e| e.message).as_deref(),
                Some("You can't specify the function as a destination for itself."),
                "{own}"
            );
        }
        assert!(on_success(&format!("{arn}-other"))
            .validate("f", &scope)
            .is_ok());
        assert!(on_success("http://127.0.0.1:9/hook")
            .validate("f", &scope)
            .is_ok());
        assert!(on_success("arn:aws:sqs:us-east-1:123456789012:q")
            .validate("f", &scope)
            .is_err());
    }
}
