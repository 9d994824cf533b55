//! Queued events and their leases, in table `queue_events`.
//!
//! An event is runnable when its `ready_at_ms` (a generated column: the not-before time,
//! or while leased the lease expiry) is at or before now; the fair claim itself is in
//! `queue_claim`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqliteExecutor};

use super::millis::{from_ms, to_ms};
use crate::queue::{FunctionQueueStats, Lease, NewEvent, QueuedEvent, Release};
use crate::StoreError;

/// The columns [`event_row`] reads.
pub(super) const EVENT_COLUMNS: &str = "id, function_name, qualifier, payload, received_at_ms, \
     attempts, not_before_ms, lease_owner, lease_expires_ms";

pub(super) fn event_row(row: &SqliteRow) -> Result<QueuedEvent, StoreError> {
    let owner: Option<String> = row.try_get("lease_owner")?;
    let expires: Option<i64> = row.try_get("lease_expires_ms")?;
    let lease = match (owner, expires) {
        (Some(owner), Some(expires)) => Some(Lease {
            owner,
            expires_at: from_ms("lease expiry", expires)?,
        }),
        _ => None,
    };
    Ok(QueuedEvent {
        id: row.try_get("id")?,
        function: row.try_get("function_name")?,
        qualifier: row.try_get("qualifier")?,
        payload: row.try_get("payload")?,
        received_at: from_ms("receive", row.try_get("received_at_ms")?)?,
        attempts: row.try_get::<u32, _>("attempts")?,
        not_before: from_ms("not-before", row.try_get("not_before_ms")?)?,
        lease,
    })
}

pub(super) async fn enqueue(c: &mut SqliteConnection, e: &NewEvent) -> Result<(), StoreError> {
    let received = to_ms(e.received_at);
    let done = sqlx::query(
        "INSERT INTO queue_events
             (id, function_name, qualifier, payload, received_at_ms, not_before_ms)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO NOTHING",
    )
    .bind(&e.id)
    .bind(&e.function)
    .bind(&e.qualifier)
    .bind(&e.payload[..])
    .bind(received)
    .bind(received)
    .execute(c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!("event {}", e.id)));
    }
    Ok(())
}

/// Rows per INSERT statement of a batch (6 parameters each, far below SQLite's limit).
const ROWS_PER_INSERT: usize = 128;

/// One multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id` per [`ROWS_PER_INSERT`]
/// events; the events whose id was not inserted (or was inserted by an earlier event of
/// the batch) are refused.
pub(super) async fn enqueue_batch(
    c: &mut SqliteConnection,
    events: &[&NewEvent],
) -> Result<Vec<usize>, StoreError> {
    let mut inserted: HashMap<String, usize> = HashMap::with_capacity(events.len());
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut sql = String::with_capacity(120 + chunk.len() * 20);
        sql.push_str(
            "INSERT INTO queue_events
                 (id, function_name, qualifier, payload, received_at_ms, not_before_ms) VALUES ",
        );
        for i in 0..chunk.len() {
            sql.push_str(if i == 0 {
                "(?,?,?,?,?,?)"
            } else {
                ",(?,?,?,?,?,?)"
            });
        }
        sql.push_str(" ON CONFLICT(id) DO NOTHING RETURNING id");
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for e in chunk {
            let received = to_ms(e.received_at);
            query = query
                .bind(&e.id)
                .bind(&e.function)
                .bind(&e.qualifier)
                .bind(&e.payload[..])
                .bind(received)
                .bind(received);
        }
        for id in query.fetch_all(&mut *c).await? {
            *inserted.entry(id).or_default() += 1;
        }
    }
    let mut refused = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match inserted.get_mut(&e.id) {
            Some(n) if *n > 0 => *n -= 1,
            _ => refused.push(i),
        }
    }
    Ok(refused)
}

pub(super) async fn complete(
    c: &mut SqliteConnection,
    id: &str,
    owner: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM queue_events WHERE id = ? AND lease_owner = ?")
        .bind(id)
        .bind(owner)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn release(
    c: &mut SqliteConnection,
    id: &str,
    owner: &str,
    r: &Release,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE queue_events
         SET lease_owner = NULL, lease_expires_ms = NULL, not_before_ms = ?,
             attempts = attempts + ?
         WHERE id = ? AND lease_owner = ?",
    )
    .bind(to_ms(r.not_before))
    .bind(i64::from(r.count_attempt))
    .bind(id)
    .bind(owner)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn expire_leases(
    c: &mut SqliteConnection,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE queue_events SET lease_owner = NULL, lease_expires_ms = NULL
         WHERE lease_expires_ms <= ?",
    )
    .bind(to_ms(now))
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub(super) async fn get<'e>(
    e: impl SqliteExecutor<'e>,
    id: &str,
) -> Result<Option<QueuedEvent>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM queue_events WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(e)
    .await?;
    row.as_ref().map(event_row).transpose()
}

pub(super) async fn depth<'e>(
    e: impl SqliteExecutor<'e>,
    function: &str,
) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM queue_events WHERE function_name = ?")
        .bind(function)
        .fetch_one(e)
        .await?;
    Ok(n as u64)
}

pub(super) async fn stats<'e>(
    e: impl SqliteExecutor<'e>,
) -> Result<Vec<FunctionQueueStats>, StoreError> {
    let rows = sqlx::query(
        "SELECT function_name, count(*) AS depth, min(received_at_ms) AS oldest
         FROM queue_events GROUP BY function_name ORDER BY function_name",
    )
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FunctionQueueStats {
                function: r.try_get("function_name")?,
                depth: r.try_get::<i64, _>("depth")? as u64,
                oldest_received_at: from_ms("receive", r.try_get("oldest")?)?,
            })
        })
        .collect()
}
