//! The engine's handle on one environment's Runtime API.

use std::sync::Arc;
use std::time::Instant;

use crate::error::{InitFailure, InvokeError};
use crate::runtime::next;
use crate::server;
use crate::state::Shared;
use crate::types::{Invocation, Limits, Outcome};

/// Engine-side handle of one environment's Runtime API. Dropping it shuts the server down.
pub struct RuntimeApi {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RuntimeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeApi")
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}

impl RuntimeApi {
    /// Starts serving on `listener` (spawned on the current tokio runtime) and returns the handle.
    ///
    /// Fails when called outside a tokio runtime or when the listener cannot be registered.
    pub fn serve(listener: std::net::TcpListener, limits: Limits) -> std::io::Result<RuntimeApi> {
        let shared = Arc::new(Shared::new(limits));
        server::spawn(listener, Arc::clone(&shared))?;
        Ok(RuntimeApi { shared })
    }

    /// Waits until the runtime's first `GET /next` (`Ok`) or its `POST /init/error` (`Err`).
    /// Never times out by itself: the caller wraps it in its own timeout.
    pub async fn ready(&self) -> Result<(), InitFailure> {
        self.shared.ready().await
    }

    /// Hands one invocation to the runtime (on its pending or next `/next`) and resolves when
    /// the runtime posts `/response` or `/error` for it.
    ///
    /// One invocation at a time: [`InvokeError::Busy`] if another is queued or in flight.
    /// Dropping the future forgets the invocation, so the environment is idle again (a late
    /// `/response` for it gets 400).
    pub async fn invoke(&self, inv: Invocation) -> Result<Outcome, InvokeError> {
        let (request_id, response) = next::render(inv)?;
        let (generation, rx) = self.shared.enqueue(request_id, response)?;
        let mut guard = CancelOnDrop {
            shared: &self.shared,
            generation: Some(generation),
        };
        let result = rx.await;
        // Answered (or failed by init error / shutdown): the slot no longer holds this one.
        guard.generation = None;
        result.unwrap_or(Err(InvokeError::Shutdown))
    }

    /// When the runtime first called `/next` (cold start split: sandbox ready → first `/next`).
    pub fn first_next_at(&self) -> Option<Instant> {
        self.shared.first_next_at()
    }

    /// Stops serving and closes every connection; a pending invocation fails with
    /// [`InvokeError::Shutdown`]. Idempotent.
    pub fn shutdown(&self) {
        self.shared.close();
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// Clears the slot if an `invoke` future is dropped before its answer arrived.
struct CancelOnDrop<'a> {
    shared: &'a Shared,
    generation: Option<u64>,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(generation) = self.generation {
            tracing::debug!(generation, "invocation abandoned by the engine");
            self.shared.cancel(generation);
        }
    }
}
