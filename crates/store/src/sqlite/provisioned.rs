//! Provisioned concurrency requests per qualifier, in table `provisioned_concurrency`.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqliteExecutor};
use stratus_model::provisioned::ProvisionedRecord;

use crate::records::{decode, encode, StoredProvisionedConfig};
use crate::StoreError;

fn record(row: &SqliteRow) -> Result<ProvisionedRecord, StoreError> {
    decode::<StoredProvisionedConfig>(row.try_get::<&str, _>("record")?)
        .map(ProvisionedRecord::from)
}

pub(super) async fn get_config<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
    qualifier: &str,
) -> Result<Option<ProvisionedRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT record FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?",
    )
    .bind(function)
    .bind(qualifier)
    .fetch_optional(e)
    .await?;
    row.as_ref().map(record).transpose()
}

/// (function, qualifier, record) of `only` (or of every function), by function then qualifier.
pub(super) async fn list_configs<'e>(
    e: impl SqliteExecutor<'e>,
    only: Option<&str>,
) -> Result<Vec<(String, String, ProvisionedRecord)>, StoreError> {
    let rows = sqlx::query(
        "SELECT function_name, qualifier, record FROM provisioned_concurrency
         WHERE ?1 IS NULL OR function_name = ?1 ORDER BY function_name, qualifier",
    )
    .bind(only)
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("function_name")?,
                r.try_get("qualifier")?,
                record(r)?,
            ))
        })
        .collect()
}

pub(super) async fn put_config(
    c: &mut SqliteConnection,
    function: &str,
    qualifier: &str,
    r: &ProvisionedRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO provisioned_concurrency (function_name, qualifier, record) VALUES (?, ?, ?)
         ON CONFLICT(function_name, qualifier) DO UPDATE SET record = excluded.record",
    )
    .bind(function)
    .bind(qualifier)
    .bind(encode(&StoredProvisionedConfig::from(r)))
    .execute(c)
    .await?;
    Ok(())
}

/// Deletes one qualifier's request (`qualifier` None: every request of the function).
pub(super) async fn delete_configs(
    c: &mut SqliteConnection,
    function: &str,
    qualifier: Option<&str>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "DELETE FROM provisioned_concurrency WHERE function_name = ?1 AND (?2 IS NULL OR qualifier = ?2)",
    )
    .bind(function)
    .bind(qualifier)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}
