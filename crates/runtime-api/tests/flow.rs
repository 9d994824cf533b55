//! The Runtime API over real TCP, with the test playing the runtime.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{invocation, serve, within, Client, DEADLINE};
use stratus_runtime_api::{InitFailure, InvokeError, Limits, Outcome};

const INVALID_ID: &[u8] =
    br#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#;

#[tokio::test]
async fn ready_then_invoke_delivers_event_and_response() {
    let (api, addr) = serve(Limits::default());
    assert!(api.first_next_at().is_none());
    let mut rt = Client::connect(addr).await;
    let runtime = tokio::spawn(async move {
        let next = rt.next().await;
        let id = next
            .header("Lambda-Runtime-Aws-Request-Id")
            .unwrap()
            .to_owned();
        let accepted = rt.respond(&id, br#"{"answer":42}"#).await;
        (next, accepted)
    });
    within(api.ready()).await.unwrap();
    assert!(api.first_next_at().is_some());

    let outcome = api
        .invoke(invocation("req-1", br#"{"q":1}"#))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Outcome::Response(Bytes::from_static(br#"{"answer":42}"#))
    );

    let (next, accepted) = within(runtime).await.unwrap();
    assert_eq!(next.status, 200);
    assert_eq!(next.body, br#"{"q":1}"#);
    assert_eq!(next.header("Lambda-Runtime-Aws-Request-Id"), Some("req-1"));
    assert_eq!(
        next.header("Lambda-Runtime-Deadline-Ms"),
        Some("1700000003000")
    );
    assert_eq!(
        next.header("Lambda-Runtime-Invoked-Function-Arn"),
        Some("arn:aws:lambda:us-east-1:123456789012:function:f:live")
    );
    assert_eq!(
        next.header("Lambda-Runtime-Trace-Id"),
        Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
    );
    assert_eq!(
        next.header("Lambda-Runtime-Client-Context"),
        Some(r#"{"custom":{"k":"v"}}"#)
    );
    assert_eq!(
        next.header("Lambda-Runtime-Cognito-Identity"),
        Some(r#"{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}"#)
    );
    assert_eq!(next.header("Content-Type"), Some("application/json"));
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.body, br#"{"status":"OK"}"#);
}

#[tokio::test]
async fn absent_optional_headers_are_omitted() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let mut inv = invocation("req-2", b"{}");
    inv.client_context = None;
    inv.cognito_identity = None;
    let runtime = async {
        let next = rt.next().await;
        rt.respond("req-2", b"null").await;
        next
    };
    let (outcome, next) = tokio::join!(within(api.invoke(inv)), runtime);
    assert_eq!(
        outcome.unwrap(),
        Outcome::Response(Bytes::from_static(b"null"))
    );
    assert!(next.header("Lambda-Runtime-Client-Context").is_none());
    assert!(next.header("Lambda-Runtime-Cognito-Identity").is_none());
}

#[tokio::test]
async fn error_path_passes_type_and_body_through() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let body = br#"{"errorMessage":"boom","errorType":"ValueError","stackTrace":[]}"#;
    let runtime = async {
        let next = rt.next().await;
        let id = next
            .header("Lambda-Runtime-Aws-Request-Id")
            .unwrap()
            .to_owned();
        let path = format!("/2018-06-01/runtime/invocation/{id}/error");
        rt.request(
            "POST",
            &path,
            &[("Lambda-Runtime-Function-Error-Type", "Unhandled")],
            body,
        )
        .await
    };
    let (outcome, accepted) = tokio::join!(within(api.invoke(invocation("req-e", b"{}"))), runtime);
    assert_eq!(accepted.status, 202);
    assert_eq!(
        outcome.unwrap(),
        Outcome::Error {
            error_type: Some("Unhandled".into()),
            body: Bytes::from_static(body)
        }
    );
}

#[tokio::test]
async fn init_error_fails_ready_and_later_invokes() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let body = br#"{"errorMessage":"Unable to import module 'app'","errorType":"Runtime.ImportModuleError"}"#;
    let accepted = rt
        .request(
            "POST",
            "/2018-06-01/runtime/init/error",
            &[(
                "Lambda-Runtime-Function-Error-Type",
                "Runtime.ImportModuleError",
            )],
            body,
        )
        .await;
    assert_eq!(accepted.status, 202);
    let failure = InitFailure {
        error_type: Some("Runtime.ImportModuleError".into()),
        body: Bytes::from_static(body),
    };
    assert_eq!(within(api.ready()).await, Err(failure.clone()));
    assert_eq!(
        within(api.invoke(invocation("req-i", b"{}"))).await,
        Err(InvokeError::Init(failure))
    );
}

#[tokio::test]
async fn init_error_fails_a_waiting_invocation() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let runtime = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        rt.request("POST", "/2018-06-01/runtime/init/error", &[], b"{}")
            .await
    };
    let (outcome, accepted) = tokio::join!(within(api.invoke(invocation("req-w", b"{}"))), runtime);
    assert_eq!(accepted.status, 202);
    let Err(InvokeError::Init(InitFailure {
        error_type: None,
        body,
    })) = outcome
    else {
        panic!("unexpected {outcome:?}");
    };
    assert_eq!(body, "{}");
}

