//! Layer versions and their never-reused numbering.

use sqlx::{Row, SqliteExecutor};
use stratus_model::layer::LayerVersionRecord;

use crate::error::{decode, encode};
use crate::{Store, StoreError, Tx};

async fn get_layer_version<'e>(
    e: impl SqliteExecutor<'e>,
    name: &str,
    version: u64,
) -> Result<Option<LayerVersionRecord>, StoreError> {
    let row = sqlx::query("SELECT record FROM layer_versions WHERE layer_name = ? AND version = ?")
        .bind(name)
        .bind(version as i64)
        .fetch_optional(e)
        .await?;
    row.map(|r| decode("layer version", r.try_get::<&str, _>("record")?))
        .transpose()
}

fn decode_all(rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<LayerVersionRecord>, StoreError> {
    rows.iter()
        .map(|r| decode("layer version", r.try_get::<&str, _>("record")?))
        .collect()
}

impl Store {
    /// One layer version.
    pub async fn layer_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError> {
        get_layer_version(&self.read, name, version).await
    }

    /// A layer's versions, newest first.
    pub async fn layer_versions(&self, name: &str) -> Result<Vec<LayerVersionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT record FROM layer_versions WHERE layer_name = ? ORDER BY version DESC",
        )
        .bind(name)
        .fetch_all(&self.read)
        .await?;
        decode_all(&rows)
    }

    /// Every layer version, by layer name then newest first.
    pub async fn all_layer_versions(&self) -> Result<Vec<LayerVersionRecord>, StoreError> {
        let rows =
            sqlx::query("SELECT record FROM layer_versions ORDER BY layer_name, version DESC")
                .fetch_all(&self.read)
                .await?;
        decode_all(&rows)
    }
}

impl Tx {
    /// One layer version, read inside this transaction.
    pub async fn layer_version(
        &mut self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError> {
        get_layer_version(&mut *self.tx, name, version).await
    }

    /// Reserves the next version number of a layer (creating the layer's counter).
    pub async fn next_layer_version(&mut self, name: &str) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO layers (name, next_version) VALUES (?, 2)
             ON CONFLICT(name) DO UPDATE SET next_version = next_version + 1
             RETURNING next_version - 1 AS version",
        )
        .bind(name)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(row.try_get::<i64, _>("version")? as u64)
    }

    /// Stores a layer version.
    pub async fn put_layer_version(&mut self, l: &LayerVersionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO layer_versions (layer_name, version, code_sha256, code_size, record) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&l.layer_name)
        .bind(l.version as i64)
        .bind(&l.code.sha256_hex)
        .bind(l.code.size as i64)
        .bind(encode(l))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Deletes a layer version; true if it existed.
    pub async fn delete_layer_version(
        &mut self,
        name: &str,
        version: u64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM layer_versions WHERE layer_name = ? AND version = ?")
            .bind(name)
            .bind(version as i64)
            .execute(&mut *self.tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
