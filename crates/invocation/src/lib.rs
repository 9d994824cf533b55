//! The one entry point for every invocation, whoever produces it.
//!
//! A producer (the `Invoke` and `InvokeAsync` APIs, the async dispatcher; function URLs,
//! schedules and queue pollers later) builds an [`InvocationRequest`] and calls [`Invocations::invoke`]; it
//! gets an [`InvocationOutcome`] or a [`LambdaError`] back. The rules of an invocation live
//! here and nowhere else: the payload limit and JSON check, the client context, resolving the
//! function and qualifier through the control plane, dispatching by invocation type (an Event is
//! committed to the store's queue through its group commit before it is acknowledged), and
//! turning the engine's failures into Lambda's errors. This crate must not parse HTTP (its
//! producers translate their own wire formats) and must not reach into the environment pool:
//! it calls the engine's one entry point, [`stratus_engine::Engine::invoke`].

mod invoke;
mod outcome;
mod queue;
mod request;

use stratus_control::Control;
use stratus_engine::Engine;

pub use outcome::{FunctionError, InvocationOutcome, SyncResult};
pub use queue::AsyncQueue;
pub use request::{InvocationRequest, InvocationSource, LogType};
pub use stratus_model::invoke::InvocationType;
pub use stratus_model::LambdaError;

/// The invocation service; cheap to clone (shared handles).
#[derive(Debug, Clone)]
pub struct Invocations {
    control: Control,
    engine: Engine,
    queue: Option<AsyncQueue>,
}

impl Invocations {
    /// The service over the control plane (resolution) and the engine (execution). Event
    /// invocations are refused until a queue is given ([`Invocations::with_queue`]).
    pub fn new(control: Control, engine: Engine) -> Self {
        Self {
            control,
            engine,
            queue: None,
        }
    }

    /// The same service, accepting Event invocations into `queue`.
    pub fn with_queue(mut self, queue: AsyncQueue) -> Self {
        self.queue = Some(queue);
        self
    }
}
