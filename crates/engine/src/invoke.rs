//! The synchronous invoke path: admission, an environment (warm or cold), the invocation
//! itself with its deadline, the platform log lines, and the environment's return to the pool.

use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use stratus_logs::platform;
use stratus_model::FunctionVersion;
use stratus_runtime_api::{Invocation, InvokeError, Outcome};

use crate::environment::{Created, Environment};
use crate::error::{function_error, EngineError};
use crate::pool::PoolKey;
use crate::Engine;

/// Lambda's tail: the last 4 KB of the invocation's log.
const TAIL_BYTES: usize = 4096;

/// One synchronous invocation, resolved to the version that runs.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    /// The version that runs (shared, not copied, per invocation).
    pub function: std::sync::Arc<FunctionVersion>,
    /// The ARN as invoked (with alias or version qualifier).
    pub invoked_arn: String,
    /// The event.
    pub payload: Bytes,
    /// Decoded `X-Amz-Client-Context`.
    pub client_context: Option<String>,
    /// `X-Amz-Log-Type: Tail`.
    pub tail: bool,
    /// The function's reserved concurrency.
    pub reserved_concurrency: Option<i64>,
    /// The invocation's request id (the API request's, as on Lambda).
    pub request_id: String,
}

/// What the caller answers with.
#[derive(Debug, Clone)]
pub struct InvokeResponse {
    /// The function's result, or its error body.
    pub payload: Bytes,
    /// Set when the function failed (`X-Amz-Function-Error: Unhandled`).
    pub function_error: bool,
    /// Base64 of the log tail, when asked for.
    pub log_result: Option<String>,
    /// The version that ran.
    pub executed_version: String,
    /// The request id of the invocation.
    pub request_id: String,
}

/// How the invocation ended, before logging.
enum Ended {
    Ok(Bytes),
    FunctionError(Bytes),
    /// The environment cannot be reused.
    Broken(Bytes, Option<String>),
}

fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn trace_id() -> String {
    let now = chrono::Utc::now().timestamp();
    format!(
        "Root=1-{now:08x}-{:024x};Parent={:016x};Sampled=0",
        rand::random::<u128>() >> 32,
        rand::random::<u64>()
    )
}

impl Engine {
    /// Runs one invocation synchronously.
    pub async fn invoke(&self, req: InvokeRequest) -> Result<InvokeResponse, EngineError> {
        let _slot = self
            .admit(&req.function.function_name, req.reserved_concurrency)
            .inspect_err(|_| self.inner.metrics.throttled())?;
        let f = &req.function;
        let key = PoolKey {
            function: f.function_name.clone(),
            version: f.version.to_string(),
            revision: f.revision_id.clone(),
        };
        let request_id = req.request_id.clone();
        let group = f.settings.logging.log_group.clone();
        let mut log: Vec<(i64, String)> = Vec::new();
        let mut env = match self.inner.pool.take(&key) {
            Some(mut env) => {
                // Only the reaper freezes, and only environments idle for a moment: a
                // back-to-back invocation finds its environment running (no cgroup write).
                if env.frozen {
                    env.sandbox
                        .thaw()
                        .map_err(|e| EngineError::Sandbox(e.to_string()))?;
                    env.frozen = false;
                }
                env
            }
            None => match self.cold_start(f, &request_id).await? {
                Created::Ready(env) => {
                    self.inner
                        .metrics
                        .cold_start(env.sandbox_setup, env.runtime_init);
                    log.push((
                        chrono::Utc::now().timestamp_millis(),
                        platform::init_start(
                            f.settings.runtime.as_deref().unwrap_or("provided"),
                            &self.inner.config.region,
                        ),
                    ));
                    *env
                }
                Created::InitFailed {
                    error_type,
                    body,
                    lines,
                } => {
                    let stream = self.stream_name(f, &uuid::Uuid::new_v4().simple().to_string());
                    log.push((
                        chrono::Utc::now().timestamp_millis(),
                        platform::start(&request_id, &f.version.to_string()),
                    ));
                    log.extend(lines);
                    log.push((
                        chrono::Utc::now().timestamp_millis(),
                        format!("{} {request_id} Init failed: {error_type}", now_iso()),
                    ));
                    log.push((
                        chrono::Utc::now().timestamp_millis(),
                        platform::end(&request_id),
                    ));
                    self.inner.logs.append(&group, &stream, &log);
                    return Ok(InvokeResponse {
                        payload: body,
                        function_error: true,
                        log_result: req.tail.then(|| tail(&log)),
                        executed_version: f.version.to_string(),
                        request_id,
                    });
                }
            },
        };
        log.extend(env.output.take_collected());
        let started = Instant::now();
        log.push((
            chrono::Utc::now().timestamp_millis(),
            platform::start(&request_id, &f.version.to_string()),
        ));
        let ended = self.run(&mut env, &req, &request_id).await;
        let duration = started.elapsed();
        log.extend(env.output.drain(matches!(ended, Ended::Broken(..))));
        let payload = match &ended {
            Ended::Ok(p) | Ended::FunctionError(p) | Ended::Broken(p, _) => p.clone(),
        };
        if let Ended::Broken(_, Some(line)) = &ended {
            log.push((chrono::Utc::now().timestamp_millis(), line.clone()));
        }
        log.push((
            chrono::Utc::now().timestamp_millis(),
            platform::end(&request_id),
        ));
        let peak = env.sandbox.memory_peak_bytes().unwrap_or(0);
        log.push((
            chrono::Utc::now().timestamp_millis(),
            platform::report(
                &request_id,
                &platform::Report {
                    duration,
                    memory_mb: f.settings.memory_size,
                    max_memory_used_mb: peak.div_ceil(1024 * 1024),
                    init: env.pending_init.take(),
                },
            ),
        ));
        self.inner.logs.append(&group, &env.log_stream, &log);
        let function_error = !matches!(ended, Ended::Ok(_));
        self.inner.metrics.invoked(function_error);
        if matches!(ended, Ended::Broken(..)) {
            env.destroy();
        } else {
            // Back to the pool; the reaper freezes it once it has been idle a moment.
            env.idle_since = Instant::now();
            self.inner.pool.put(key, env);
        }
        // Debug, not info: a line per invocation on the server's own log would be a write
        // on the hot path; the function's log already has START/END/REPORT.
        tracing::debug!(function = %f.function_name, version = %f.version, request_id = %request_id,
            duration_us = duration.as_micros() as u64, function_error, "invoke finished");
        Ok(InvokeResponse {
            payload,
            function_error,
            log_result: req.tail.then(|| tail(&log)),
            executed_version: f.version.to_string(),
            request_id,
        })
    }

