//! Provisioned concurrency requests: stored per qualifier, kept across a reopen, and gone
//! with the version, alias or function they belong to.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::BTreeMap;

use stratus_model::provisioned::ProvisionedRecord;
use stratus_store::{FunctionRow, MetadataRead, SqliteStore, Store};

fn row(name: &str) -> FunctionRow {
    FunctionRow {
        name: name.into(),
        next_version: 3,
        reserved_concurrency: None,
        tags: BTreeMap::new(),
        created_at: "2026-01-01T00:00:00.000+0000".into(),
    }
}

fn record(n: i64) -> ProvisionedRecord {
    ProvisionedRecord {
        requested: n,
        last_modified: format!("2026-01-01T00:00:0{n}.000+0000"),
    }
}

#[tokio::test]
async fn requests_survive_reopen_and_go_with_what_they_belong_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        for f in ["f", "g"] {
            tx.insert_function(&row(f)).await.unwrap();
        }
        tx.put_provisioned_config("f", "1", &record(2))
            .await
            .unwrap();
        tx.put_provisioned_config("f", "live", &record(3))
            .await
            .unwrap();
        tx.put_provisioned_config("f", "2", &record(1))
            .await
            .unwrap();
        tx.put_provisioned_config("g", "1", &record(4))
            .await
            .unwrap();
        // Replacing keeps one row per qualifier.
        tx.put_provisioned_config("f", "1", &record(5))
            .await
            .unwrap();
        assert_eq!(tx.provisioned_configs(None).await.unwrap().len(), 4);
        tx.commit().await.unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store.provisioned_config("f", "1").await.unwrap(),
        Some(record(5))
    );
    let f: Vec<String> = store
        .provisioned_configs(Some("f"))
        .await
        .unwrap()
        .into_iter()
        .map(|(_, q, _)| q)
        .collect();
    assert_eq!(f, ["1", "2", "live"]);

    let mut tx = store.begin().await.unwrap();
    tx.delete_version("f", stratus_model::Version::Published(2))
        .await
        .unwrap();
    tx.delete_alias("f", "live").await.unwrap();
    assert!(tx.delete_provisioned_config("f", "1").await.unwrap());
    assert!(!tx.delete_provisioned_config("f", "1").await.unwrap());
    tx.put_provisioned_config("f", "1", &record(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let left = store.provisioned_configs(None).await.unwrap();
    assert_eq!(
        left,
        [
            ("f".to_string(), "1".to_string(), record(1)),
            ("g".to_string(), "1".to_string(), record(4)),
        ]
    );

    let mut tx = store.begin().await.unwrap();
    tx.delete_function("f").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.provisioned_configs(Some("f")).await.unwrap(), []);
    assert_eq!(store.provisioned_configs(None).await.unwrap().len(), 1);
}
