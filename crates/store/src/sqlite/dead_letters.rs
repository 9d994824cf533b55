//! Dead letters, in table `dead_letters`: moving failed events there, reading them, and
//! redriving them back into `queue_events`.
//!
//! Moves are one INSERT … SELECT and one DELETE inside the caller's transaction, so an
//! event is in exactly one of the two tables at every commit.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqliteExecutor};

use super::millis::{from_ms, to_ms};
use crate::queue::{DeadLetter, Failure};
use crate::records::{decode, encode, StoredFailure};
use crate::StoreError;

const COLUMNS: &str = "seq, id, function_name, qualifier, payload, received_at_ms, attempts, \
     failed_at_ms, failure";

fn dead_letter_row(row: &SqliteRow) -> Result<DeadLetter, StoreError> {
    Ok(DeadLetter {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        function: row.try_get("function_name")?,
        qualifier: row.try_get("qualifier")?,
        payload: row.try_get("payload")?,
        received_at: from_ms("receive", row.try_get("received_at_ms")?)?,
        attempts: row.try_get::<u32, _>("attempts")?,
        failed_at: from_ms("failure", row.try_get("failed_at_ms")?)?,
        failure: decode::<StoredFailure>(row.try_get::<&str, _>("failure")?)?.into(),
    })
}

pub(super) async fn move_to_dead_letters(
    c: &mut SqliteConnection,
    id: &str,
    owner: &str,
    failure: &Failure,
    failed_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let moved = sqlx::query(
        "INSERT INTO dead_letters
             (id, function_name, qualifier, payload, received_at_ms, attempts, failed_at_ms, failure)
         SELECT id, function_name, qualifier, payload, received_at_ms, attempts, ?, ?
         FROM queue_events WHERE id = ? AND lease_owner = ?
         ON CONFLICT(id) DO UPDATE SET
             function_name = excluded.function_name, qualifier = excluded.qualifier,
             payload = excluded.payload, received_at_ms = excluded.received_at_ms,
             attempts = excluded.attempts, failed_at_ms = excluded.failed_at_ms,
             failure = excluded.failure",
    )
    .bind(to_ms(failed_at))
    .bind(encode(&StoredFailure::from(failure)))
    .bind(id)
    .bind(owner)
    .execute(&mut *c)
    .await?;
    if moved.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM queue_events WHERE id = ?")
        .bind(id)
        .execute(c)
        .await?;
    Ok(true)
}

/// Moves the dead letters matching `filter` (`id = ?` or `function_name = ?`, bound to
/// `key`) back into the queue, received at `now`; how many. A conflict with an event
/// still queued is [`StoreError::Conflict`], the caller's transaction then rolls back.
async fn redrive_where(
    c: &mut SqliteConnection,
    filter: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let now = to_ms(now);
    let inserted = sqlx::query(&format!(
        "INSERT INTO queue_events
             (id, function_name, qualifier, payload, received_at_ms, not_before_ms)
         SELECT id, function_name, qualifier, payload, ?, ?
         FROM dead_letters WHERE {filter} ORDER BY seq
         ON CONFLICT(id) DO NOTHING"
    ))
    .bind(now)
    .bind(now)
    .bind(key)
    .execute(&mut *c)
    .await?
    .rows_affected();
    let deleted = sqlx::query(&format!("DELETE FROM dead_letters WHERE {filter}"))
        .bind(key)
        .execute(c)
        .await?
        .rows_affected();
    if inserted != deleted {
        return Err(StoreError::Conflict(format!(
            "a queued event with the id of a dead letter ({key})"
        )));
    }
    Ok(inserted)
}

pub(super) async fn redrive(
    c: &mut SqliteConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(redrive_where(c, "id = ?", id, now).await? > 0)
}

pub(super) async fn redrive_function(
    c: &mut SqliteConnection,
    function: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    redrive_where(c, "function_name = ?", function, now).await
}

pub(super) async fn discard(c: &mut SqliteConnection, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM dead_letters WHERE id = ?")
        .bind(id)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn get<'e>(
    e: impl SqliteExecutor<'e>,
    id: &str,
) -> Result<Option<DeadLetter>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM dead_letters WHERE id = ?"))
        .bind(id)
        .fetch_optional(e)
        .await?;
    row.as_ref().map(dead_letter_row).transpose()
}

pub(super) async fn list<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
    after: Option<i64>,
    limit: usize,
) -> Result<Vec<DeadLetter>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM dead_letters WHERE function_name = ? AND seq > ?
         ORDER BY seq LIMIT ?"
    ))
    .bind(function)
    .bind(after.unwrap_or(i64::MIN))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(e)
    .await?;
    rows.iter().map(dead_letter_row).collect()
}
