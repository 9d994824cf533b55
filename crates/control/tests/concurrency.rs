//! Reserved concurrency through the store seam: the account always keeps its minimum
//! unreserved, counted over every other function inside the write transaction.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod support;

use serde_json::json;
use stratus_model::requests::Concurrency;
use stratus_model::ErrorKind;
use support::{body, kind, Harness};

fn reserve(n: i64) -> Concurrency {
    body(json!({ "ReservedConcurrentExecutions": n }))
}

#[tokio::test]
async fn reservations_keep_one_hundred_unreserved() {
    let h = Harness::new().await;
    h.create("a", "a").await;
    h.create("b", "b").await;

    h.control.put_concurrency("a", reserve(900)).await.unwrap();
    let over = h.control.put_concurrency("b", reserve(1)).await;
    assert_eq!(kind(over), ErrorKind::InvalidParameterValue);
    // A function's own reservation does not count against its new one.
    h.control.put_concurrency("a", reserve(850)).await.unwrap();
    h.control.put_concurrency("b", reserve(50)).await.unwrap();
    let over = h.control.put_concurrency("b", reserve(51)).await;
    assert_eq!(kind(over), ErrorKind::InvalidParameterValue);

    let settings = h.control.account_settings().await.unwrap();
    assert_eq!(settings.account_limit.unreserved_concurrent_executions, 100);
    let b = h.control.get_concurrency("b").await.unwrap();
    assert_eq!(b.reserved_concurrent_executions, Some(50));
    let target = h.control.resolve_invoke("b", None).await.unwrap();
    assert_eq!(target.reserved_concurrency, Some(50));

    h.control.delete_concurrency("a").await.unwrap();
    let settings = h.control.account_settings().await.unwrap();
    assert_eq!(settings.account_limit.unreserved_concurrent_executions, 950);
    h.control.put_concurrency("b", reserve(900)).await.unwrap();
}
