//! The version-scoped settings a request may set, their shape rules, and how they apply.
//!
//! CreateFunction and UpdateFunctionConfiguration share [`SettingsInput`]; validation here is
//! pure. Layer existence needs the store, so layers are validated for shape here and resolved
//! by the control plane.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::destination::{Target, TargetUse};
use crate::error::{LambdaError, Violations};
use crate::function::{AttachedLayer, FunctionSettings, LoggingConfig, VpcConfig};
use crate::names::{parse_layer_version_arn, Scope};
use crate::runtime;

/// Largest total size of the environment variables, measured as their JSON text.
pub const MAX_ENVIRONMENT_BYTES: usize = 4096;
/// Most layers a function may reference.
pub const MAX_LAYERS: usize = 5;

/// Environment variable names the platform sets and users may not.
pub const RESERVED_ENV_KEYS: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
];

/// `Environment` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentInput {
    /// The complete new map; absent means empty.
    #[serde(default)]
    pub variables: Option<BTreeMap<String, String>>,
}

/// `TracingConfig` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingInput {
    /// `Active` or `PassThrough`.
    pub mode: Option<String>,
}

/// `EphemeralStorage` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StorageInput {
    /// MB, 512–10240.
    pub size: Option<i64>,
}

/// `DeadLetterConfig` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterInput {
    /// Empty or absent clears it.
    pub target_arn: Option<String>,
}

/// `LoggingConfig` as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingInput {
    /// `Text` or `JSON`.
    pub log_format: Option<String>,
    /// TRACE…FATAL.
    pub application_log_level: Option<String>,
    /// DEBUG, INFO or WARN.
    pub system_log_level: Option<String>,
    /// Custom log group.
    pub log_group: Option<String>,
}

/// The settings fields shared by CreateFunction and UpdateFunctionConfiguration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SettingsInput {
    pub runtime: Option<String>,
    pub role: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    pub environment: Option<EnvironmentInput>,
    pub dead_letter_config: Option<DeadLetterInput>,
    pub tracing_config: Option<TracingInput>,
    pub layers: Option<Vec<String>>,
    pub architectures: Option<Vec<String>>,
    pub ephemeral_storage: Option<StorageInput>,
    pub logging_config: Option<LoggingInput>,
    pub vpc_config: Option<VpcConfig>,
    #[serde(rename = "KMSKeyArn")]
    pub kms_key_arn: Option<String>,
}

/// The defaults Lambda gives a new function.
pub fn default_settings(name: &str) -> FunctionSettings {
    FunctionSettings {
        runtime: None,
        role: String::new(),
        handler: None,
        description: String::new(),
        timeout: 3,
        memory_size: 128,
        environment: None,
        layers: Vec::new(),
        architectures: vec!["x86_64".into()],
        ephemeral_storage: 512,
        tracing_mode: "PassThrough".into(),
        dead_letter_target: None,
        kms_key_arn: None,
        vpc: None,
        logging: LoggingConfig {
            log_format: "Text".into(),
            application_log_level: None,
            system_log_level: None,
            log_group: format!("/aws/lambda/{name}"),
        },
    }
}

