//! The dead-letter API (a Stratus extension): list, show, redrive and discard the events
//! of a function that no destination took, over the store's queue traits.
//!
//! A redrive is one committed write (the dead letter moves back into the queue, received
//! now, its retries reset), so it survives `kill -9`; after the commit the redrive hook
//! tells the dispatcher there is work.

use std::sync::Arc;

use stratus_model::dead_letter::{DeadLetterDetail, DeadLetterPage, DeadLetterSummary, Redriven};
use stratus_model::requests::Paging;
use stratus_model::{time, FunctionRef, LambdaError};
use stratus_store::queue::DeadLetter;
use stratus_store::{StoreError, WriteTx};

use crate::internal::{self, OrInternal};
use crate::{Control, Result};

/// Called with a function's name after some of its dead letters were redriven into the
/// queue (committed), so the dispatcher can look for work.
pub type RedriveHook = Arc<dyn Fn(&str) + Send + Sync>;

/// Most dead letters one page may be asked for, and the page size when none is asked.
const MAX_ITEMS: i64 = 10_000;
const PAGE_CAP: usize = 100;

fn summary(d: &DeadLetter) -> DeadLetterSummary {
    DeadLetterSummary {
        request_id: d.id.clone(),
        function_name: d.function.clone(),
        qualifier: d.qualifier.clone(),
        received_at: time::timestamp(d.received_at),
        failed_at: time::timestamp(d.failed_at),
        attempts: d.attempts,
        condition: d.failure.condition.clone(),
        error_type: d.failure.error_type.clone(),
        error_message: d.failure.error_message.clone(),
        payload_size: d.payload.len() as u64,
    }
}

impl Control {
    /// Registers the hook told about redriven dead letters (set once, at wiring time).
    pub fn on_redrive(&self, hook: RedriveHook) {
        if self.inner.on_redrive.set(hook).is_err() {
            tracing::warn!("redrive hook set twice; keeping the first");
        }
    }

    fn redriven(&self, function: &str, count: u64) {
        tracing::info!(function, count, "dead letters redriven");
        if count > 0 {
            if let Some(hook) = self.inner.on_redrive.get() {
                hook(function);
            }
        }
    }

    /// The plain name of an existing function, or 404.
    async fn dead_letter_function(&self, function: &str) -> Result<String> {
        let name = FunctionRef::parse_unqualified(function, self.scope())?;
        self.function_row(&name).await?;
        Ok(name)
    }

    fn no_dead_letter(&self, name: &str, id: &str) -> LambdaError {
        LambdaError::not_found(format!(
            "Dead letter not found: no event with request id {id} is dead-lettered for {}",
            self.scope().function_arn(name)
        ))
    }

    /// The dead letter `id` of function `name`, or 404.
    async fn dead_letter_of(&self, name: &str, id: &str) -> Result<DeadLetter> {
        self.store()
            .dead_letter(id)
            .await
            .internal()?
            .filter(|d| d.function == name)
            .ok_or_else(|| self.no_dead_letter(name, id))
    }

    /// A function's dead letters, oldest failure first.
    pub async fn list_dead_letters(
        &self,
        function: &str,
        marker: Option<String>,
        max_items: Option<i64>,
    ) -> Result<DeadLetterPage> {
        let name = self.dead_letter_function(function).await?;
        let paging = Paging::new(marker, max_items, MAX_ITEMS, PAGE_CAP)?;
        let after = paging
            .marker
            .as_deref()
            .map(|m| {
                m.parse::<i64>()
                    .map_err(|_| LambdaError::invalid(format!("Invalid marker: {m}")))
            })
            .transpose()?;
        let mut page = self
            .store()
            .dead_letters(&name, after, paging.max_items + 1)
            .await
            .internal()?;
        let next_marker = (page.len() > paging.max_items).then(|| {
            page.truncate(paging.max_items);
            page.last().map(|d| d.seq.to_string()).unwrap_or_default()
        });
        Ok(DeadLetterPage {
            dead_letters: page.iter().map(summary).collect(),
            next_marker,
        })
    }

    /// One dead letter with its event.
    pub async fn get_dead_letter(&self, function: &str, id: &str) -> Result<DeadLetterDetail> {
        let name = self.dead_letter_function(function).await?;
        let d = self.dead_letter_of(&name, id).await?;
        Ok(DeadLetterDetail {
            summary: summary(&d),
            payload: String::from_utf8_lossy(&d.payload).into_owned(),
        })
    }

    /// Puts one dead letter back into the queue.
    pub async fn redrive_dead_letter(&self, function: &str, id: &str) -> Result<Redriven> {
        let name = self.dead_letter_function(function).await?;
        self.dead_letter_of(&name, id).await?;
        let mut tx = self.store().begin().await.internal()?;
        let moved = tx.redrive(id, chrono::Utc::now()).await;
        let moved = self.queued_already(moved, &name, id)?;
        if !moved {
            return Err(self.no_dead_letter(&name, id));
        }
        commit(tx).await?;
        self.redriven(&name, 1);
        Ok(Redriven { redriven: 1 })
    }

    /// Puts every dead letter of a function back into the queue.
    pub async fn redrive_dead_letters(&self, function: &str) -> Result<Redriven> {
        let name = self.dead_letter_function(function).await?;
        let mut tx = self.store().begin().await.internal()?;
        let moved = tx.redrive_function(&name, chrono::Utc::now()).await;
        let count = self.queued_already(moved, &name, "")?;
        commit(tx).await?;
        self.redriven(&name, count);
        Ok(Redriven { redriven: count })
    }

    /// Discards one dead letter for good.
    pub async fn delete_dead_letter(&self, function: &str, id: &str) -> Result<()> {
        let name = self.dead_letter_function(function).await?;
        self.dead_letter_of(&name, id).await?;
        let mut tx = self.store().begin().await.internal()?;
        if !tx.discard_dead_letter(id).await.internal()? {
            return Err(self.no_dead_letter(&name, id));
        }
        commit(tx).await?;
        tracing::info!(function = %name, request_id = id, "dead letter discarded");
        Ok(())
    }

    /// A redrive refused because an event with the same request id is queued already.
    fn queued_already<T>(
        &self,
        r: std::result::Result<T, StoreError>,
        name: &str,
        id: &str,
    ) -> Result<T> {
        r.map_err(|e| match e {
            StoreError::Conflict(_) => LambdaError::conflict(format!(
                "An event with the request id of a dead letter{} is still queued for {}; redrive it once that event has finished",
                if id.is_empty() { String::new() } else { format!(" ({id})") },
                self.scope().function_arn(name)
            )),
            other => internal::log(other),
        })
    }
}

/// Commits a dead-letter change. No metadata changed, so cached invoke targets stay valid.
async fn commit(tx: Box<dyn WriteTx>) -> Result<()> {
    tx.commit().await.internal()
}
