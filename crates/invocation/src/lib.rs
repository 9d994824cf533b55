//! The one entry point for every invocation, whoever produces it.
//!
//! A producer (the `Invoke` API today; the async dispatcher, function URLs, schedules and
//! queue pollers later) builds an [`InvocationRequest`] and calls [`Invocations::invoke`]; it
//! gets an [`InvocationOutcome`] or a [`LambdaError`] back. The rules of an invocation live
//! here and nowhere else: the payload limit and JSON check, the client context, resolving the
//! function and qualifier through the control plane, dispatching by invocation type, and
//! turning the engine's failures into Lambda's errors. This crate must not parse HTTP (its
//! producers translate their own wire formats) and must not reach into the environment pool:
//! it calls the engine's one entry point, [`stratus_engine::Engine::invoke`].

mod invoke;
mod outcome;
mod request;

use stratus_control::Control;
use stratus_engine::Engine;

pub use outcome::{FunctionError, InvocationOutcome, SyncResult};
pub use request::{InvocationRequest, InvocationSource, LogType};
pub use stratus_model::invoke::InvocationType;
pub use stratus_model::LambdaError;

/// The invocation service; cheap to clone (two shared handles).
#[derive(Debug, Clone)]
pub struct Invocations {
    control: Control,
    engine: Engine,
}

impl Invocations {
    /// The service over the control plane (resolution) and the engine (execution).
    pub fn new(control: Control, engine: Engine) -> Self {
        Self { control, engine }
    }
}
