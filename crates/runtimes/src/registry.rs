//! Which runtime identifiers start how.
//!
//! Bundled runtimes run a host interpreter (the sandbox sees the host's `/usr`) on a
//! bootstrap from the runtime directory: `python3.X` when `python3.X` is installed in
//! `/usr/local/bin` or `/usr/bin`, `nodejsNN.x` when `node` there reports major `NN`.
//! `provided`, `provided.al2` and `provided.al2023` are custom runtimes: the function's
//! own `bootstrap` is the entry point.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::RUNTIME_DIR;

/// How to start a bundled runtime inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSpec {
    /// Program and arguments; `argv[0]` is an absolute path.
    pub argv: Vec<String>,
    /// Runtime-specific environment, layered over the platform's variables.
    pub env: Vec<(String, String)>,
    /// Whether the runtime directory must be mounted at `/var/runtime`.
    pub needs_runtime_dir: bool,
}

/// How a function of some runtime starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// One of Stratus's bundled bootstraps.
    Bundled(RuntimeSpec),
    /// `provided*`: exec `/var/task/bootstrap`, else `/opt/bootstrap`. The caller checks on
    /// the host which exists (the task root's `bootstrap`, else a layer's) and runs it
    /// with [`common_env`].
    Custom,
}

/// A runtime identifier this host cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("runtime '{runtime}' is not available on this host: {reason}")]
pub struct UnknownRuntime {
    /// The identifier asked for.
    pub runtime: String,
    /// Why it cannot be served.
    pub reason: String,
}

/// Every runtime identifier this host can serve: the custom runtimes, each `python3.X` with
/// an interpreter in the system directories, and `nodejsNN.x` for the system `node`.
pub fn offered() -> Vec<String> {
    let candidates = ["provided", "provided.al2", "provided.al2023"]
        .into_iter()
        .map(str::to_owned)
        .chain((8..=14).map(|minor| format!("python3.{minor}")))
        .chain((14..=30).map(|major| format!("nodejs{major}.x")));
    candidates.filter(|id| launch_for(id).is_ok()).collect()
}

/// Says how to start functions of `runtime` on this host.
pub fn launch_for(runtime: &str) -> Result<Launch, UnknownRuntime> {
    resolve(runtime, &SystemHost)
}

/// Environment every runtime gets, custom ones included (spec E.1): `PATH` and
/// `LD_LIBRARY_PATH` over the sandbox's fixed mount points.
pub fn common_env() -> Vec<(String, String)> {
    vec![
        (
            "PATH".into(),
            "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into(),
        ),
        (
            "LD_LIBRARY_PATH".into(),
            format!(
                "/lib64:/usr/lib64:{RUNTIME_DIR}:{RUNTIME_DIR}/lib:{task}:{task}/lib:/opt/lib",
                task = crate::TASK_ROOT
            ),
        ),
    ]
}

/// What the registry needs to know about the host.
trait Host {
    /// Absolute path of a system program, if installed.
    fn program(&self, name: &str) -> Option<PathBuf>;
    /// The system `node` and its major version.
    fn node(&self) -> Option<(PathBuf, u32)>;
}

const SYSTEM_BIN_DIRS: &[&str] = &["/usr/local/bin", "/usr/bin"];

struct SystemHost;

impl Host for SystemHost {
    fn program(&self, name: &str) -> Option<PathBuf> {
        SYSTEM_BIN_DIRS
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    }

    fn node(&self) -> Option<(PathBuf, u32)> {
        static NODE: OnceLock<Option<(PathBuf, u32)>> = OnceLock::new();
        NODE.get_or_init(|| {
            let node = self.program("node")?;
            let major = node_major(&node)?;
            Some((node, major))
        })
        .clone()
    }
}

fn node_major(node: &Path) -> Option<u32> {
    let out = Command::new(node).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.trim()
        .trim_start_matches('v')
        .split('.')
        .next()?
        .parse()
        .ok()
}

fn unknown(runtime: &str, reason: impl Into<String>) -> UnknownRuntime {
    UnknownRuntime {
        runtime: runtime.to_owned(),
        reason: reason.into(),
    }
}

