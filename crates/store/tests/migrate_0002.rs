//! A database from the previous release (migration 0001 only, records in the model's
//! wire-shaped JSON) opens with this build and every record reads back; an upgrade that
//! fails part-way leaves the database exactly as it was.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod legacy;

use std::path::Path;

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use stratus_model::Version;
use stratus_store::records::{
    StoredAlias, StoredEventInvokeConfig, StoredFunctionVersion, StoredLayerVersion,
};
use stratus_store::{MetadataRead, SqliteStore, Store, StoreError};

/// A database at schema 0001, as the previous release left it, holding the legacy rows.
async fn previous_release_db(path: &Path) -> SqlitePool {
    let only_0001 = tempfile::tempdir().unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/0001_initial.sql"),
        only_0001.path().join("0001_initial.sql"),
    )
    .unwrap();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal),
        )
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(only_0001.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let statements: [(&str, &[&str]); 10] = [
        (
            "INSERT INTO functions VALUES (?, 4, 5, ?, '2026-01-01T00:00:00.000+0000')",
            &["full", r#"{"team":"a"}"#],
        ),
        (
            "INSERT INTO functions VALUES (?, 1, NULL, ?, '2026-01-01T00:00:00.000+0000')",
            &["min", "{}"],
        ),
        (
            "INSERT INTO function_versions VALUES ('full', 3, 'cc', 1234, ?)",
            &[legacy::FUNCTION_FULL],
        ),
        (
            "INSERT INTO function_versions VALUES ('min', 0, 'dd', 1, ?)",
            &[legacy::FUNCTION_MINIMAL],
        ),
        (
            "INSERT INTO aliases VALUES ('full', 'live', ?)",
            &[legacy::ALIAS_WEIGHTED],
        ),
        (
            "INSERT INTO aliases VALUES ('min', 'plain', ?)",
            &[legacy::ALIAS_PLAIN],
        ),
        ("INSERT INTO layers VALUES ('shared', 3), ('bare', 2)", &[]),
        (
            "INSERT INTO layer_versions VALUES ('shared', 2, 'ee', 10, ?), ('bare', 1, 'ff', 3, ?)",
            &[legacy::LAYER_FULL, legacy::LAYER_BARE],
        ),
        (
            "INSERT INTO event_invoke_configs VALUES ('full', '3', ?)",
            &[legacy::INVOKE_CONFIG_FULL],
        ),
        (
            "INSERT INTO event_invoke_configs VALUES ('min', '$LATEST', ?)",
            &[legacy::INVOKE_CONFIG_EMPTY],
        ),
    ];
    for (sql, binds) in statements {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(&pool).await.unwrap();
    }
    pool
}

async fn raw_record(pool: &SqlitePool, sql: &str) -> serde_json::Value {
    let row = sqlx::query(sql).fetch_one(pool).await.unwrap();
    serde_json::from_str(row.get::<&str, _>("record")).unwrap()
}

fn as_json(record: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(record).unwrap()
}

async fn every_record_reads_back(store: &SqliteStore) {
    let full = store.version("full", Version::Published(3)).await.unwrap();
    assert_eq!(full, Some(legacy::function_full()));
    let min = store.version("min", Version::Latest).await.unwrap();
    assert_eq!(min, Some(legacy::function_minimal()));
    let row = store.function("full").await.unwrap().unwrap();
    assert_eq!((row.next_version, row.reserved_concurrency), (4, Some(5)));
    assert_eq!(
        store.aliases("full").await.unwrap(),
        [legacy::alias_weighted()]
    );
    assert_eq!(store.aliases("min").await.unwrap(), [legacy::alias_plain()]);
    assert_eq!(
        store.all_layer_versions().await.unwrap(),
        [legacy::layer_bare(), legacy::layer_full()]
    );
    assert_eq!(
        store.event_invoke_config("full", "3").await.unwrap(),
        Some(legacy::invoke_config_full())
    );
    assert_eq!(
        store.event_invoke_configs("min").await.unwrap(),
        [("$LATEST".to_owned(), legacy::invoke_config_empty())]
    );
}

#[tokio::test]
async fn previous_release_data_reads_back_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.db");
    previous_release_db(&path).await.close().await;

    let store = SqliteStore::open(&path).await.unwrap();
    every_record_reads_back(&store).await;

    // The migration wrote exactly the records this build writes (up to key order).
    let raw = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    let checks = [
        (
            "SELECT record FROM function_versions WHERE function_name = 'full'",
            as_json(&StoredFunctionVersion::from(&legacy::function_full())),
        ),
        (
            "SELECT record FROM function_versions WHERE function_name = 'min'",
            as_json(&StoredFunctionVersion::from(&legacy::function_minimal())),
        ),
        (
            "SELECT record FROM aliases WHERE name = 'live'",
            as_json(&StoredAlias::from(&legacy::alias_weighted())),
        ),
        (
            "SELECT record FROM aliases WHERE name = 'plain'",
            as_json(&StoredAlias::from(&legacy::alias_plain())),
        ),
        (
            "SELECT record FROM layer_versions WHERE layer_name = 'shared'",
            as_json(&StoredLayerVersion::from(&legacy::layer_full())),
        ),
        (
            "SELECT record FROM layer_versions WHERE layer_name = 'bare'",
            as_json(&StoredLayerVersion::from(&legacy::layer_bare())),
        ),
        (
            "SELECT record FROM event_invoke_configs WHERE function_name = 'full'",
            as_json(&StoredEventInvokeConfig::from(&legacy::invoke_config_full())),
        ),
        (
            "SELECT record FROM event_invoke_configs WHERE function_name = 'min'",
            as_json(&StoredEventInvokeConfig::from(
                &legacy::invoke_config_empty(),
            )),
        ),
    ];
    for (sql, expected) in checks {
        assert_eq!(raw_record(&raw, sql).await, expected, "{sql}");
    }
    raw.close().await;

    // Layer numbering carries on where the previous release stopped.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.next_layer_version("shared").await.unwrap(), 3);
    drop(tx);
    store.close().await;

    // Opening again changes nothing.
    let store = SqliteStore::open(&path).await.unwrap();
    every_record_reads_back(&store).await;
    store.close().await;
}

#[tokio::test]
async fn an_upgrade_that_fails_part_way_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.db");
    let pool = previous_release_db(&path).await;
    // The last table converted holds a row the conversion cannot read, so the migration
    // fails after it has rewritten every other table.
    sqlx::query("INSERT INTO event_invoke_configs VALUES ('min', '1', '{\"Settings\":')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let refused = SqliteStore::open(&path).await;
    assert!(
        matches!(refused, Err(StoreError::Migrate(_))),
        "{refused:?}"
    );

    let raw = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&path))
        .await
        .unwrap();
    let applied: i64 = sqlx::query("SELECT MAX(version) AS v FROM _sqlx_migrations")
        .fetch_one(&raw)
        .await
        .unwrap()
        .get("v");
    assert_eq!(applied, 1);
    let untouched =
        sqlx::query("SELECT record FROM function_versions WHERE function_name = 'full'")
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(untouched.get::<&str, _>("record"), legacy::FUNCTION_FULL);
    sqlx::query("DELETE FROM event_invoke_configs WHERE qualifier = '1'")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;

    let store = SqliteStore::open(&path).await.unwrap();
    every_record_reads_back(&store).await;
    store.close().await;
}
