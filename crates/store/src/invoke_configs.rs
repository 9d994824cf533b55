//! Per-qualifier asynchronous invocation settings.

use sqlx::Row;
use stratus_model::invoke_config::EventInvokeRecord;

use crate::error::{decode, encode};
use crate::{Store, StoreError, Tx};

impl Store {
    /// The settings of one qualifier.
    pub async fn event_invoke_config(
        &self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<EventInvokeRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT record FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
        )
        .bind(function)
        .bind(qualifier)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| decode("event invoke config", r.try_get::<&str, _>("record")?))
            .transpose()
    }

    /// Every qualifier's settings of a function, as (qualifier, record).
    pub async fn event_invoke_configs(
        &self,
        function: &str,
    ) -> Result<Vec<(String, EventInvokeRecord)>, StoreError> {
        let rows = sqlx::query(
            "SELECT qualifier, record FROM event_invoke_configs WHERE function_name = ? ORDER BY qualifier",
        )
        .bind(function)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("qualifier")?,
                    decode("event invoke config", r.try_get::<&str, _>("record")?)?,
                ))
            })
            .collect()
    }
}

impl Tx {
    /// The settings of one qualifier, read inside this transaction.
    pub async fn event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<Option<EventInvokeRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT record FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
        )
        .bind(function)
        .bind(qualifier)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| decode("event invoke config", r.try_get::<&str, _>("record")?))
            .transpose()
    }

    /// Inserts or replaces one qualifier's settings.
    pub async fn put_event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
        record: &EventInvokeRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO event_invoke_configs (function_name, qualifier, record) VALUES (?, ?, ?)
             ON CONFLICT(function_name, qualifier) DO UPDATE SET record = excluded.record",
        )
        .bind(function)
        .bind(qualifier)
        .bind(encode(record))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes one qualifier's settings; true if they existed.
    pub async fn delete_event_invoke_config(
        &mut self,
        function: &str,
        qualifier: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
        )
        .bind(function)
        .bind(qualifier)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
