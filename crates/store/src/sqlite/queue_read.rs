//! Committed reads of the queue and the dead letters, from the read pool.

use async_trait::async_trait;

use super::{dead_letters, queue_events, SqliteStore};
use crate::queue::{DeadLetter, FunctionQueueStats, QueueRead, QueuedEvent};
use crate::StoreError;

#[async_trait]
impl QueueRead for SqliteStore {
    async fn queued_event(&self, id: &str) -> Result<Option<QueuedEvent>, StoreError> {
        queue_events::get(&self.read, id).await
    }

    async fn queue_depth(&self, function: &str) -> Result<u64, StoreError> {
        queue_events::depth(&self.read, function).await
    }

    async fn queue_stats(&self) -> Result<Vec<FunctionQueueStats>, StoreError> {
        queue_events::stats(&self.read).await
    }

    async fn dead_letter(&self, id: &str) -> Result<Option<DeadLetter>, StoreError> {
        dead_letters::get(&self.read, id).await
    }

    async fn dead_letters(
        &self,
        function: &str,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        dead_letters::list(&self.read, function, after, limit).await
    }
}
