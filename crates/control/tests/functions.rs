//! Function rules through the store seam: RevisionId preconditions, conflicts, and the
//! blob lifecycle (nothing written for a rejected request, nothing left once unreferenced).

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod support;

use serde_json::json;
use stratus_model::ErrorKind;
use support::{body, create_request, kind, zip_b64, Harness};

#[tokio::test]
async fn create_then_get_returns_what_was_stored() {
    let h = Harness::new().await;
    let created = h
        .control
        .create_function(create_request(
            "f",
            "one",
            json!({"MemorySize": 256, "Tags": {"team": "a"},
                   "Environment": {"Variables": {"STAGE": "one"}}}),
        ))
        .await
        .unwrap();
    let got = h.control.get_function("f", None).await.unwrap();
    assert_eq!(got.configuration, created);
    assert_eq!(got.configuration.memory_size, 256);
    assert_eq!(got.tags.unwrap().get("team").map(String::as_str), Some("a"));
    assert_eq!(h.blob_keys().len(), 1);

    let again = h
        .control
        .create_function(create_request("f", "two", json!({})))
        .await;
    assert_eq!(kind(again), ErrorKind::ResourceConflict);
    assert_eq!(h.blob_keys().len(), 1, "a rejected create stores no blob");
}

#[tokio::test]
async fn updates_honour_the_revision_id_precondition() {
    let h = Harness::new().await;
    let created = h.create("f", "one").await;

    let stale = h
        .control
        .update_configuration(
            "f",
            body(json!({"RevisionId": "not-the-current-one", "Timeout": 9})),
        )
        .await;
    assert_eq!(kind(stale), ErrorKind::PreconditionFailed);
    let unchanged = h.control.get_configuration("f", None).await.unwrap();
    assert_eq!(unchanged.timeout, created.timeout);

    let updated = h
        .control
        .update_configuration(
            "f",
            body(json!({"RevisionId": created.revision_id, "Timeout": 9})),
        )
        .await
        .unwrap();
    assert_eq!(updated.timeout, 9);
    assert_ne!(updated.revision_id, created.revision_id);

    // The revision the update replaced is stale now, for code updates too; the rejected
    // package is not stored.
    let stale_code = h
        .control
        .update_code(
            "f",
            body(json!({"ZipFile": zip_b64("two"), "RevisionId": created.revision_id})),
        )
        .await;
    assert_eq!(kind(stale_code), ErrorKind::PreconditionFailed);
    assert_eq!(h.blob_keys().len(), 1);
}

#[tokio::test]
async fn replaced_and_deleted_code_leaves_no_unreferenced_blob() {
    let h = Harness::new().await;
    let first = h.create("f", "one").await;
    h.create("shares-one", "one").await;
    assert_eq!(h.blob_keys().len(), 1, "same package, one blob");

    let updated = h
        .control
        .update_code("f", body(json!({"ZipFile": zip_b64("two")})))
        .await
        .unwrap();
    assert_ne!(updated.code_sha256, first.code_sha256);
    assert_eq!(
        h.blob_keys().len(),
        2,
        "the old blob is still used by shares-one"
    );

    h.control
        .publish_version("f", body(json!({})))
        .await
        .unwrap();
    h.control.delete_function("f", None).await.unwrap();
    assert_eq!(
        kind(h.control.get_function("f", None).await),
        ErrorKind::ResourceNotFound
    );
    assert_eq!(h.blob_keys().len(), 1, "f's code went with f");

    h.control.delete_function("shares-one", None).await.unwrap();
    assert!(h.blob_keys().is_empty());
    assert_eq!(h.control.sweep_orphan_blobs().await.unwrap(), 0);
}

#[tokio::test]
async fn a_missing_layer_rejects_the_create_without_writing_anything() {
    let h = Harness::new().await;
    let missing = format!(
        "arn:aws:lambda:{}:{}:layer:nope:1",
        support::REGION,
        support::ACCOUNT
    );
    let r = h
        .control
        .create_function(create_request("f", "one", json!({"Layers": [missing]})))
        .await;
    assert_eq!(kind(r), ErrorKind::InvalidParameterValue);
    assert!(h.store.function("f").await.unwrap().is_none());
    assert!(h.blob_keys().is_empty());
}
