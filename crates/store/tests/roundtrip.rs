//! The store keeps what was committed, forgets what was not, and pages in key order.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::BTreeMap;

use stratus_model::function::{CodeRef, FunctionVersion, Version};
use stratus_model::settings::default_settings;
use stratus_store::{FunctionRow, MetadataRead, SqliteStore, Store, StoreError};

fn row(name: &str) -> FunctionRow {
    FunctionRow {
        name: name.into(),
        next_version: 1,
        reserved_concurrency: None,
        tags: BTreeMap::from([("team".to_string(), "a".to_string())]),
        created_at: "2026-01-01T00:00:00.000+0000".into(),
    }
}

fn version(name: &str, v: Version, sha: &str) -> FunctionVersion {
    FunctionVersion {
        function_name: name.into(),
        version: v,
        settings: default_settings(name),
        code: CodeRef {
            sha256_hex: sha.into(),
            sha256_b64: "b64".into(),
            size: 10,
            unzipped_size: 20,
        },
        last_modified: "2026-01-01T00:00:00.000+0000".into(),
        revision_id: "r1".into(),
    }
}

#[tokio::test]
async fn committed_writes_survive_reopen_and_rolled_back_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.insert_function(&row("kept")).await.unwrap();
        tx.put_version(&version("kept", Version::Latest, "aa"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        tx.insert_function(&row("dropped")).await.unwrap();
        drop(tx);

        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.insert_function(&row("kept")).await,
            Err(StoreError::Conflict(_))
        ));
        drop(tx);
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let f = store.function("kept").await.unwrap().unwrap();
    assert_eq!(f.tags.get("team").map(String::as_str), Some("a"));
    assert!(store.function("dropped").await.unwrap().is_none());
    let v = store
        .version("kept", Version::Latest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.code.sha256_hex, "aa");
    assert_eq!(store.referenced_blobs().await.unwrap().len(), 1);
}

#[tokio::test]
async fn listing_pages_in_name_then_version_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for name in ["b", "a", "c"] {
        tx.insert_function(&row(name)).await.unwrap();
        tx.put_version(&version(name, Version::Latest, name))
            .await
            .unwrap();
        tx.put_version(&version(name, Version::Published(1), name))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let latest = store.list_versions(None, None, false, 10).await.unwrap();
    let names: Vec<_> = latest.iter().map(|v| v.function_name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);

    let after = ("a".to_string(), Version::Published(1));
    let all = store
        .list_versions(None, Some(&after), true, 3)
        .await
        .unwrap();
    let keys: Vec<_> = all
        .iter()
        .map(|v| format!("{}:{}", v.function_name, v.version))
        .collect();
    assert_eq!(keys, ["b:$LATEST", "b:1", "c:$LATEST"]);

    let mut tx = store.begin().await.unwrap();
    tx.delete_function("b").await.unwrap();
    assert!(tx.blob_referenced("a").await.unwrap());
    assert!(!tx.blob_referenced("b").await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(store.usage().await.unwrap(), (40, 2));
}

#[tokio::test]
async fn layer_numbers_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("m.db")).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.next_layer_version("l").await.unwrap(), 1);
    assert_eq!(tx.next_layer_version("l").await.unwrap(), 2);
    assert_eq!(tx.next_layer_version("other").await.unwrap(), 1);
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.next_layer_version("l").await.unwrap(), 3);
}