    async fn run(&self, env: &mut Environment, req: &InvokeRequest, request_id: &str) -> Ended {
        let timeout = Duration::from_secs(u64::from(req.function.settings.timeout));
        let deadline_ms = chrono::Utc::now().timestamp_millis() as u64 + timeout.as_millis() as u64;
        let inv = Invocation {
            request_id: request_id.to_owned(),
            deadline_ms,
            invoked_function_arn: req.invoked_arn.clone(),
            trace_id: trace_id(),
            client_context: req.client_context.clone(),
            cognito_identity: None,
            payload: req.payload.clone(),
        };
        let output = env.output.clone();
        tokio::select! {
            r = tokio::time::timeout(timeout, env.api.invoke(inv)) => match r {
                Ok(Ok(Outcome::Response(body))) => Ended::Ok(body),
                Ok(Ok(Outcome::Error { body, .. })) => Ended::FunctionError(body),
                Ok(Err(InvokeError::ResponseTooLarge)) => Ended::FunctionError(function_error(
                    "Function.ResponseSizeTooLarge",
                    "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                )),
                Ok(Err(e)) => Ended::Broken(function_error("Runtime.Unknown", &format!("RequestId: {request_id} Error: {e}")), None),
                Err(_) => {
                    let secs = req.function.settings.timeout;
                    Ended::Broken(
                        function_error("Sandbox.Timedout", &format!("RequestId: {request_id} Error: Task timed out after {secs}.00 seconds")),
                        Some(platform::timed_out(&now_iso(), request_id, secs)),
                    )
                }
            },
            () = output.closed() => {
                let (error_type, why) = if env.sandbox.oom_killed() {
                    ("Runtime.OutOfMemory", "Runtime exited with error: signal: killed".to_owned())
                } else {
                    ("Runtime.ExitError", format!("Runtime exited with error: {}", crate::environment::exit_description(&mut env.sandbox).await))
                };
                let message = format!("RequestId: {request_id} Error: {why}");
                Ended::Broken(function_error(error_type, &message), Some(format!("{message}\n{error_type}")))
            }
        }
    }

    async fn cold_start(
        &self,
        f: &FunctionVersion,
        request_id: &str,
    ) -> Result<Created, EngineError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let stream = self.stream_name(f, &id);
        let shell = self.inner.shells.take().await?;
        let ready_tmp = shell.0.tmp_size_mb();
        let cfg = match self.sandbox_config(f, &id, &stream, ready_tmp).await {
            Ok(cfg) => cfg,
            Err(e) => {
                // The shell is still unassigned: another cold start can have it.
                self.inner.shells.give_back(shell);
                return cold_start_failed(e, request_id);
            }
        };
        tracing::debug!(function = %f.function_name, request_id, env = %id, "cold start");
        let created = Environment::create(id, stream, cfg, shell, &self.inner.config.host).await;
        self.inner.shells.refill();
        let created = created?;
        if let Created::Ready(env) = &created {
            let share = crate::cpu_millis_for(f.settings.memory_size, self.inner.config.cpus);
            env.sandbox
                .set_cpu_millis(share)
                .map_err(|e| EngineError::Sandbox(e.to_string()))?;
        }
        Ok(created)
    }

    fn stream_name(&self, f: &FunctionVersion, env_id: &str) -> String {
        format!(
            "{}/[{}]{env_id}",
            chrono::Utc::now().format("%Y/%m/%d"),
            f.version
        )
    }
}

/// Base64 of the last 4 KB of the invocation's log lines.
fn tail(lines: &[(i64, String)]) -> String {
    let mut text = String::new();
    for (_, l) in lines {
        text.push_str(l);
        text.push('\n');
    }
    let mut start = text.len().saturating_sub(TAIL_BYTES);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    base64::engine::general_purpose::STANDARD.encode(&text.as_bytes()[start..])
}

/// A cold start that could not configure its sandbox: a missing bootstrap is the
/// function's init error, anything else the platform's.
fn cold_start_failed(e: EngineError, request_id: &str) -> Result<Created, EngineError> {
    match e {
        EngineError::NoBootstrap => Ok(Created::InitFailed {
                error_type: "Runtime.InvalidEntrypoint".into(),
                body: function_error(
                    "Runtime.InvalidEntrypoint",
                    &format!("RequestId: {request_id} Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"),
                ),
                lines: Vec::new(),
            }),
        other => Err(other),
    }
}
