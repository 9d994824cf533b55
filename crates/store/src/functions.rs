//! Functions and their version records.

use std::collections::{BTreeMap, HashSet};

use sqlx::{Row, SqliteExecutor};
use stratus_model::{FunctionVersion, Version};

use crate::error::{decode, encode};
use crate::{Store, StoreError, Tx};

/// The per-function row: what is not versioned.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionRow {
    /// Plain name.
    pub name: String,
    /// The number the next PublishVersion takes.
    pub next_version: u64,
    /// Reserved concurrency, if set.
    pub reserved_concurrency: Option<i64>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: String,
}

/// Where a listing of function versions continues: after (name, version).
pub type VersionCursor = (String, Version);

async fn get_function<'e>(
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
        Ok(FunctionRow {
            name: r.try_get("name")?,
            next_version: r.try_get::<i64, _>("next_version")? as u64,
            reserved_concurrency: r.try_get("reserved_concurrency")?,
            tags: decode("function tags", r.try_get::<&str, _>("tags")?)?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

async fn get_version<'e>(
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
    row.map(|r| decode("function version", r.try_get::<&str, _>("record")?))
        .transpose()
}

impl Store {
    /// The function row, if the function exists.
    pub async fn function(&self, name: &str) -> Result<Option<FunctionRow>, StoreError> {
        get_function(&self.read, name).await
    }

    /// One version record.
    pub async fn version(
        &self,
        name: &str,
        version: Version,
    ) -> Result<Option<FunctionVersion>, StoreError> {
        get_version(&self.read, name, version).await
    }

    /// Version records in (name, version) order after `after`; `$LATEST` only unless `all`.
    pub async fn list_versions(
        &self,
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
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| decode("function version", r.try_get::<&str, _>("record")?))
            .collect()
    }

    /// Total stored code bytes (all versions and layers) and the number of functions.
    pub async fn usage(&self) -> Result<(u64, u64), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(SUM(code_size), 0) FROM function_versions)
                  + (SELECT COALESCE(SUM(code_size), 0) FROM layer_versions) AS total,
                    (SELECT COUNT(*) FROM functions) AS functions",
        )
        .fetch_one(&self.read)
        .await?;
        Ok((
            row.try_get::<i64, _>("total")? as u64,
            row.try_get::<i64, _>("functions")? as u64,
        ))
    }

    /// Reserved concurrency summed over all functions except `except`.
    pub async fn reserved_concurrency_total(
        &self,
        except: Option<&str>,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(reserved_concurrency), 0) AS total FROM functions WHERE name IS NOT ?",
        )
        .bind(except)
        .fetch_one(&self.read)
        .await?;
        Ok(row.try_get("total")?)
    }

    /// Every blob key any function version or layer version refers to.
    pub async fn referenced_blobs(&self) -> Result<HashSet<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT code_sha256 FROM function_versions UNION SELECT code_sha256 FROM layer_versions",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("code_sha256")?))
            .collect()
    }
}

impl Tx {
    /// The function row, read inside this transaction.
    pub async fn function(&mut self, name: &str) -> Result<Option<FunctionRow>, StoreError> {
        get_function(&mut *self.tx, name).await
    }

    /// One version record, read inside this transaction.
    pub async fn version(
        &mut self,
        name: &str,
        version: Version,
    ) -> Result<Option<FunctionVersion>, StoreError> {
        get_version(&mut *self.tx, name, version).await
    }

    /// The newest published version, if any.
    pub async fn latest_published(
        &mut self,
        name: &str,
    ) -> Result<Option<FunctionVersion>, StoreError> {
        let row = sqlx::query(
            "SELECT record FROM function_versions WHERE function_name = ? AND version > 0
             ORDER BY version DESC LIMIT 1",
        )
        .bind(name)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| decode("function version", r.try_get::<&str, _>("record")?))
            .transpose()
    }

    /// Inserts a new function row; `Conflict` if the name is taken.
    pub async fn insert_function(&mut self, f: &FunctionRow) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO functions (name, next_version, reserved_concurrency, tags, created_at)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING",
        )
        .bind(&f.name)
        .bind(f.next_version as i64)
        .bind(f.reserved_concurrency)
        .bind(encode(&f.tags))
        .bind(&f.created_at)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(f.name.clone()));
        }
        Ok(())
    }

    /// Rewrites an existing function row.
    pub async fn update_function(&mut self, f: &FunctionRow) -> Result<(), StoreError> {
        sqlx::query("UPDATE functions SET next_version = ?, reserved_concurrency = ?, tags = ? WHERE name = ?")
            .bind(f.next_version as i64)
            .bind(f.reserved_concurrency)
            .bind(encode(&f.tags))
            .bind(&f.name)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Inserts or replaces a version record.
    pub async fn put_version(&mut self, v: &FunctionVersion) -> Result<(), StoreError> {
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
        .bind(encode(v))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes one published version and its per-qualifier settings.
    pub async fn delete_version(&mut self, name: &str, version: Version) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM function_versions WHERE function_name = ? AND version = ?")
            .bind(name)
            .bind(version.ordinal())
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?")
            .bind(name)
            .bind(version.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Deletes a function with all its versions, aliases and settings.
    pub async fn delete_function(&mut self, name: &str) -> Result<(), StoreError> {
        for table in [
            "DELETE FROM function_versions WHERE function_name = ?",
            "DELETE FROM aliases WHERE function_name = ?",
            "DELETE FROM event_invoke_configs WHERE function_name = ?",
            "DELETE FROM functions WHERE name = ?",
        ] {
            sqlx::query(table).bind(name).execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// True when any function or layer version still refers to the blob.
    pub async fn blob_referenced(&mut self, sha256_hex: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT EXISTS(SELECT 1 FROM function_versions WHERE code_sha256 = ?1)
                 OR EXISTS(SELECT 1 FROM layer_versions WHERE code_sha256 = ?1) AS used",
        )
        .bind(sha256_hex)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get("used")?)
    }
}
