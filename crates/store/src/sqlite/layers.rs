//! Layer versions and their never-reused numbering, in tables `layers` and `layer_versions`.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqliteExecutor};
use stratus_model::layer::LayerVersionRecord;

use crate::records::{decode, encode, StoredLayerVersion};
use crate::StoreError;

fn layer_record(row: &SqliteRow) -> Result<LayerVersionRecord, StoreError> {
    decode::<StoredLayerVersion>(row.try_get::<&str, _>("record")?).map(LayerVersionRecord::from)
}

pub(super) async fn get_layer_version<'e>(
    e: impl SqliteExecutor<'e>,
    name: &str,
    version: u64,
) -> Result<Option<LayerVersionRecord>, StoreError> {
    let row = sqlx::query("SELECT record FROM layer_versions WHERE layer_name = ? AND version = ?")
        .bind(name)
        .bind(version as i64)
        .fetch_optional(e)
        .await?;
    row.as_ref().map(layer_record).transpose()
}

pub(super) async fn layer_versions<'e>(
    e: impl SqliteExecutor<'e>,
    name: &str,
) -> Result<Vec<LayerVersionRecord>, StoreError> {
    let rows =
        sqlx::query("SELECT record FROM layer_versions WHERE layer_name = ? ORDER BY version DESC")
            .bind(name)
            .fetch_all(e)
            .await?;
    rows.iter().map(layer_record).collect()
}

pub(super) async fn all_layer_versions<'e>(
    e: impl SqliteExecutor<'e>,
) -> Result<Vec<LayerVersionRecord>, StoreError> {
    let rows = sqlx::query("SELECT record FROM layer_versions ORDER BY layer_name, version DESC")
        .fetch_all(e)
        .await?;
    rows.iter().map(layer_record).collect()
}

pub(super) async fn next_layer_version(
    c: &mut SqliteConnection,
    name: &str,
) -> Result<u64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO layers (name, next_version) VALUES (?, 2)
         ON CONFLICT(name) DO UPDATE SET next_version = next_version + 1
         RETURNING next_version - 1 AS version",
    )
    .bind(name)
    .fetch_one(c)
    .await?;
    Ok(row.try_get::<i64, _>("version")? as u64)
}

pub(super) async fn put_layer_version(
    c: &mut SqliteConnection,
    l: &LayerVersionRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO layer_versions (layer_name, version, code_sha256, code_size, record) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&l.layer_name)
    .bind(l.version as i64)
    .bind(&l.code.sha256_hex)
    .bind(l.code.size as i64)
    .bind(encode(&StoredLayerVersion::from(l)))
    .execute(c)
    .await?;
    Ok(())
}

pub(super) async fn delete_layer_version(
    c: &mut SqliteConnection,
    name: &str,
    version: u64,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM layer_versions WHERE layer_name = ? AND version = ?")
        .bind(name)
        .bind(version as i64)
        .execute(c)
        .await?;
    Ok(done.rows_affected() > 0)
}
