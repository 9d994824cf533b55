//! Versions and aliases through the store seam: numbering, the unchanged-publish rule,
//! routing validation, and invoke resolution following committed alias changes.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod support;

use serde_json::json;
use stratus_model::ErrorKind;
use support::{body, kind, zip_b64, Harness};

async fn with_two_versions() -> Harness {
    let h = Harness::new().await;
    h.create("f", "one").await;
    let v1 = h
        .control
        .publish_version("f", body(json!({})))
        .await
        .unwrap();
    assert_eq!(v1.version, "1");
    h.control
        .update_code("f", body(json!({"ZipFile": zip_b64("two")})))
        .await
        .unwrap();
    let v2 = h
        .control
        .publish_version("f", body(json!({})))
        .await
        .unwrap();
    assert_eq!(v2.version, "2");
    h
}

#[tokio::test]
async fn publishing_numbers_versions_and_an_unchanged_latest_publishes_nothing() {
    let h = with_two_versions().await;
    let again = h
        .control
        .publish_version("f", body(json!({})))
        .await
        .unwrap();
    assert_eq!(again.version, "2");

    let wrong_sha = h
        .control
        .publish_version("f", body(json!({"CodeSha256": "AAAA"})))
        .await;
    assert_eq!(kind(wrong_sha), ErrorKind::InvalidParameterValue);
    let stale = h
        .control
        .publish_version("f", body(json!({"RevisionId": "stale"})))
        .await;
    assert_eq!(kind(stale), ErrorKind::PreconditionFailed);

    let page = h.control.list_versions("f", None, None).await.unwrap();
    let labels: Vec<_> = page
        .versions
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(labels, ["$LATEST", "1", "2"]);

    // Numbers are not reused after a delete.
    h.control.delete_function("f", Some("2")).await.unwrap();
    h.control
        .update_code("f", body(json!({"ZipFile": zip_b64("three")})))
        .await
        .unwrap();
    let v3 = h
        .control
        .publish_version("f", body(json!({})))
        .await
        .unwrap();
    assert_eq!(v3.version, "3");
}

#[tokio::test]
async fn alias_routing_is_validated_against_stored_versions() {
    let h = with_two_versions().await;
    let alias = |v: serde_json::Value| -> stratus_model::alias::CreateAliasRequest { body(v) };
    let cases = [
        (
            json!({"Name": "a", "FunctionVersion": "1",
                   "RoutingConfig": {"AdditionalVersionWeights": {"2": 1.5}}}),
            ErrorKind::Validation,
        ),
        (
            json!({"Name": "a", "FunctionVersion": "1",
                   "RoutingConfig": {"AdditionalVersionWeights": {"9": 0.5}}}),
            ErrorKind::ResourceNotFound,
        ),
        (
            json!({"Name": "a", "FunctionVersion": "$LATEST",
                   "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}}}),
            ErrorKind::InvalidParameterValue,
        ),
        (
            json!({"Name": "a", "FunctionVersion": "7"}),
            ErrorKind::ResourceNotFound,
        ),
    ];
    for (req, expected) in cases {
        let r = h.control.create_alias("f", alias(req.clone())).await;
        assert_eq!(kind(r), expected, "{req}");
    }
    assert!(h
        .control
        .list_aliases("f", None, None, None)
        .await
        .unwrap()
        .aliases
        .is_empty());

    h.control
        .create_alias(
            "f",
            alias(json!({"Name": "live", "FunctionVersion": "1",
                         "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.25}}})),
        )
        .await
        .unwrap();
    let in_use = h.control.delete_function("f", Some("2")).await;
    assert_eq!(kind(in_use), ErrorKind::ResourceConflict);
}

#[tokio::test]
async fn invoke_resolution_follows_committed_alias_changes() {
    let h = with_two_versions().await;
    let created = h
        .control
        .create_alias(
            "f",
            body(json!({"Name": "live", "FunctionVersion": "1",
                        "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.0}}})),
        )
        .await
        .unwrap();
    let target = h.control.resolve_invoke("f", Some("live")).await.unwrap();
    assert_eq!(target.version.version.to_string(), "1");
    assert!(target.invoked_arn.ends_with(":function:f:live"));

    // A stale precondition changes nothing, so the cached target stays right.
    let stale = h
        .control
        .update_alias(
            "f",
            "live",
            body(json!({"FunctionVersion": "2", "RevisionId": "x"})),
        )
        .await;
    assert_eq!(kind(stale), ErrorKind::PreconditionFailed);
    let target = h.control.resolve_invoke("f", Some("live")).await.unwrap();
    assert_eq!(target.version.version.to_string(), "1");

    // All traffic to the additional version.
    h.control
        .update_alias(
            "f",
            "live",
            body(json!({"RevisionId": created.revision_id,
                        "RoutingConfig": {"AdditionalVersionWeights": {"2": 1.0}}})),
        )
        .await
        .unwrap();
    for _ in 0..20 {
        let target = h.control.resolve_invoke("f", Some("live")).await.unwrap();
        assert_eq!(target.version.version.to_string(), "2");
    }
}
