//! The synchronous invoke path: admission, an environment (warm or cold), the invocation
//! itself with its deadline, the platform log lines, and the environment's return to the pool.

use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use stratus_logs::platform;
use stratus_model::FunctionVersion;
use stratus_runtime_api::{Invocation, InvokeError, Outcome};

use crate::environment::{Created, Environment, InitType};
use crate::error::{function_error, EngineError};
use crate::failure::PlatformError;
use crate::guard::{InFlight, Landed};
use crate::pool::PoolKey;
use crate::seams::{Backend, Jail, Runtime};
use crate::Engine;

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
    /// For a function without a reservation, the concurrency such functions share (the
    /// account limit less every reservation, so that reservations stay guaranteed); `None`
    /// for the account limit alone.
    pub unreserved_pool: Option<i64>,
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
pub(crate) enum Ended {
    Ok(Bytes),
    FunctionError(Bytes),
    /// The environment cannot be reused.
    Broken(Bytes, Option<String>),
}

/// Now, as Lambda's log lines write it.
pub(crate) use platform::now_iso;

/// A log line stamped now.
pub(crate) fn line(text: String) -> (i64, String) {
    (chrono::Utc::now().timestamp_millis(), text)
}

fn trace_id() -> String {
    let now = chrono::Utc::now().timestamp();
    format!(
        "Root=1-{now:08x}-{:024x};Parent={:016x};Sampled=0",
        rand::random::<u128>() >> 32,
        rand::random::<u64>()
    )
}

impl<B: Backend> Engine<B> {
    /// Runs one invocation synchronously.
    ///
    /// Cancellation-safe: if the returned future is dropped while the function runs (the
    /// caller went away), the environment is destroyed on a blocking thread, the
    /// invocation's START/END/REPORT lines are still written, and its concurrency slot is
    /// released once the environment is gone.
    pub async fn invoke(&self, req: InvokeRequest) -> Result<InvokeResponse, EngineError> {
        let f = &req.function;
        let resource = crate::metrics::resource(&req.invoked_arn);
        let slot = self
            .admit(
                &f.function_name,
                req.reserved_concurrency,
                req.unreserved_pool,
            )
            .inspect_err(|e| {
                if matches!(e, EngineError::Throttled(_)) {
                    crate::metrics::throttled(&f.function_name, resource, &f.version);
                }
            })?;
        let key = PoolKey {
            function: f.function_name.clone(),
            version: f.version.to_string(),
            revision: f.revision_id.clone(),
        };
        let env = match self.inner.pool.take(&key) {
            Some(env) => self.thawed(env, f)?,
            None => {
                let memory = self
                    .inner
                    .hold_memory(&f.function_name, f.settings.memory_size)
                    .await
                    .inspect_err(|_| {
                        crate::metrics::throttled(&f.function_name, resource, &f.version);
                    })?;
                let uid = self
                    .inner
                    .hold_uid(&f.function_name)
                    .await
                    .inspect_err(|_| {
                        crate::metrics::throttled(&f.function_name, resource, &f.version);
                    })?;
                let id = uuid::Uuid::new_v4().simple().to_string();
                let stream = self.stream_name(f, &id);
                let log = self.inner.log_target(f, stream.clone());
                match self
                    .inner
                    .backend
                    .create(f, &req.request_id, id, log, InitType::OnDemand, uid)
                    .await
                    .map_err(EngineError::exhaustion_throttles)
                    .inspect_err(|e| {
                        if matches!(e, EngineError::Throttled(_)) {
                            crate::metrics::throttled(&f.function_name, resource, &f.version);
                        }
                    })? {
                    Created::Ready(mut env) => {
                        env.memory = Some(memory);
                        crate::metrics::cold_start(
                            &f.function_name,
                            env.sandbox_setup,
                            env.runtime_init,
                        );
                        *env
                    }
                    Created::InitFailed {
                        error_type,
                        body,
                        lines,
                    } => return Ok(self.init_failed(&req, &stream, &error_type, body, lines)),
                }
            }
        };
        env.output
            .begin(platform::start(&req.request_id, &f.version.to_string()));
        let mut flight = InFlight::new(self, &req, env, slot);
        let ended = flight.run().await;
        let Some(Landed {
            mut env,
            slot,
            duration,
        }) = flight.land()
        else {
            return Err(EngineError::platform(
                &f.function_name,
                PlatformError::Poisoned("invocation"),
            ));
        };
        let function_error = !matches!(ended, Ended::Ok(_));
        let (payload, broken) = match ended {
            Ended::Ok(p) | Ended::FunctionError(p) => (p, None),
            Ended::Broken(p, text) => (p, Some(text)),
        };
        let is_broken = broken.is_some();
        let peak = env.sandbox.memory_peak_bytes().unwrap_or(0);
        let report = platform::report(
            &req.request_id,
            &platform::Report {
                duration,
                memory_mb: f.settings.memory_size,
                max_memory_used_mb: peak.div_ceil(1024 * 1024),
                init: env.pending_init.take(),
            },
        );
        // The rest of the output, then the platform lines, appended to the stream in one go.
        let trailer = [platform::end(&req.request_id), report];
        let tail = env.output.finish(
            &req.request_id,
            is_broken,
            broken.flatten().into_iter().chain(trailer),
            req.tail,
        );
        crate::metrics::handles(&mut env.metrics, &f.function_name, resource, &f.version)
            .record(function_error, duration);
        env.invocations += 1;
        let now = Instant::now();
        if is_broken {
            env.destroy();
        } else if self
            .inner
            .config
            .lifetime
            .spent(env.invocations, env.created, now)
        {
            tracing::debug!(env = %env.id, invocations = env.invocations, "environment at the end of its lifetime");
            env.destroy();
        } else {
            // Back to the pool; the reaper freezes it once it has been idle a moment.
            env.idle_since = now;
            self.inner.pool.put(key, env);
        }
        drop(slot);
        // Debug, not info: a line per invocation on the server's own log would be a write
        // on the hot path; the function's log already has START/END/REPORT.
        tracing::debug!(function = %f.function_name, version = %f.version, request_id = %req.request_id,
            duration_us = duration.as_micros() as u64, function_error, "invoke finished");
        Ok(InvokeResponse {
            payload,
            function_error,
            log_result: tail.map(|t| encode_tail(&t)),
            executed_version: f.version.to_string(),
            request_id: req.request_id,
        })
    }