#[tokio::test]
async fn unknown_and_repeated_request_ids_get_400() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let resp = rt.respond("nobody", b"{}").await;
    assert_eq!((resp.status, resp.body.as_slice()), (400, INVALID_ID));

    let runtime = async {
        rt.next().await;
        let wrong = rt.respond("req-other", b"1").await;
        let right = rt.respond("req-x", b"2").await;
        let again = rt.respond("req-x", b"3").await;
        let error_again = rt
            .request(
                "POST",
                "/2018-06-01/runtime/invocation/req-x/error",
                &[],
                b"{}",
            )
            .await;
        (wrong, right, again, error_again)
    };
    let (outcome, (wrong, right, again, error_again)) =
        tokio::join!(within(api.invoke(invocation("req-x", b"{}"))), runtime);
    assert_eq!(
        outcome.unwrap(),
        Outcome::Response(Bytes::from_static(b"2"))
    );
    assert_eq!((wrong.status, wrong.body.as_slice()), (400, INVALID_ID));
    assert_eq!(right.status, 202);
    assert_eq!((again.status, again.body.as_slice()), (400, INVALID_ID));
    assert_eq!(error_again.status, 400);
}

#[tokio::test]
async fn announced_oversized_response_gets_413_and_fails_the_invoke() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let runtime = async {
        rt.next().await;
        // Announce one byte over the limit; the server must answer without reading the body.
        rt.send_raw(b"POST /2018-06-01/runtime/invocation/req-big/response HTTP/1.1\r\nHost: x\r\nContent-Length: 6291557\r\n\r\n")
            .await;
        rt.response().await
    };
    let (outcome, resp) = tokio::join!(within(api.invoke(invocation("req-big", b"{}"))), runtime);
    assert_eq!(outcome, Err(InvokeError::ResponseTooLarge));
    assert_eq!(resp.status, 413);
    assert_eq!(
        resp.body,
        br#"{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}"#
    );
}

#[tokio::test]
async fn chunked_responses_are_accepted_and_capped() {
    let (api, addr) = serve(Limits { max_response: 16 });
    let mut rt = Client::connect(addr).await;
    let runtime = async {
        rt.next().await;
        rt.send_raw(
            b"POST /2018-06-01/runtime/invocation/req-c1/response HTTP/1.1\r\nHost: x\r\n\
              Lambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
        .await;
        rt.response().await
    };
    let (outcome, resp) = tokio::join!(within(api.invoke(invocation("req-c1", b"{}"))), runtime);
    assert_eq!(resp.status, 202);
    assert_eq!(
        outcome.unwrap(),
        Outcome::Response(Bytes::from_static(b"hello world"))
    );

    let runtime = async {
        rt.next().await;
        rt.send_raw(
            b"POST /2018-06-01/runtime/invocation/req-c2/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
              a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
        )
        .await;
        rt.response().await
    };
    let (outcome, resp) = tokio::join!(within(api.invoke(invocation("req-c2", b"{}"))), runtime);
    assert_eq!(outcome, Err(InvokeError::ResponseTooLarge));
    assert_eq!(resp.status, 413);
}

#[tokio::test]
async fn second_invoke_while_one_is_in_flight_is_rejected() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let first = within(api.invoke(invocation("req-a", b"{}")));
    tokio::pin!(first);
    // Queued (not yet taken by /next): busy.
    assert!(tokio::time::timeout(Duration::from_millis(10), &mut first)
        .await
        .is_err());
    assert_eq!(
        within(api.invoke(invocation("req-b", b"{}"))).await,
        Err(InvokeError::Busy)
    );
    // In flight (taken by /next): still busy.
    let runtime = async {
        rt.next().await;
        assert_eq!(
            within(api.invoke(invocation("req-b", b"{}"))).await,
            Err(InvokeError::Busy)
        );
        rt.respond("req-a", b"a").await
    };
    let (outcome, resp) = tokio::join!(first, runtime);
    assert_eq!(resp.status, 202);
    assert_eq!(
        outcome.unwrap(),
        Outcome::Response(Bytes::from_static(b"a"))
    );
}

