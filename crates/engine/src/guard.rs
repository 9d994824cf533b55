//! The invocation in flight, and what happens when its caller goes away.
//!
//! Between leaving the pool and returning to it, an environment belongs to an [`InFlight`].
//! The invoke future can be dropped at any await (an HTTP client that disconnects drops the
//! handler's future); the environment then cannot go back to the pool (its runtime is in
//! the middle of the invocation) and must not be dropped where it is (killing a sandbox
//! waits for its processes, which would stall an async worker). So the guard's `Drop`
//! hands it to a blocking thread that kills it, finishes its captured output with the
//! invocation's END and REPORT lines, and only then releases the concurrency slot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stratus_logs::platform;

use crate::admission::Slot;
use crate::environment::Environment;
use crate::invoke::{now_iso, Ended, InvokeRequest};
use crate::seams::{Backend, Jail, Runtime};
use crate::Engine;

/// An environment running one invocation.
pub(crate) struct InFlight<'a, B: Backend> {
    engine: &'a Engine<B>,
    req: &'a InvokeRequest,
    env: Option<Environment<B>>,
    slot: Option<Slot>,
    started: Instant,
}

/// What a finished invocation hands back.
pub(crate) struct Landed<B: Backend> {
    pub(crate) env: Environment<B>,
    pub(crate) slot: Slot,
    pub(crate) duration: Duration,
}

impl<'a, B: Backend> InFlight<'a, B> {
    /// Starts the invocation's clock (its START is in the environment's output already).
    pub(crate) fn new(
        engine: &'a Engine<B>,
        req: &'a InvokeRequest,
        env: Environment<B>,
        slot: Slot,
    ) -> Self {
        engine.inner.busy.enter();
        Self {
            engine,
            req,
            env: Some(env),
            slot: Some(slot),
            started: Instant::now(),
        }
    }

    /// Runs the invocation.
    pub(crate) async fn run(&mut self) -> Ended {
        match self.env.as_mut() {
            Some(env) => crate::invoke::run(env, self.req).await,
            None => Ended::Broken(
                crate::error::function_error("Runtime.Unknown", "the environment is gone"),
                None,
            ),
        }
    }

    /// The invocation finished: the environment is the caller's again.
    pub(crate) fn land(mut self) -> Option<Landed<B>> {
        let duration = self.started.elapsed();
        let env = self.env.take()?;
        self.engine.inner.busy.leave();
        Some(Landed {
            env,
            slot: self.slot.take()?,
            duration,
        })
    }
}

impl<B: Backend> Drop for InFlight<'_, B> {
    fn drop(&mut self) {
        let Some(mut env) = self.env.take() else {
            return;
        };
        let f = Arc::clone(&self.req.function);
        let request_id = self.req.request_id.clone();
        tracing::info!(function = %f.function_name, request_id = %request_id, env = %env.id,
            "invocation abandoned by its caller; destroying its environment");
        env.api.shutdown();
        self.engine.inner.busy.leave();
        crate::metrics::handles(
            &mut env.metrics,
            &f.function_name,
            crate::metrics::resource(&self.req.invoked_arn),
            &f.version,
        )
        .record(true, self.started.elapsed());
        let slot = self.slot.take();
        let started = self.started;
        let finish = move || {
            // The whole environment moves here, not only the fields used below (closures
            // capture fields): its uid must be given back after the kill, not before.
            let mut env = env;
            let abandoned = format!(
                "{} {request_id} Invocation abandoned: the caller went away",
                now_iso()
            );
            if let Err(e) = env.sandbox.kill() {
                tracing::warn!(env = %env.id, error = %e, "environment did not die cleanly");
            }
            let peak = env.sandbox.memory_peak_bytes().unwrap_or(0);
            let report = platform::report(
                &request_id,
                &platform::Report {
                    duration: started.elapsed(),
                    memory_mb: f.settings.memory_size,
                    max_memory_used_mb: peak.div_ceil(1024 * 1024),
                    init: env.pending_init.take(),
                },
            );
            // Everything the environment printed is in its pipes or read by now.
            env.output.finish(
                &request_id,
                true,
                [abandoned, platform::end(&request_id), report],
                false,
            );
            // The slot and the uid are free once the environment is gone.
            drop(env);
            drop(slot);
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(finish)),
            Err(_) => finish(),
        }
    }
}
