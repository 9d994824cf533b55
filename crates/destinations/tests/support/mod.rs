//! Shared test helpers: a fake function sink, a webhook server on 127.0.0.1, an event end.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use stratus_destinations::{Condition, Deliverer, DeliveryConfig, EventEnd, FunctionSink};
use stratus_model::Scope;

pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:worker:$LATEST";
pub const SINK_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:sink";
pub const DLQ_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:dlq";

/// Records every enqueue; answers with the scripted errors first, then `Ok`.
#[derive(Default)]
pub struct FakeSink {
    pub calls: Mutex<Vec<(String, Vec<u8>)>>,
    pub failures: Mutex<VecDeque<String>>,
}

impl FakeSink {
    pub fn failing(errors: &[&str]) -> Arc<Self> {
        let s = Self::default();
        *s.failures.lock().unwrap() = errors.iter().map(|e| (*e).to_owned()).collect();
        Arc::new(s)
    }
    pub fn calls(&self) -> Vec<(String, Vec<u8>)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl FunctionSink for FakeSink {
    async fn enqueue(&self, function_arn: &str, payload: Bytes) -> Result<(), String> {
        self.calls
            .lock()
            .unwrap()
            .push((function_arn.to_owned(), payload.to_vec()));
        match self.failures.lock().unwrap().pop_front() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

pub fn scope() -> Scope {
    Scope {
        region: "us-east-1".into(),
        account: "123456789012".into(),
    }
}

pub fn deliverer(sink: Arc<FakeSink>) -> Deliverer {
    let config = DeliveryConfig {
        timeout: Duration::from_secs(5),
        retry_delay: Duration::from_millis(10),
    };
    Deliverer::new(scope(), sink, &config).unwrap()
}

pub fn failure() -> EventEnd<'static> {
    EventEnd {
        request_id: "8d4c4d7a-1111-4222-8333-444455556666",
        function_arn: FUNCTION_ARN,
        condition: Condition::RetriesExhausted,
        approximate_invoke_count: 3,
        request_payload: br#"{"order":42}"#,
        status_code: 200,
        executed_version: Some("$LATEST"),
        function_error: Some("Unhandled"),
        response_payload: Some(br#"{"errorMessage":"boom","errorType":"ValueError"}"#),
        error_type: Some("ValueError"),
        error_message: Some("boom\nsecond line"),
        on_success: None,
        on_failure: None,
        dead_letter_target: None,
    }
}

pub fn success() -> EventEnd<'static> {
    EventEnd {
        condition: Condition::Success,
        function_error: None,
        response_payload: Some(br#"{"ok":true}"#),
        error_type: None,
        error_message: None,
        approximate_invoke_count: 1,
        ..failure()
    }
}

/// One request a webhook received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A webhook server on 127.0.0.1 answering every POST with `status`.
pub struct Hook {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

pub async fn hook(status: StatusCode) -> Hook {
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(Received { headers, body });
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Hook { url, received }
}

impl Hook {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// A URL on 127.0.0.1 where nothing listens (a port bound and released).
pub async fn closed_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hook")
}