#[tokio::test]
async fn dropped_invoke_leaves_the_environment_idle() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    // Delivered, then abandoned by the engine (its timeout fired).
    let runtime = async {
        let next = rt.next().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        (next, rt.respond("req-late", b"late").await)
    };
    let abandoned = tokio::time::timeout(
        Duration::from_millis(20),
        api.invoke(invocation("req-late", b"{}")),
    );
    let (outcome, (next, late)) = tokio::join!(abandoned, runtime);
    assert!(outcome.is_err());
    assert_eq!(next.status, 200);
    assert_eq!((late.status, late.body.as_slice()), (400, INVALID_ID));
    // Queued, then abandoned before any /next.
    let abandoned = tokio::time::timeout(
        Duration::from_millis(10),
        api.invoke(invocation("req-q", b"{}")),
    )
    .await;
    assert!(abandoned.is_err());
    // The next invocation goes through on the same connection.
    let runtime = async {
        let next = rt.next().await;
        assert_eq!(next.header("Lambda-Runtime-Aws-Request-Id"), Some("req-ok"));
        rt.respond("req-ok", b"ok").await
    };
    let (outcome, resp) = tokio::join!(within(api.invoke(invocation("req-ok", b"{}"))), runtime);
    assert_eq!(resp.status, 202);
    assert_eq!(
        outcome.unwrap(),
        Outcome::Response(Bytes::from_static(b"ok"))
    );
}

#[tokio::test]
async fn keep_alive_serves_many_invocations_on_one_connection() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    for i in 0..20 {
        let id = format!("req-{i}");
        let runtime = async {
            let next = rt.next().await;
            assert_eq!(
                next.header("Lambda-Runtime-Aws-Request-Id"),
                Some(id.as_str())
            );
            assert!(next
                .header("Connection")
                .is_none_or(|v| !v.eq_ignore_ascii_case("close")));
            let body = format!("{i}");
            rt.respond(&id, body.as_bytes()).await
        };
        let mut inv = invocation(&id, b"{}");
        inv.request_id = id.clone();
        let (outcome, resp) = tokio::join!(within(api.invoke(inv)), runtime);
        assert_eq!(resp.status, 202);
        assert_eq!(
            outcome.unwrap(),
            Outcome::Response(Bytes::from(format!("{i}")))
        );
    }
}

#[tokio::test]
async fn ping_404_and_405() {
    let (_api, addr) = serve(Limits::default());
    let mut c = Client::connect(addr).await;
    let ping = c.request("GET", "/2018-06-01/ping", &[], b"").await;
    assert_eq!(
        (ping.status, ping.body.as_slice()),
        (200, b"pong".as_slice())
    );
    for path in [
        "/2020-01-01/extension/register",
        "/2022-07-01/telemetry",
        "/nope",
    ] {
        let r = c.request("POST", path, &[], b"{}").await;
        assert_eq!(r.status, 404, "{path}");
        assert!(
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["errorType"].is_string()
        );
    }
    let r = c
        .request("POST", "/2018-06-01/runtime/invocation/next", &[], b"")
        .await;
    assert_eq!(r.status, 405);
    let r = c
        .request("GET", "/2018-06-01/runtime/invocation/x/response", &[], b"")
        .await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn shutdown_fails_the_pending_invoke_and_closes_connections() {
    let (api, addr) = serve(Limits::default());
    let mut rt = Client::connect(addr).await;
    let runtime = async {
        rt.next().await;
        api.shutdown();
        rt.closed().await
    };
    let (outcome, closed) = tokio::join!(within(api.invoke(invocation("req-s", b"{}"))), runtime);
    assert_eq!(outcome, Err(InvokeError::Shutdown));
    assert!(closed);
    assert_eq!(
        within(api.invoke(invocation("req-t", b"{}"))).await,
        Err(InvokeError::Shutdown)
    );
    // The listener is gone too (the accept loop ends and drops it).
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while within(tokio::net::TcpStream::connect(addr)).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listener still accepts after shutdown"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