    /// An idle environment made runnable (thawed if the reaper froze it).
    fn thawed(
        &self,
        mut env: Environment<B>,
        f: &FunctionVersion,
    ) -> Result<Environment<B>, EngineError> {
        // Only the reaper freezes, and only environments idle for a moment: a back-to-back
        // invocation finds its environment running (no cgroup write).
        if env.frozen {
            if let Err(e) = env.sandbox.thaw() {
                env.destroy();
                return Err(EngineError::platform(
                    &f.function_name,
                    PlatformError::sandbox("thaw")(e),
                ));
            }
            env.frozen = false;
        }
        Ok(env)
    }

    /// Logs and answers a cold start whose runtime failed to initialise: what it printed
    /// (after INIT_START), then START, the failure and END, in the environment's stream.
    fn init_failed(
        &self,
        req: &InvokeRequest,
        stream: &str,
        error_type: &str,
        body: Bytes,
        lines: Vec<(i64, String)>,
    ) -> InvokeResponse {
        let f = &req.function;
        crate::metrics::init_failed(
            &f.function_name,
            crate::metrics::resource(&req.invoked_arn),
            &f.version,
        );
        let request_id = &req.request_id;
        let mut log = lines;
        log.push(line(platform::start(request_id, &f.version.to_string())));
        log.push(line(format!(
            "{} {request_id} Init failed: {error_type}",
            now_iso()
        )));
        log.push(line(platform::end(request_id)));
        self.inner
            .logs
            .append(&f.settings.logging.log_group, stream, &log);
        InvokeResponse {
            payload: body,
            function_error: true,
            log_result: req.tail.then(|| encode_tail(&platform::tail(&log))),
            executed_version: f.version.to_string(),
            request_id: request_id.clone(),
        }
    }

    fn stream_name(&self, f: &FunctionVersion, env_id: &str) -> String {
        stream_name(f, env_id)
    }
}

/// `YYYY/MM/DD/[VERSION]<env id>`, the log stream of a new environment.
pub(crate) fn stream_name(f: &FunctionVersion, env_id: &str) -> String {
    format!(
        "{}/[{}]{env_id}",
        chrono::Utc::now().format("%Y/%m/%d"),
        f.version
    )
}

/// Hands `req` to the runtime of `env`, raced against the timeout and the runtime's end.
pub(crate) async fn run<B: Backend>(env: &mut Environment<B>, req: &InvokeRequest) -> Ended {
    let request_id = &req.request_id;
    let timeout = Duration::from_secs(u64::from(req.function.settings.timeout));
    let deadline_ms = chrono::Utc::now().timestamp_millis() as u64 + timeout.as_millis() as u64;
    let inv = Invocation {
        request_id: request_id.clone(),
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

/// `X-Amz-Log-Result`: base64 of the log's tail.
pub(crate) fn encode_tail(tail: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(tail)
}