fn is_role_arn(s: &str) -> bool {
    // arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+
    let Some(rest) = s.strip_prefix("arn:") else {
        return false;
    };
    let Some((partition, rest)) = rest.split_once(':') else {
        return false;
    };
    if !(partition.is_empty()
        || (partition.starts_with("aws")
            && partition[3..]
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-')))
    {
        return false;
    }
    let Some(rest) = rest.strip_prefix("iam::") else {
        return false;
    };
    let Some((account, rest)) = rest.split_once(':') else {
        return false;
    };
    let Some(path) = rest.strip_prefix("role") else {
        return false;
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_/".contains(c))
}

fn is_env_key(k: &str) -> bool {
    let mut chars = k.chars();
    // botocore's pattern demands two characters; Lambda accepts one, and so do we.
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks the environment map: reserved keys (the more telling error, so first), key
/// pattern and the 4 KB total.
pub fn validate_environment(vars: &BTreeMap<String, String>) -> Result<(), LambdaError> {
    let reserved: Vec<&str> = vars
        .keys()
        .map(String::as_str)
        .filter(|k| RESERVED_ENV_KEYS.contains(k))
        .collect();
    if !reserved.is_empty() {
        return Err(LambdaError::invalid(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {}",
            reserved.join(", ")
        )));
    }
    if let Some(bad) = vars.keys().find(|k| !is_env_key(k)) {
        let mut v = Violations::default();
        v.push(
            &format!("{{{bad}=***}}"),
            "environment.variables",
            "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
        );
        v.finish()?;
    }
    let measured = serde_json::to_string(vars).unwrap_or_default();
    if measured.len() > MAX_ENVIRONMENT_BYTES {
        return Err(LambdaError::invalid(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    Ok(())
}

fn one_of(v: &mut Violations, value: &str, field: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        v.push(
            &value,
            field,
            &format!(
                "Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        );
    }
}

impl SettingsInput {
    /// Checks every field's shape; `offered` lists the runtimes this server runs.
    pub fn validate(&self, offered: &[String]) -> Result<(), LambdaError> {
        let mut v = Violations::default();
        if let Some(role) = &self.role {
            v.pattern(
                role,
                "role",
                is_role_arn(role),
                r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
            );
        }
        if let Some(h) = &self.handler {
            v.max_len(h, "handler", 128);
            v.pattern(
                h,
                "handler",
                !h.is_empty() && !h.chars().any(char::is_whitespace),
                r"[^\s]+",
            );
        }
        if let Some(d) = &self.description {
            v.max_len(d, "description", 256);
        }
        if let Some(t) = self.timeout {
            v.at_least(t, "timeout", 1);
            v.at_most(t, "timeout", 900);
        }
        if let Some(m) = self.memory_size {
            v.at_least(m, "memorySize", 128);
            v.at_most(m, "memorySize", 10240);
        }
        if let Some(s) = self.ephemeral_storage.as_ref().and_then(|s| s.size) {
            v.at_least(s, "ephemeralStorage.size", 512);
            v.at_most(s, "ephemeralStorage.size", 10240);
        }
        if let Some(mode) = self.tracing_config.as_ref().and_then(|t| t.mode.as_deref()) {
            one_of(
                &mut v,
                mode,
                "tracingConfig.mode",
                &["Active", "PassThrough"],
            );
        }
        if let Some(arch) = &self.architectures {
            if arch.len() != 1 {
                v.push(
                    &format!("[{}]", arch.join(", ")),
                    "architectures",
                    "Member must have length less than or equal to 1, Member must have length greater than or equal to 1",
                );
            }
            for a in arch {
                one_of(&mut v, a, "architectures", &["x86_64", "arm64"]);
            }
        }
        if let Some(l) = &self.logging_config {
            if let Some(f) = &l.log_format {
                one_of(&mut v, f, "loggingConfig.logFormat", &["JSON", "Text"]);
            }
            if let Some(f) = &l.application_log_level {
                one_of(
                    &mut v,
                    f,
                    "loggingConfig.applicationLogLevel",
                    &["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"],
                );
            }
            if let Some(f) = &l.system_log_level {
                one_of(
                    &mut v,
                    f,
                    "loggingConfig.systemLogLevel",
                    &["DEBUG", "INFO", "WARN"],
                );
            }
            if let Some(g) = &l.log_group {
                v.max_len(g, "loggingConfig.logGroup", 512);
                v.pattern(
                    g,
                    "loggingConfig.logGroup",
                    !g.is_empty()
                        && g.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c)),
                    r"[\.\-_/#A-Za-z0-9]+",
                );
            }
        }
        if let Some(r) = &self.runtime {
            if !runtime::is_known(r) {
                v.push(
                    r,
                    "runtime",
                    &format!(
                        "Member must satisfy enum value set: [{}] or be a valid ARN",
                        runtime::KNOWN_RUNTIMES.join(", ")
                    ),
                );
            }
        }
        v.finish()?;
        if let Some(r) = &self.runtime {
            if !offered.iter().any(|o| o == r) {
                return Err(LambdaError::invalid(format!(
                    "The runtime parameter of {r} is not supported by this server. Supported runtimes: {}",
                    offered.join(", ")
                )));
            }
        }
        if let Some(vars) = self.environment.as_ref().and_then(|e| e.variables.as_ref()) {
            validate_environment(vars)?;
        }
        if let Some(layers) = &self.layers {
            if layers.len() > MAX_LAYERS {
                return Err(LambdaError::invalid("Cannot reference more than 5 layers."));
            }
        }
        Ok(())
    }

    /// Checks `DeadLetterConfig.TargetArn` (empty clears it): a target Stratus delivers to
    /// (see [`crate::destination`]), and not the function `function` itself, whose failed
    /// events would otherwise come back to it forever.
    pub fn validate_dead_letter_target(
        &self,
        function: &str,
        scope: &Scope,
    ) -> Result<(), LambdaError> {
        let Some(target) = self
            .dead_letter_config
            .as_ref()
            .and_then(|d| d.target_arn.as_deref())
            .filter(|t| !t.is_empty())
        else {
            return Ok(());
        };
        if Target::parse(target, TargetUse::DeadLetter, scope)?.is_function(function) {
            return Err(LambdaError::invalid(
                "You can't specify the function as a dead-letter target for itself.",
            ));
        }
        Ok(())
    }

    /// Parses the layer ARNs into (name, version) pairs in attach order. Existence and
    /// uniqueness need the store and are checked by the control plane.
    pub fn layer_refs(&self, scope: &Scope) -> Result<Option<Vec<(String, u64)>>, LambdaError> {
        let Some(layers) = &self.layers else {
            return Ok(None);
        };
        let mut out: Vec<(String, u64)> = Vec::with_capacity(layers.len());
        for arn in layers {
            let Some((name, version)) = parse_layer_version_arn(arn, scope) else {
                let mut v = Violations::default();
                v.pattern(
                    arn,
                    "layers",
                    false,
                    r"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+",
                );
                v.finish()?;
                continue;
            };
            out.push((name, version));
        }
        Ok(Some(out))
    }

    /// Applies every field that was given to `base`; `layers` are the resolved layers when
    /// the request named any.
    pub fn apply(self, base: &mut FunctionSettings, layers: Option<Vec<AttachedLayer>>) {
        if let Some(r) = self.runtime {
            base.runtime = Some(r);
        }
        if let Some(r) = self.role {
            base.role = r;
        }
        if let Some(h) = self.handler {
            base.handler = Some(h);
        }
        if let Some(d) = self.description {
            base.description = d;
        }
        if let Some(t) = self.timeout {
            base.timeout = t as u32;
        }
        if let Some(m) = self.memory_size {
            base.memory_size = m as u32;
        }
        if let Some(e) = self.environment {
            base.environment = Some(e.variables.unwrap_or_default());
        }
        if let Some(d) = self.dead_letter_config {
            base.dead_letter_target = d.target_arn.filter(|t| !t.is_empty());
        }
        if let Some(m) = self.tracing_config.and_then(|t| t.mode) {
            base.tracing_mode = m;
        }
        if let Some(l) = layers {
            base.layers = l;
        }
        if let Some(a) = self.architectures {
            base.architectures = a;
        }
        if let Some(s) = self.ephemeral_storage.and_then(|s| s.size) {
            base.ephemeral_storage = s as u32;
        }
        if let Some(l) = self.logging_config {
            if let Some(f) = l.log_format {
                base.logging.log_format = f;
            }
            if l.application_log_level.is_some() {
                base.logging.application_log_level = l.application_log_level;
            }
            if l.system_log_level.is_some() {
                base.logging.system_log_level = l.system_log_level;
            }
            if let Some(g) = l.log_group {
                base.logging.log_group = g;
            }
        }
        if let Some(vpc) = self.vpc_config {
            base.vpc = Some(vpc);
        }
        if let Some(k) = self.kms_key_arn {
            base.kms_key_arn = (!k.is_empty()).then_some(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn offered() -> Vec<String> {
        vec!["python3.11".into(), "provided.al2023".into()]
    }

    #[test]
    fn limits_are_validation_errors() {
        for (t, m) in [(0, 128), (901, 128), (3, 127), (3, 10241)] {
            let s = SettingsInput {
                timeout: Some(t),
                memory_size: Some(m),
                ..Default::default()
            };
            assert_eq!(
                s.validate(&offered()).unwrap_err().kind,
                ErrorKind::Validation
            );
        }
    }

    #[test]
    fn runtimes_unknown_or_not_offered_are_rejected() {
        let s = SettingsInput {
            runtime: Some("cobol1.0".into()),
            ..Default::default()
        };
        assert_eq!(
            s.validate(&offered()).unwrap_err().kind,
            ErrorKind::Validation
        );
        let s = SettingsInput {
            runtime: Some("java21".into()),
            ..Default::default()
        };
        assert_eq!(
            s.validate(&offered()).unwrap_err().kind,
            ErrorKind::InvalidParameterValue
        );
        let s = SettingsInput {
            runtime: Some("python3.11".into()),
            ..Default::default()
        };
        assert!(s.validate(&offered()).is_ok());
    }

    #[test]
    fn environment_rules() {
        let env = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(validate_environment(&env(&[("GOOD_KEY", "v"), ("PATH", "/x")])).is_ok());
        assert_eq!(
            validate_environment(&env(&[("1abc", "v")]))
                .unwrap_err()
                .kind,
            ErrorKind::Validation
        );
        let e = validate_environment(&env(&[("AWS_REGION", "x")])).unwrap_err();
        assert!(e.message.contains("AWS_REGION"));
        let big = "x".repeat(4100);
        let e = validate_environment(&env(&[("BIG", &big)])).unwrap_err();
        assert!(e.message.contains("4KB"));
    }

    #[test]
    fn role_pattern() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/lambda-role"));
        assert!(is_role_arn("arn:aws:iam::123456789012:role/path/x_y.z"));
        assert!(!is_role_arn("arn:aws:iam::12345:role/x"));
        assert!(!is_role_arn("role/x"));
    }

    #[test]
    fn layers_are_limited_and_unique() {
        let scope = Scope {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        };
        let arn = |n: &str, v: u64| format!("arn:aws:lambda:us-east-1:123456789012:layer:{n}:{v}");
        let s = SettingsInput {
            layers: Some((0..6).map(|i| arn(&format!("l{i}"), 1)).collect()),
            ..Default::default()
        };
        assert_eq!(
            s.validate(&offered()).unwrap_err().message,
            "Cannot reference more than 5 layers."
        );
        let s = SettingsInput {
            layers: Some(vec![arn("a", 1), arn("b", 2)]),
            ..Default::default()
        };
        assert_eq!(
            s.layer_refs(&scope).unwrap().unwrap(),
            vec![("a".into(), 1), ("b".into(), 2)]
        );
        let s = SettingsInput {
            layers: Some(vec!["nope".into()]),
            ..Default::default()
        };
        assert_eq!(
            s.layer_refs(&scope).unwrap_err().kind,
            ErrorKind::Validation
        );
    }
}
