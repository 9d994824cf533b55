//! The queue part of a write transaction, on the writer connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{dead_letters, queue_claim, queue_events, SqliteTx};
use crate::queue::{ClaimRequest, Failure, NewEvent, QueueWrite, QueuedEvent, Release};
use crate::StoreError;

#[async_trait]
impl QueueWrite for SqliteTx {
    async fn enqueue(&mut self, event: &NewEvent) -> Result<(), StoreError> {
        queue_events::enqueue(&mut self.tx, event).await
    }

    async fn enqueue_batch(&mut self, events: &[&NewEvent]) -> Result<Vec<usize>, StoreError> {
        queue_events::enqueue_batch(&mut self.tx, events).await
    }

    async fn claim(&mut self, request: &ClaimRequest<'_>) -> Result<Vec<QueuedEvent>, StoreError> {
        queue_claim::claim(&mut self.tx, &self.rotation, request).await
    }

    async fn complete(&mut self, id: &str, owner: &str) -> Result<bool, StoreError> {
        queue_events::complete(&mut self.tx, id, owner).await
    }

    async fn release(
        &mut self,
        id: &str,
        owner: &str,
        release: &Release,
    ) -> Result<bool, StoreError> {
        queue_events::release(&mut self.tx, id, owner, release).await
    }

    async fn expire_leases(&mut self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        queue_events::expire_leases(&mut self.tx, now).await
    }

    async fn dead_letter(
        &mut self,
        id: &str,
        owner: &str,
        failure: &Failure,
        failed_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        dead_letters::move_to_dead_letters(&mut self.tx, id, owner, failure, failed_at).await
    }

    async fn redrive(&mut self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        dead_letters::redrive(&mut self.tx, id, now).await
    }

    async fn redrive_function(
        &mut self,
        function: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        dead_letters::redrive_function(&mut self.tx, function, now).await
    }

    async fn discard_dead_letter(&mut self, id: &str) -> Result<bool, StoreError> {
        dead_letters::discard(&mut self.tx, id).await
    }
}
