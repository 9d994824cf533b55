//! Alias records, in table `aliases`.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqliteExecutor};
use stratus_model::alias::AliasRecord;

use crate::records::{decode, encode, StoredAlias};
use crate::StoreError;

fn alias_record(row: &SqliteRow) -> Result<AliasRecord, StoreError> {
    decode::<StoredAlias>(row.try_get::<&str, _>("record")?).map(AliasRecord::from)
}

pub(super) async fn get_alias<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
    name: &str,
) -> Result<Option<AliasRecord>, StoreError> {
    let row = sqlx::query("SELECT record FROM aliases WHERE function_name = ? AND name = ?")
        .bind(function)
        .bind(name)
        .fetch_optional(e)
        .await?;
    row.as_ref().map(alias_record).transpose()
}

pub(super) async fn list_aliases<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
) -> Result<Vec<AliasRecord>, StoreError> {
    let rows = sqlx::query("SELECT record FROM aliases WHERE function_name = ? ORDER BY name")
        .bind(function)
        .fetch_all(e)
        .await?;
    rows.iter().map(alias_record).collect()
}

pub(super) async fn put_alias(
    c: &mut SqliteConnection,
    function: &str,
    alias: &AliasRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO aliases (function_name, name, record) VALUES (?, ?, ?)
         ON CONFLICT(function_name, name) DO UPDATE SET record = excluded.record",
    )
    .bind(function)
    .bind(&alias.name)
    .bind(encode(&StoredAlias::from(alias)))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn delete_alias(
    c: &mut SqliteConnection,
    function: &str,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM aliases WHERE function_name = ? AND name = ?")
        .bind(function)
        .bind(name)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?")
        .bind(function)
        .bind(name)
        .execute(&mut *c)
        .await?;
    super::provisioned::delete_configs(c, function, Some(name)).await?;
    Ok(())
}
