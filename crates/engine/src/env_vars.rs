//! The environment variables an execution environment starts with (spec E.1).
//!
//! Precedence, lowest first: the function's own variables, then platform defaults a user may
//! override (`LANG`, `PATH`, `LD_LIBRARY_PATH`, …), then the runtime's own, then the reserved
//! platform variables, which nothing overrides.

use std::collections::BTreeMap;

use stratus_model::FunctionVersion;

/// Where the Runtime API listens inside every environment.
pub const RUNTIME_API_ADDR: &str = "127.0.0.1:9001";

/// Inputs that are not part of the function version.
#[derive(Debug, Clone)]
pub struct EnvContext<'a> {
    /// Region of the server.
    pub region: &'a str,
    /// `YYYY/MM/DD/[VERSION]<env id>`.
    pub log_stream: &'a str,
    /// Variables the runtime needs (PYTHONPATH, NODE_PATH, AWS_EXECUTION_ENV, …).
    pub runtime_env: &'a [(String, String)],
    /// `on-demand` or `provisioned-concurrency`.
    pub init_type: &'a str,
}

const OVERRIDABLE_DEFAULTS: &[(&str, &str)] = &[
    ("LANG", "en_US.UTF-8"),
    ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
    (
        "LD_LIBRARY_PATH",
        "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
    ),
];

/// The complete environment for one execution environment of `f`.
pub fn build(f: &FunctionVersion, ctx: &EnvContext<'_>) -> Vec<(String, String)> {
    let s = &f.settings;
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    if let Some(user) = &s.environment {
        env.extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    for (k, v) in OVERRIDABLE_DEFAULTS {
        env.entry((*k).to_owned())
            .or_insert_with(|| (*v).to_owned());
    }
    for (k, v) in ctx.runtime_env {
        // Runtime search paths go first, and a user's PYTHONPATH / NODE_PATH is appended.
        let merged = match env.get(k) {
            Some(user) if k.ends_with("PATH") && !user.is_empty() => format!("{v}:{user}"),
            _ => v.clone(),
        };
        env.insert(k.clone(), merged);
    }
    let reserved = [
        ("_HANDLER", s.handler.clone().unwrap_or_default()),
        ("AWS_REGION", ctx.region.to_owned()),
        ("AWS_DEFAULT_REGION", ctx.region.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", f.function_name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", s.memory_size.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", f.version.to_string()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", ctx.init_type.to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", s.logging.log_group.clone()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", ctx.log_stream.to_owned()),
        ("AWS_LAMBDA_RUNTIME_API", RUNTIME_API_ADDR.to_owned()),
        ("LAMBDA_TASK_ROOT", "/var/task".to_owned()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
        ("TZ", ":UTC".to_owned()),
    ];
    for (k, v) in reserved {
        env.insert(k.to_owned(), v);
    }
    if s.logging.log_format == "JSON" {
        env.insert("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into());
        if let Some(level) = &s.logging.application_log_level {
            env.insert("AWS_LAMBDA_LOG_LEVEL".into(), level.clone());
        }
    }
    env.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratus_model::function::{CodeRef, Version};
    use stratus_model::settings::default_settings;

    #[test]
    fn reserved_variables_win_and_user_paths_are_kept() {
        let mut settings = default_settings("f");
        settings.handler = Some("app.handler".into());
        settings.environment = Some(BTreeMap::from([
            ("MY_VAR".to_string(), "1".to_string()),
            ("PYTHONPATH".to_string(), "/var/task/vendor".to_string()),
            ("LANG".to_string(), "C".to_string()),
        ]));
        let f = FunctionVersion {
            function_name: "f".into(),
            version: Version::Latest,
            settings,
            code: CodeRef {
                sha256_hex: String::new(),
                sha256_b64: String::new(),
                size: 0,
                unzipped_size: 0,
            },
            last_modified: String::new(),
            revision_id: String::new(),
        };
        let runtime_env = vec![("PYTHONPATH".to_string(), "/var/runtime".to_string())];
        let env: BTreeMap<_, _> = build(
            &f,
            &EnvContext {
                region: "us-east-1",
                log_stream: "2026/11/22/[$LATEST]abc",
                runtime_env: &runtime_env,
                init_type: "provisioned-concurrency",
            },
        )
        .into_iter()
        .collect();
        assert_eq!(env["_HANDLER"], "app.handler");
        assert_eq!(env["MY_VAR"], "1");
        assert_eq!(env["LANG"], "C");
        assert_eq!(env["PYTHONPATH"], "/var/runtime:/var/task/vendor");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
        assert_eq!(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:9001");
        assert_eq!(env["TZ"], ":UTC");
        assert_eq!(
            env["AWS_LAMBDA_INITIALIZATION_TYPE"],
            "provisioned-concurrency"
        );
        assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/f");
    }
}
