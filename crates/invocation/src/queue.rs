//! Accepting an Event invocation: the event goes through the store's group commit, and the
//! dispatcher is woken once it is durable.

use std::sync::Arc;

use bytes::Bytes;
use stratus_model::LambdaError;
use stratus_store::queue::{GroupCommit, NewEvent};
use tokio::sync::Notify;

/// Where accepted events go: the durable queue, and the dispatcher's wake-up.
#[derive(Debug, Clone)]
pub struct AsyncQueue {
    commit: GroupCommit,
    enqueued: Arc<Notify>,
}

impl AsyncQueue {
    /// Events are committed by `commit`; `enqueued` is notified after each commit (the
    /// dispatcher waits on it).
    pub fn new(commit: GroupCommit, enqueued: Arc<Notify>) -> Self {
        Self { commit, enqueued }
    }

    /// Stores one event; returns once its transaction has committed. The payload is moved
    /// into the event (no copy when the buffer is not shared).
    pub(crate) async fn accept(
        &self,
        id: String,
        function: &str,
        qualifier: &str,
        payload: Bytes,
    ) -> Result<(), LambdaError> {
        let event = NewEvent {
            id,
            function: function.to_owned(),
            qualifier: qualifier.to_owned(),
            payload: Vec::from(payload),
            received_at: chrono::Utc::now(),
        };
        let id = event.id.clone();
        self.commit.enqueue(event).await.map_err(|error| {
            tracing::error!(function, request_id = %id, %error, "cannot queue the event");
            LambdaError::internal()
        })?;
        self.enqueued.notify_one();
        metrics::counter!("stratus_async_events_received_total", "function" => function.to_owned())
            .increment(1);
        Ok(())
    }
}

/// The qualifier an invoked ARN names: the part after `function:<name>:`, or `$LATEST`.
pub(crate) fn invoked_qualifier(invoked_arn: &str) -> &str {
    invoked_arn
        .splitn(8, ':')
        .nth(7)
        .filter(|q| !q.is_empty())
        .unwrap_or("$LATEST")
}

#[cfg(test)]
mod tests {
    use super::invoked_qualifier;

    #[test]
    fn the_qualifier_comes_from_the_invoked_arn() {
        let base = "arn:aws:lambda:us-east-1:123456789012:function:f";
        assert_eq!(invoked_qualifier(base), "$LATEST");
        assert_eq!(invoked_qualifier(&format!("{base}:$LATEST")), "$LATEST");
        assert_eq!(invoked_qualifier(&format!("{base}:3")), "3");
        assert_eq!(invoked_qualifier(&format!("{base}:live")), "live");
    }
}