/// Parses `prefix<digits>suffix`.
fn number_between(runtime: &str, prefix: &str, suffix: &str) -> Option<u32> {
    let digits = runtime.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn resolve(runtime: &str, host: &dyn Host) -> Result<Launch, UnknownRuntime> {
    if matches!(runtime, "provided" | "provided.al2" | "provided.al2023") {
        return Ok(Launch::Custom);
    }
    if let Some(minor) = number_between(runtime, "python3.", "") {
        let name = format!("python3.{minor}");
        let python = host
            .program(&name)
            .ok_or_else(|| unknown(runtime, format!("{name} is not installed")))?;
        return Ok(Launch::Bundled(python_spec(runtime, &python)));
    }
    if let Some(major) = number_between(runtime, "nodejs", ".x") {
        let (node, host_major) = host
            .node()
            .ok_or_else(|| unknown(runtime, "node is not installed"))?;
        if host_major != major {
            return Err(unknown(
                runtime,
                format!("the installed node is version {host_major}"),
            ));
        }
        return Ok(Launch::Bundled(node_spec(runtime, &node, major)));
    }
    Err(unknown(runtime, "no bundled bootstrap for this runtime"))
}

fn python_spec(runtime: &str, python: &Path) -> RuntimeSpec {
    let mut env = common_env();
    env.push(("PYTHONPATH".into(), RUNTIME_DIR.into()));
    env.push(("AWS_EXECUTION_ENV".into(), format!("AWS_Lambda_{runtime}")));
    RuntimeSpec {
        argv: vec![
            python.display().to_string(),
            // No site processing at start-up; the bootstrap adds site-packages itself.
            "-S".into(),
            format!("{RUNTIME_DIR}/python/bootstrap.py"),
        ],
        env,
        needs_runtime_dir: true,
    }
}

fn node_spec(runtime: &str, node: &Path, major: u32) -> RuntimeSpec {
    let mut env = common_env();
    env.push((
        "NODE_PATH".into(),
        format!(
            "/opt/nodejs/node{major}/node_modules:/opt/nodejs/node_modules:{RUNTIME_DIR}/node_modules"
        ),
    ));
    env.push(("AWS_EXECUTION_ENV".into(), format!("AWS_Lambda_{runtime}")));
    RuntimeSpec {
        argv: vec![
            node.display().to_string(),
            format!("{RUNTIME_DIR}/node/bootstrap.js"),
        ],
        env,
        needs_runtime_dir: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeHost {
        programs: Vec<&'static str>,
        node_major: Option<u32>,
    }

    impl Host for FakeHost {
        fn program(&self, name: &str) -> Option<PathBuf> {
            self.programs
                .contains(&name)
                .then(|| PathBuf::from(format!("/usr/bin/{name}")))
        }
        fn node(&self) -> Option<(PathBuf, u32)> {
            self.node_major.map(|m| (PathBuf::from("/usr/bin/node"), m))
        }
    }

    fn host() -> FakeHost {
        FakeHost {
            programs: vec!["python3.11", "python3.12"],
            node_major: Some(20),
        }
    }

    fn env_of(spec: &RuntimeSpec, key: &str) -> String {
        spec.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    #[test]
    fn custom_runtimes() {
        for r in ["provided", "provided.al2", "provided.al2023"] {
            assert_eq!(resolve(r, &host()), Ok(Launch::Custom));
        }
        assert!(resolve("provided.al2024", &host()).is_err());
    }

    #[test]
    fn python_runs_the_host_interpreter_on_the_bundled_bootstrap() {
        let Ok(Launch::Bundled(spec)) = resolve("python3.12", &host()) else {
            panic!("python3.12 should resolve");
        };
        assert_eq!(
            spec.argv,
            [
                "/usr/bin/python3.12",
                "-S",
                "/var/runtime/python/bootstrap.py"
            ]
        );
        assert_eq!(env_of(&spec, "PYTHONPATH"), "/var/runtime");
        assert_eq!(env_of(&spec, "AWS_EXECUTION_ENV"), "AWS_Lambda_python3.12");
        assert!(env_of(&spec, "LD_LIBRARY_PATH").ends_with("/var/task/lib:/opt/lib"));
        assert!(spec.needs_runtime_dir);
        let err = resolve("python3.9", &host()).unwrap_err();
        assert_eq!(err.runtime, "python3.9");
        assert!(err.to_string().contains("python3.9 is not installed"));
        assert!(resolve("python3.", &host()).is_err());
        assert!(resolve("python3.x", &host()).is_err());
    }

    #[test]
    fn node_must_match_the_host_major() {
        let Ok(Launch::Bundled(spec)) = resolve("nodejs20.x", &host()) else {
            panic!("nodejs20.x should resolve");
        };
        assert_eq!(
            spec.argv,
            ["/usr/bin/node", "/var/runtime/node/bootstrap.js"]
        );
        assert_eq!(
            env_of(&spec, "NODE_PATH"),
            "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules"
        );
        assert_eq!(env_of(&spec, "AWS_EXECUTION_ENV"), "AWS_Lambda_nodejs20.x");
        assert!(resolve("nodejs22.x", &host()).is_err());
        assert!(resolve("nodejs20", &host()).is_err());
        let no_node = FakeHost {
            programs: vec![],
            node_major: None,
        };
        assert!(resolve("nodejs20.x", &no_node).is_err());
    }

    #[test]
    fn other_runtimes_are_unknown() {
        for r in ["java21", "ruby3.3", "", "python2.7", "dotnet8"] {
            assert!(resolve(r, &host()).is_err(), "{r}");
        }
    }
}

#[cfg(test)]
mod offered_tests {
    #[test]
    fn offered_runtimes_all_launch() {
        let offered = super::offered();
        assert!(offered.iter().any(|r| r == "provided.al2023"));
        for r in &offered {
            assert!(super::launch_for(r).is_ok(), "{r}");
        }
        let python = std::path::Path::new("/usr/bin/python3.11").is_file();
        assert_eq!(offered.iter().any(|r| r == "python3.11"), python);
    }
}
