//! The fair claim: leasing runnable events round-robin over functions.
//!
//! A claim first lists the functions that have a runnable event (a loose scan of index
//! `queue_events_ready`: one seek per function, whatever its backlog), rotated to start
//! after the function the previous claim served last. It then deals out the limit in
//! rounds: each round gives every function still in play an equal share (at least one
//! event), taken oldest-ready first with an index seek; a function that has fewer drops
//! out. So with more functions than the limit, each gets one event and the next claim
//! carries on with the others; with fewer, they share the limit evenly. Finally one UPDATE
//! leases the picked events. The cost is a few index seeks per function with runnable
//! events, independent of how many events are queued.

use std::collections::HashMap;
use std::sync::Mutex;

use sqlx::{Row, SqliteConnection};

use super::millis::to_ms;
use super::queue_events::{event_row, EVENT_COLUMNS};
use crate::queue::{ClaimRequest, QueuedEvent};
use crate::StoreError;

/// The function the previous claim served last; the next claim starts after it.
pub(super) type Rotation = Mutex<Option<String>>;

pub(super) async fn claim(
    c: &mut SqliteConnection,
    rotation: &Rotation,
    request: &ClaimRequest<'_>,
) -> Result<Vec<QueuedEvent>, StoreError> {
    if request.limit == 0 {
        return Ok(Vec::new());
    }
    let now = to_ms(request.now);
    let lease_ms = i64::try_from(request.lease.as_millis()).unwrap_or(i64::MAX);
    let expires = now.saturating_add(lease_ms);

    let mut functions = runnable_functions(c, now).await?;
    let after = rotation
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    if let Some(after) = after {
        let start = functions.partition_point(|f| *f <= after);
        functions.rotate_left(start);
    }

    let (picked, last_served) = deal(c, &functions, now, request.limit).await?;
    if picked.is_empty() {
        return Ok(Vec::new());
    }
    let events = lease(c, &picked, request.owner, expires).await?;
    if let Some(last) = last_served {
        *rotation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(last);
    }
    tracing::debug!(owner = request.owner, events = events.len(), "queue claim");
    Ok(events)
}

/// Every function with an event runnable at `now`, by name.
async fn runnable_functions(c: &mut SqliteConnection, now: i64) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE names(name) AS (
             SELECT (SELECT function_name FROM queue_events ORDER BY function_name LIMIT 1)
             UNION ALL
             SELECT (SELECT function_name FROM queue_events WHERE function_name > names.name
                     ORDER BY function_name LIMIT 1)
             FROM names WHERE names.name IS NOT NULL
         )
         SELECT name FROM names
         WHERE name IS NOT NULL AND EXISTS (
             SELECT 1 FROM queue_events q WHERE q.function_name = names.name AND q.ready_at_ms <= ?
         )",
    )
    .bind(now)
    .fetch_all(c)
    .await?)
}

/// Picks up to `limit` runnable events round-robin over `functions` (in that order): the
/// picked `seq`s in dealing order, and the function that got the last one.
async fn deal(
    c: &mut SqliteConnection,
    functions: &[String],
    now: i64,
    limit: usize,
) -> Result<(Vec<i64>, Option<String>), StoreError> {
    let mut picked = Vec::with_capacity(limit);
    let mut taken_of = vec![0usize; functions.len()];
    let mut in_play: Vec<usize> = (0..functions.len()).collect();
    let mut last_served = None;
    while picked.len() < limit && !in_play.is_empty() {
        let share = ((limit - picked.len()) / in_play.len()).max(1);
        let mut still = Vec::with_capacity(in_play.len());
        for &f in &in_play {
            let want = share.min(limit - picked.len());
            if want == 0 {
                still.push(f);
                continue;
            }
            let seqs: Vec<i64> = sqlx::query_scalar(
                "SELECT seq FROM queue_events
                 WHERE function_name = ? AND ready_at_ms <= ?
                 ORDER BY ready_at_ms, seq LIMIT ? OFFSET ?",
            )
            .bind(&functions[f])
            .bind(now)
            .bind(want as i64)
            .bind(taken_of[f] as i64)
            .fetch_all(&mut *c)
            .await?;
            if !seqs.is_empty() {
                last_served = Some(f);
            }
            taken_of[f] += seqs.len();
            if seqs.len() == want {
                still.push(f);
            }
            picked.extend(seqs);
        }
        in_play = still;
    }
    Ok((picked, last_served.map(|f| functions[f].clone())))
}

/// Leases the events `seqs` to `owner` until `expires`; returns them in `seqs` order.
async fn lease(
    c: &mut SqliteConnection,
    seqs: &[i64],
    owner: &str,
    expires: i64,
) -> Result<Vec<QueuedEvent>, StoreError> {
    let list = serde_json::to_string(seqs).map_err(|source| StoreError::Corrupt {
        what: "claim list",
        source,
    })?;
    let rows = sqlx::query(&format!(
        "UPDATE queue_events SET lease_owner = ?, lease_expires_ms = ?
         WHERE seq IN (SELECT value FROM json_each(?))
         RETURNING seq, {EVENT_COLUMNS}"
    ))
    .bind(owner)
    .bind(expires)
    .bind(list)
    .fetch_all(c)
    .await?;
    let order: HashMap<i64, usize> = seqs.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let at = order.get(&row.try_get::<i64, _>("seq")?).copied();
        events.push((at.unwrap_or(usize::MAX), event_row(row)?));
    }
    events.sort_by_key(|(at, _)| *at);
    Ok(events.into_iter().map(|(_, e)| e).collect())
}
