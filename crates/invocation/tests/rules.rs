//! The invocation service's rules that need no sandbox: payload and client context checks,
//! resolution, dry runs, Event invocations committed to the queue, and engine refusals turned into Lambda errors.
//!
//! The service runs over a real control plane (SQLite in a temp dir) and a real engine that
//! keeps no spare sandboxes; none of these paths creates an environment.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use stratus_artifacts::BlobStore;
use stratus_control::{CodeUrlSigner, Config, Control};
use stratus_engine::{Engine, EngineConfig};
use stratus_invocation::{
    AsyncQueue, InvocationOutcome, InvocationRequest, InvocationSource, InvocationType,
    Invocations, LambdaError, LogType,
};
use stratus_model::account::Limits;
use stratus_model::requests::{Concurrency, CreateFunctionRequest, PublishVersionRequest};
use stratus_model::{ErrorKind, Scope};
use stratus_store::queue::GroupCommit;
use stratus_store::{SqliteStore, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    control: Control,
    engine: Engine,
    store: Arc<dyn Store>,
    service: Invocations,
    enqueued: Arc<tokio::sync::Notify>,
}

/// A zip holding an executable `bootstrap`.
fn package() -> String {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", options).unwrap();
    zip.write_all(b"#!/bin/sh\nexit 0\n").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The service over a fresh data dir holding one function, `f`.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("metadata.db"))
            .await
            .unwrap(),
    );
    let blobs = Arc::new(BlobStore::open(dir.path().join("blobs")).unwrap());
    let control = Control::new(
        Config {
            scope: Scope {
                region: "us-east-1".into(),
                account: "123456789012".into(),
            },
            limits: Limits::default(),
            runtimes: vec!["provided.al2023".into()],
        },
        Arc::clone(&store),
        Arc::clone(&blobs),
        CodeUrlSigner::new([7; 32]),
    );
    let logs = Arc::new(stratus_logs::LogStore::open(&dir.path().join("logs"), None).unwrap());
    let engine = Engine::new(
        EngineConfig {
            region: "us-east-1".into(),
            packages_dir: dir.path().join("packages"),
            runtime_dir: dir.path().join("runtimes"),
            tmp_images_dir: dir.path().join("tmp-images"),
            idle_ttl: std::time::Duration::from_secs(60),
            account_concurrency: 10,
            uids: 1000..=1099,
            host: stratus_sandbox::HostConfig::detect(),
            cpus: 1,
            spare_sandboxes: 0,
            memory_limit_mb: u64::MAX,
            lifetime: stratus_engine::Lifetime::default(),
            log_limit_per_invocation: stratus_logs::capture::DEFAULT_INVOCATION_LIMIT_BYTES,
        },
        blobs,
        logs,
    );
    let create: CreateFunctionRequest = serde_json::from_value(serde_json::json!({
        "FunctionName": "f",
        "Runtime": "provided.al2023",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Handler": "h",
        "Code": { "ZipFile": package() },
    }))
    .unwrap();
    control.create_function(create).await.unwrap();
    let enqueued = Arc::new(tokio::sync::Notify::new());
    let (commit, _task) = GroupCommit::start(Arc::clone(&store), 64).unwrap();
    let service = Invocations::new(control.clone(), engine.clone())
        .with_queue(AsyncQueue::new(commit, Arc::clone(&enqueued)));
    Fixture {
        _dir: dir,
        control,
        engine,
        store,
        service,
        enqueued,
    }
}

/// A direct API invocation of `function` with an empty payload.
fn request(function: &str, invocation_type: InvocationType) -> InvocationRequest<'_> {
    InvocationRequest {
        function,
        qualifier: None,
        invocation_type,
        payload: Bytes::new(),
        client_context: None,
        log_type: LogType::None,
        request_id: "00000000-0000-0000-0000-000000000001".into(),
        source: InvocationSource::Api,
    }
}

fn refused(result: Result<InvocationOutcome, LambdaError>) -> LambdaError {
    match result {
        Ok(outcome) => panic!("expected a refusal, got {outcome:?}"),
        Err(e) => e,
    }
}

fn dry_run_version(result: Result<InvocationOutcome, LambdaError>) -> String {
    match result {
        Ok(InvocationOutcome::DryRun { executed_version }) => executed_version,
        other => panic!("expected a dry run, got {other:?}"),
    }
}

