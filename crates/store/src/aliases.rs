//! Alias records.

use sqlx::{Row, SqliteExecutor};
use stratus_model::alias::AliasRecord;

use crate::error::{decode, encode};
use crate::{Store, StoreError, Tx};

async fn get_alias<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
    name: &str,
) -> Result<Option<AliasRecord>, StoreError> {
    let row = sqlx::query("SELECT record FROM aliases WHERE function_name = ? AND name = ?")
        .bind(function)
        .bind(name)
        .fetch_optional(e)
        .await?;
    row.map(|r| decode("alias", r.try_get::<&str, _>("record")?))
        .transpose()
}

async fn list_aliases<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
) -> Result<Vec<AliasRecord>, StoreError> {
    let rows = sqlx::query("SELECT record FROM aliases WHERE function_name = ? ORDER BY name")
        .bind(function)
        .fetch_all(e)
        .await?;
    rows.iter()
        .map(|r| decode("alias", r.try_get::<&str, _>("record")?))
        .collect()
}

impl Store {
    /// One alias.
    pub async fn alias(
        &self,
        function: &str,
        name: &str,
    ) -> Result<Option<AliasRecord>, StoreError> {
        get_alias(&self.read, function, name).await
    }

    /// Every alias of a function, by name.
    pub async fn aliases(&self, function: &str) -> Result<Vec<AliasRecord>, StoreError> {
        list_aliases(&self.read, function).await
    }
}

impl Tx {
    /// One alias, read inside this transaction.
    pub async fn alias(
        &mut self,
        function: &str,
        name: &str,
    ) -> Result<Option<AliasRecord>, StoreError> {
        get_alias(&mut *self.tx, function, name).await
    }

    /// Every alias of a function, read inside this transaction.
    pub async fn aliases(&mut self, function: &str) -> Result<Vec<AliasRecord>, StoreError> {
        list_aliases(&mut *self.tx, function).await
    }

    /// Inserts or replaces an alias.
    pub async fn put_alias(
        &mut self,
        function: &str,
        alias: &AliasRecord,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO aliases (function_name, name, record) VALUES (?, ?, ?)
             ON CONFLICT(function_name, name) DO UPDATE SET record = excluded.record",
        )
        .bind(function)
        .bind(&alias.name)
        .bind(encode(alias))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes an alias and its per-qualifier settings.
    pub async fn delete_alias(&mut self, function: &str, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM aliases WHERE function_name = ? AND name = ?")
            .bind(function)
            .bind(name)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?")
            .bind(function)
            .bind(name)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}
