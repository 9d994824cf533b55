//! Lower bounds: the runtime driven directly through the Runtime API, without the platform
//! (no HTTP front, no SigV4, no sandbox) — the same `RuntimeApi` the engine uses, served on
//! loopback in this process, with the runtime started as a plain child process.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stratus_runtime_api::{Invocation, Limits, RuntimeApi};

/// A task root with no-op Python (`app.handler`) and Node.js (`index.handler`) functions,
/// readable by any user.
pub fn noop_task_root() -> anyhow::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("app.py"),
        "def handler(event, context):\n    return {}\n",
    )?;
    std::fs::write(
        dir.path().join("index.js"),
        "exports.handler = async () => ({});\n",
    )?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    Ok(dir)
}

/// A runtime process attached to an in-process Runtime API.
pub struct Direct {
    api: RuntimeApi,
    child: Child,
    /// Spawn until the runtime's first `/next`.
    pub init: Duration,
}

impl Drop for Direct {
    fn drop(&mut self) {
        self.api.shutdown();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Direct {
    /// Starts `argv` with `env` against a fresh Runtime API and waits for its first `/next`.
    pub async fn start(argv: &[String], env: &[(String, String)]) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let api = RuntimeApi::serve(listener, Limits::default())?;
        let started = Instant::now();
        let child = Command::new(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        tokio::time::timeout(Duration::from_secs(20), api.ready())
            .await
            .map_err(|_| anyhow::anyhow!("runtime did not reach /next"))?
            .map_err(|e| anyhow::anyhow!("runtime init failed: {e:?}"))?;
        Ok(Self {
            init: started.elapsed(),
            api,
            child,
        })
    }

    async fn invoke_one(&self, i: usize) -> anyhow::Result<()> {
        let inv = Invocation {
            request_id: format!("00000000-0000-0000-0000-{i:012}"),
            deadline_ms: chrono::Utc::now().timestamp_millis() as u64 + 10_000,
            invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
            trace_id: "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
            client_context: None,
            cognito_identity: None,
            payload: bytes::Bytes::from_static(b"{}"),
        };
        self.api
            .invoke(inv)
            .await
            .map_err(|e| anyhow::anyhow!("direct invoke: {e}"))?;
        Ok(())
    }

    /// The runtime's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Times `n` invocations of `{}`.
    pub async fn latencies(&self, n: usize) -> anyhow::Result<Vec<Duration>> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n + 100 {
            let t = Instant::now();
            self.invoke_one(i).await?;
            if i >= 100 {
                out.push(t.elapsed());
            }
        }
        Ok(out)
    }

    /// Invocations per second over `secs`, one caller per runtime, all at once: what the
    /// runtimes and the Runtime API alone sustain on this machine.
    pub async fn throughput(runtimes: &[Arc<Direct>], secs: f64) -> anyhow::Result<f64> {
        let until = Instant::now() + Duration::from_secs_f64(secs);
        let started = Instant::now();
        let mut set = tokio::task::JoinSet::new();
        for d in runtimes {
            let d = Arc::clone(d);
            set.spawn(async move {
                let mut n = 0usize;
                while Instant::now() < until {
                    d.invoke_one(n).await?;
                    n += 1;
                }
                anyhow::Ok(n)
            });
        }
        let mut total = 0;
        while let Some(done) = set.join_next().await {
            total += done??;
        }
        Ok(total as f64 / started.elapsed().as_secs_f64())
    }
}

/// A command line and its environment.
pub type Launch = (Vec<String>, Vec<(String, String)>);

/// Argv and environment of the bundled Python runtime, run from `runtime_dir` on `task_root`
/// with the handler `app.handler`.
pub fn python(runtime_dir: &Path, task_root: &Path) -> anyhow::Result<Launch> {
    stratus_runtimes::install(runtime_dir)?;
    stratus_runtimes::precompile_python(runtime_dir)?;
    bundled("python3.11", "app.handler", runtime_dir, task_root)
}

/// Argv and environment of the bundled Node.js runtime for the host's `node`, run from
/// `runtime_dir` on `task_root` with the handler `index.handler`.
pub fn node(runtime_dir: &Path, task_root: &Path) -> anyhow::Result<Launch> {
    stratus_runtimes::install(runtime_dir)?;
    let id = stratus_runtimes::offered()
        .into_iter()
        .find(|r| r.starts_with("nodejs"))
        .ok_or_else(|| anyhow::anyhow!("no node runtime on this host"))?;
    bundled(&id, "index.handler", runtime_dir, task_root)
}

fn bundled(
    runtime: &str,
    handler: &str,
    runtime_dir: &Path,
    task_root: &Path,
) -> anyhow::Result<Launch> {
    let stratus_runtimes::Launch::Bundled(spec) = stratus_runtimes::launch_for(runtime)? else {
        anyhow::bail!("{runtime} is not a bundled runtime");
    };
    let rd = runtime_dir.display().to_string();
    let argv = spec
        .argv
        .iter()
        .map(|a| a.replace("/var/runtime", &rd))
        .collect();
    let mut env: Vec<(String, String)> = spec
        .env
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.replace("/var/runtime", &rd)
                    .replace("/var/task", &task_root.display().to_string()),
            )
        })
        .collect();
    env.extend([
        (
            "LAMBDA_TASK_ROOT".to_string(),
            task_root.display().to_string(),
        ),
        ("LAMBDA_RUNTIME_DIR".to_string(), rd),
        ("_HANDLER".to_string(), handler.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_string(), "bench".to_string()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_string(),
            "1769".to_string(),
        ),
        (
            "AWS_LAMBDA_FUNCTION_VERSION".to_string(),
            "$LATEST".to_string(),
        ),
        (
            "PATH".to_string(),
            "/usr/local/bin:/usr/bin:/bin".to_string(),
        ),
    ]);
    Ok((argv, env))
}