#[tokio::test]
async fn dry_run_names_the_version_that_would_run_and_runs_nothing() {
    let fx = fixture().await;
    let latest = fx
        .service
        .invoke(request("f", InvocationType::DryRun))
        .await;
    assert_eq!(dry_run_version(latest), "$LATEST");

    fx.control
        .publish_version("f", PublishVersionRequest::default())
        .await
        .unwrap();
    let by_qualifier = fx
        .service
        .invoke(InvocationRequest {
            qualifier: Some("1"),
            ..request("f", InvocationType::DryRun)
        })
        .await;
    assert_eq!(dry_run_version(by_qualifier), "1");
    let by_arn = fx
        .service
        .invoke(request(
            "arn:aws:lambda:us-east-1:123456789012:function:f:1",
            InvocationType::DryRun,
        ))
        .await;
    assert_eq!(dry_run_version(by_arn), "1");
    assert_eq!(fx.engine.idle_environments(), 0);
}

#[tokio::test]
async fn an_event_is_acknowledged_once_it_is_in_the_queue() {
    let fx = fixture().await;
    let event = InvocationRequest {
        payload: Bytes::from_static(b"{\"k\":1}"),
        ..request("f", InvocationType::Event)
    };
    let outcome = fx.service.invoke(event).await.unwrap();
    assert!(
        matches!(outcome, InvocationOutcome::Accepted),
        "{outcome:?}"
    );
    // The wake-up was given: a waiter returns at once.
    tokio::time::timeout(std::time::Duration::from_secs(5), fx.enqueued.notified())
        .await
        .unwrap();
    let queued = fx
        .store
        .queued_event("00000000-0000-0000-0000-000000000001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(queued.function, "f");
    assert_eq!(queued.qualifier, "$LATEST");
    assert_eq!(queued.payload, b"{\"k\":1}");
    assert_eq!(queued.attempts, 0);
    assert!(queued.lease.is_none());
    assert!((chrono::Utc::now() - queued.received_at).num_seconds() < 60);
    // An empty body is the empty JSON object, as for a synchronous invoke; no engine ran.
    fx.service
        .invoke(InvocationRequest {
            request_id: "00000000-0000-0000-0000-000000000002".into(),
            ..request("f", InvocationType::Event)
        })
        .await
        .unwrap();
    let empty = fx
        .store
        .queued_event("00000000-0000-0000-0000-000000000002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(empty.payload, b"{}");
    assert_eq!(fx.engine.idle_environments(), 0);
}

#[tokio::test]
async fn an_event_keeps_the_qualifier_it_was_invoked_with() {
    let fx = fixture().await;
    fx.control
        .publish_version("f", PublishVersionRequest::default())
        .await
        .unwrap();
    let cases = [
        ("f", Some("1"), "1"),
        ("f:$LATEST", None, "$LATEST"),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:f:1",
            None,
            "1",
        ),
    ];
    for (i, (function, qualifier, expected)) in cases.into_iter().enumerate() {
        let id = format!("00000000-0000-0000-0000-00000000001{i}");
        fx.service
            .invoke(InvocationRequest {
                qualifier,
                request_id: id.clone(),
                ..request(function, InvocationType::Event)
            })
            .await
            .unwrap();
        let queued = fx.store.queued_event(&id).await.unwrap().unwrap();
        assert_eq!(
            (queued.function.as_str(), queued.qualifier.as_str()),
            ("f", expected)
        );
    }
}

#[tokio::test]
async fn an_event_over_1_mb_or_not_json_is_refused_and_not_queued() {
    let fx = fixture().await;
    let big = InvocationRequest {
        payload: Bytes::from(vec![b' '; 1_048_577]),
        ..request("f", InvocationType::Event)
    };
    let e = refused(fx.service.invoke(big).await);
    assert_eq!(e.kind, ErrorKind::RequestTooLarge);
    assert!(e.message.contains("1048576 bytes"), "{}", e.message);
    let bad = InvocationRequest {
        payload: Bytes::from_static(b"{nope"),
        ..request("f", InvocationType::Event)
    };
    assert_eq!(
        refused(fx.service.invoke(bad).await).kind,
        ErrorKind::InvalidRequestContent
    );
    // 1 MB exactly is accepted (a synchronous invoke may be larger still).
    let at_limit = InvocationRequest {
        payload: Bytes::from(vec![b' '; 1_048_576]),
        ..request("f", InvocationType::Event)
    };
    fx.service.invoke(at_limit).await.unwrap();
    assert_eq!(fx.store.queue_depth("f").await.unwrap(), 1);
}

#[tokio::test]
async fn a_store_failure_is_a_500_that_names_no_path() {
    let fx = fixture().await;
    // Resolved once (and so cached) while the store is open: the failure is the commit's.
    dry_run_version(
        fx.service
            .invoke(request("f", InvocationType::DryRun))
            .await,
    );
    fx.store.close().await;
    let e = refused(fx.service.invoke(request("f", InvocationType::Event)).await);
    assert_eq!(e.kind, ErrorKind::Service);
    assert!(!e.message.contains('/'), "{}", e.message);
}

#[tokio::test]
async fn without_a_queue_an_event_is_refused() {
    let fx = fixture().await;
    let service = Invocations::new(fx.control.clone(), fx.engine.clone());
    let e = refused(service.invoke(request("f", InvocationType::Event)).await);
    assert_eq!(e.kind, ErrorKind::InvalidParameterValue);
}

#[tokio::test]
async fn unknown_function_or_qualifier_is_a_404_whatever_the_type() {
    let fx = fixture().await;
    for kind in [
        InvocationType::RequestResponse,
        InvocationType::Event,
        InvocationType::DryRun,
    ] {
        let e = refused(fx.service.invoke(request("nope", kind)).await);
        assert_eq!(e.kind, ErrorKind::ResourceNotFound, "{kind:?}");
        assert_eq!(
            e.message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST"
        );
    }
    let e = refused(
        fx.service
            .invoke(InvocationRequest {
                qualifier: Some("7"),
                ..request("f", InvocationType::DryRun)
            })
            .await,
    );
    assert_eq!(e.kind, ErrorKind::ResourceNotFound);
}

#[tokio::test]
async fn payload_is_checked_before_the_function_is_resolved() {
    let fx = fixture().await;
    let not_json = InvocationRequest {
        payload: Bytes::from_static(b"{nope"),
        ..request("nope", InvocationType::RequestResponse)
    };
    let e = refused(fx.service.invoke(not_json).await);
    assert_eq!(e.kind, ErrorKind::InvalidRequestContent);
    assert!(e.message.starts_with(
        "Could not parse request body into json: Could not parse payload into json: "
    ));

    let too_large = InvocationRequest {
        payload: Bytes::from(vec![b' '; stratus_model::invoke::MAX_SYNC_PAYLOAD + 1]),
        ..request("f", InvocationType::DryRun)
    };
    let e = refused(fx.service.invoke(too_large).await);
    assert_eq!(e.kind, ErrorKind::RequestTooLarge);

    let blank = InvocationRequest {
        payload: Bytes::from_static(b" \n"),
        ..request("f", InvocationType::DryRun)
    };
    assert_eq!(dry_run_version(fx.service.invoke(blank).await), "$LATEST");
}

#[tokio::test]
async fn client_context_is_decoded_and_checked_by_the_service() {
    let fx = fixture().await;
    let with_context = |context| InvocationRequest {
        client_context: Some(context),
        ..request("f", InvocationType::DryRun)
    };

    let e = refused(fx.service.invoke(with_context("!!!")).await);
    assert_eq!(e.kind, ErrorKind::InvalidParameterValue);
    assert_eq!(
        e.message,
        "Client context must be a valid Base64-encoded JSON object."
    );
    let array = base64::engine::general_purpose::STANDARD.encode("[1]");
    let e = refused(fx.service.invoke(with_context(&array)).await);
    assert_eq!(e.kind, ErrorKind::InvalidParameterValue);
    let long = "A".repeat(stratus_model::invoke::MAX_CLIENT_CONTEXT + 1);
    let e = refused(fx.service.invoke(with_context(&long)).await);
    assert_eq!(e.message, "Client context must be smaller than 3583 bytes");

    let object = base64::engine::general_purpose::STANDARD.encode(r#"{"custom":{"a":1}}"#);
    assert_eq!(
        dry_run_version(fx.service.invoke(with_context(&object)).await),
        "$LATEST"
    );
    // An empty header is no client context.
    assert_eq!(
        dry_run_version(fx.service.invoke(with_context("")).await),
        "$LATEST"
    );
}

#[tokio::test]
async fn engine_refusals_become_lambda_errors() {
    let fx = fixture().await;
    fx.control
        .put_concurrency(
            "f",
            Concurrency {
                reserved_concurrent_executions: Some(0),
            },
        )
        .await
        .unwrap();
    let e = refused(
        fx.service
            .invoke(request("f", InvocationType::RequestResponse))
            .await,
    );
    assert_eq!(e.kind, ErrorKind::TooManyRequests);
    assert_eq!(e.message, "Rate Exceeded.");
    assert_eq!(
        e.reason,
        Some("ReservedFunctionConcurrentInvocationLimitExceeded")
    );
    assert_eq!(fx.engine.idle_environments(), 0);
}
