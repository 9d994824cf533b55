//! Per-qualifier asynchronous invocation settings, in table `event_invoke_configs`.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqliteExecutor};
use stratus_model::invoke_config::EventInvokeRecord;

use crate::records::{decode, encode, StoredEventInvokeConfig};
use crate::StoreError;

fn config_record(row: &SqliteRow) -> Result<EventInvokeRecord, StoreError> {
    decode::<StoredEventInvokeConfig>(row.try_get::<&str, _>("record")?)
        .map(EventInvokeRecord::from)
}

pub(super) async fn get_config<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
    qualifier: &str,
) -> Result<Option<EventInvokeRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT record FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
    )
    .bind(function)
    .bind(qualifier)
    .fetch_optional(e)
    .await?;
    row.as_ref().map(config_record).transpose()
}

pub(super) async fn list_configs<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
) -> Result<Vec<(String, EventInvokeRecord)>, StoreError> {
    let rows = sqlx::query(
        "SELECT qualifier, record FROM event_invoke_configs WHERE function_name = ? ORDER BY qualifier",
    )
    .bind(function)
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("qualifier")?, config_record(r)?)))
        .collect()
}

pub(super) async fn put_config(
    c: &mut SqliteConnection,
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
    .bind(encode(&StoredEventInvokeConfig::from(record)))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn delete_config(
    c: &mut SqliteConnection,
    function: &str,
    qualifier: &str,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?")
            .bind(function)
            .bind(qualifier)
            .execute(c)
            .await?;
    Ok(done.rows_affected() > 0)
}
