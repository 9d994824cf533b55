//! Functions and their version records, in tables `functions` and `function_versions`.

use std::collections::{BTreeMap, HashSet};

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqliteExecutor};
use stratus_model::{FunctionVersion, Version};

use crate::records::{decode, encode, StoredFunctionVersion};
use crate::{FunctionRow, StoreError, VersionCursor};

fn tags_json(tags: &BTreeMap<String, String>) -> String {
    // A map of strings always serialises.
    serde_json::to_string(tags).unwrap_or_default()
}

fn version_record(row: &SqliteRow) -> Result<FunctionVersion, StoreError> {
    decode::<StoredFunctionVersion>(row.try_get::<&str, _>("record")?).map(FunctionVersion::from)
}

pub(super) async fn get_function<'e>(
    e: impl SqliteExecutor<'e>,
    name: &str,
) -> Result<Option<FunctionRow>, StoreError> {
    let row = sqlx::query(
        "SELECT name, next_version, reserved_concurrency, tags, created_at FROM functions WHERE name = ?",
    )
    .bind(name)
    .fetch_optional(e)
    .await?;
    row.map(|r| {
        let tags = r.try_get::<&str, _>("tags")?;
        Ok(FunctionRow {
            name: r.try_get("name")?,
            next_version: r.try_get::<i64, _>("next_version")? as u64,
            reserved_concurrency: r.try_get("reserved_concurrency")?,
            tags: serde_json::from_str(tags).map_err(|source| StoreError::Corrupt {
                what: "function tags",
                source,
            })?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

pub(super) async fn get_version<'e>(
    e: impl SqliteExecutor<'e>,
    name: &str,
    version: Version,
) -> Result<Option<FunctionVersion>, StoreError> {
    let row =
        sqlx::query("SELECT record FROM function_versions WHERE function_name = ? AND version = ?")
            .bind(name)
            .bind(version.ordinal())
            .fetch_optional(e)
            .await?;
    row.as_ref().map(version_record).transpose()
}

pub(super) async fn list_versions<'e>(
    e: impl SqliteExecutor<'e>,
    only: Option<&str>,
    after: Option<&VersionCursor>,
    all: bool,
    limit: usize,
) -> Result<Vec<FunctionVersion>, StoreError> {
    let (after_name, after_version) = after
        .map(|(n, v)| (n.as_str(), v.ordinal()))
        .unwrap_or(("", -1));
    let rows = sqlx::query(
        "SELECT record FROM function_versions
         WHERE (function_name, version) > (?, ?)
           AND (? OR version = 0)
           AND (? IS NULL OR function_name = ?)
         ORDER BY function_name, version LIMIT ?",
    )
    .bind(after_name)
    .bind(after_version)
    .bind(all)
    .bind(only)
    .bind(only)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(e)
    .await?;
    rows.iter().map(version_record).collect()
}

pub(super) async fn latest_published<'e>(
    e: impl SqliteExecutor<'e>,
    name: &str,
) -> Result<Option<FunctionVersion>, StoreError> {
    let row = sqlx::query(
        "SELECT record FROM function_versions WHERE function_name = ? AND version > 0
         ORDER BY version DESC LIMIT 1",
    )
    .bind(name)
    .fetch_optional(e)
    .await?;
    row.as_ref().map(version_record).transpose()
}

pub(super) async fn version_blobs<'e>(
    e: impl SqliteExecutor<'e>,
    name: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT code_sha256 FROM function_versions WHERE function_name = ?")
        .bind(name)
        .fetch_all(e)
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("code_sha256")?))
        .collect()
}

pub(super) async fn usage<'e>(e: impl SqliteExecutor<'e>) -> Result<(u64, u64), StoreError> {
    let row = sqlx::query(
        "SELECT (SELECT COALESCE(SUM(code_size), 0) FROM function_versions)
              + (SELECT COALESCE(SUM(code_size), 0) FROM layer_versions) AS total,
                (SELECT COUNT(*) FROM functions) AS functions",
    )
    .fetch_one(e)
    .await?;
    Ok((
        row.try_get::<i64, _>("total")? as u64,
        row.try_get::<i64, _>("functions")? as u64,
    ))
}

pub(super) async fn reserved_concurrency_total<'e>(
    e: impl SqliteExecutor<'e>,
    except: Option<&str>,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(reserved_concurrency), 0) AS total FROM functions WHERE name IS NOT ?",
    )
    .bind(except)
    .fetch_one(e)
    .await?;
    Ok(row.try_get("total")?)
}

pub(super) async fn referenced_blobs<'e>(
    e: impl SqliteExecutor<'e>,
) -> Result<HashSet<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT code_sha256 FROM function_versions UNION SELECT code_sha256 FROM layer_versions",
    )
    .fetch_all(e)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("code_sha256")?))
        .collect()
}

pub(super) async fn blob_referenced<'e>(
    e: impl SqliteExecutor<'e>,
    sha256_hex: &str,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "SELECT EXISTS(SELECT 1 FROM function_versions WHERE code_sha256 = ?1)
             OR EXISTS(SELECT 1 FROM layer_versions WHERE code_sha256 = ?1) AS used",
    )
    .bind(sha256_hex)
    .fetch_one(e)
    .await?;
    Ok(row.try_get("used")?)
}

pub(super) async fn insert_function(
    c: &mut SqliteConnection,
    f: &FunctionRow,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO functions (name, next_version, reserved_concurrency, tags, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING",
    )
    .bind(&f.name)
    .bind(f.next_version as i64)
    .bind(f.reserved_concurrency)
    .bind(tags_json(&f.tags))
    .bind(&f.created_at)
    .execute(c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(f.name.clone()));
    }
    Ok(())
}

pub(super) async fn update_function(
    c: &mut SqliteConnection,
    f: &FunctionRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE functions SET next_version = ?, reserved_concurrency = ?, tags = ? WHERE name = ?",
    )
    .bind(f.next_version as i64)
    .bind(f.reserved_concurrency)
    .bind(tags_json(&f.tags))
    .bind(&f.name)
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn put_version(
    c: &mut SqliteConnection,
    v: &FunctionVersion,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO function_versions (function_name, version, code_sha256, code_size, record)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(function_name, version) DO UPDATE SET
           code_sha256 = excluded.code_sha256, code_size = excluded.code_size, record = excluded.record",
    )
    .bind(&v.function_name)
    .bind(v.version.ordinal())
    .bind(&v.code.sha256_hex)
    .bind(v.code.size as i64)
    .bind(encode(&StoredFunctionVersion::from(v)))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn delete_version(
    c: &mut SqliteConnection,
    name: &str,
    version: Version,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM function_versions WHERE function_name = ? AND version = ?")
        .bind(name)
        .bind(version.ordinal())
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?")
        .bind(name)
        .bind(version.to_string())
        .execute(&mut *c)
        .await?;
    super::provisioned::delete_configs(c, name, Some(&version.to_string())).await?;
    Ok(())
}

pub(super) async fn delete_function(
    c: &mut SqliteConnection,
    name: &str,
) -> Result<(), StoreError> {
    for statement in [
        "DELETE FROM function_versions WHERE function_name = ?",
        "DELETE FROM aliases WHERE function_name = ?",
        "DELETE FROM event_invoke_configs WHERE function_name = ?",
        "DELETE FROM provisioned_concurrency WHERE function_name = ?",
        "DELETE FROM functions WHERE name = ?",
    ] {
        sqlx::query(statement).bind(name).execute(&mut *c).await?;
    }
    Ok(())
}
