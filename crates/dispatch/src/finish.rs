//! The end of an event: the hook that hands it to its destinations or dead-letter target.
//!
//! The dispatcher describes an ended event as a [`stratus_destinations::EventEnd`] and
//! calls [`Finish::finish`]; the server's implementation is the
//! [`stratus_destinations::Deliverer`], whose function targets are events queued through
//! the invocation service ([`InvocationSink`]). Tests use [`NoTargets`] or their own.

use async_trait::async_trait;
use bytes::Bytes;
use stratus_destinations::{Deliverer, FunctionSink};
use stratus_invocation::{InvocationRequest, InvocationSource, InvocationType, Invocations};

pub use stratus_destinations::EventEnd;

/// What happens to an event at its end, besides leaving the queue.
#[async_trait]
pub trait Finish: Send + Sync {
    /// An event's end; Ok = taken (nothing more to do), Err(reason) = no target took it.
    async fn finish(&self, end: &EventEnd<'_>) -> Result<(), String>;
}

/// No delivery at all: a success needs nothing more; a failure is taken by no one (the
/// dispatcher keeps it in the store's dead letters).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTargets;

#[async_trait]
impl Finish for NoTargets {
    async fn finish(&self, end: &EventEnd<'_>) -> Result<(), String> {
        if end.condition.is_success() {
            Ok(())
        } else {
            Err("no destination configured".to_owned())
        }
    }
}

#[async_trait]
impl Finish for Deliverer {
    async fn finish(&self, end: &EventEnd<'_>) -> Result<(), String> {
        Deliverer::finish(self, end).await
    }
}

/// Function targets of destinations and dead-letter configs: an `Event` invocation of the
/// target through the invocation service, acknowledged once it is queued (committed).
#[derive(Debug, Clone)]
pub struct InvocationSink {
    invocations: Invocations,
}

impl InvocationSink {
    /// Queues through `invocations` (which must have its queue).
    pub fn new(invocations: Invocations) -> Self {
        Self { invocations }
    }
}

#[async_trait]
impl FunctionSink for InvocationSink {
    async fn enqueue(&self, function_arn: &str, payload: Bytes) -> Result<(), String> {
        let request_id = uuid::Uuid::new_v4().to_string();
        self.invocations
            .invoke(InvocationRequest {
                function: function_arn,
                qualifier: None,
                invocation_type: InvocationType::Event,
                payload,
                client_context: None,
                log_type: Default::default(),
                request_id,
                source: InvocationSource::Destination,
            })
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
