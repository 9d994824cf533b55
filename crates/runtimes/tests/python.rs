//! The bundled Python bootstrap, run by the host's python3.11 against a fake Runtime API.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use common::{now_ms, rich_event, Event, Sandbox};
use serde_json::json;

const RUNTIME: &str = "python3.11";

const CONTEXT_HANDLER: &str = r#"
import logging
import os
import time

COUNT = 0
logger = logging.getLogger("app")

def handler(event, context):
    global COUNT
    COUNT += 1
    print("hello from handler", event.get("n"))
    logger.warning("careful %s", COUNT)
    first = context.get_remaining_time_in_millis()
    time.sleep(0.05)
    second = context.get_remaining_time_in_millis()
    cc = context.client_context
    return {
        "event": event,
        "count": COUNT,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
        "client_context": None if cc is None else {
            "installation_id": cc.client.installation_id,
            "app_title": cc.client.app_title,
            "app_package_name": cc.client.app_package_name,
            "custom": cc.custom,
            "env": cc.env,
        },
        "tenant_id": context.tenant_id,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "remaining": [first, second],
        "cwd": os.getcwd(),
    }
"#;

#[test]
fn success_event_context_logs_and_warm_state() {
    let sb = Sandbox::new();
    sb.file("app.py", CONTEXT_HANDLER);
    let deadline = now_ms() + 30_000;
    let mut first = rich_event("req-1", r#"{"n": 1, "nested": {"a": [1, 2]}}"#);
    first.deadline_ms = deadline;
    let second = Event::new("req-2", r#"{"n": 2}"#);
    let run = sb.run(RUNTIME, "app.handler", vec![first, second], 2);

    let r1 = run.response("req-1");
    assert_eq!(r1["event"], json!({"n": 1, "nested": {"a": [1, 2]}}));
    assert_eq!(r1["count"], 1);
    assert_eq!(r1["function_name"], "fn-under-test");
    assert_eq!(r1["function_version"], "$LATEST");
    assert_eq!(
        r1["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:fn-under-test:live"
    );
    // Lambda's Python runtime hands the environment string through unchanged.
    assert_eq!(r1["memory_limit_in_mb"], "256");
    assert_eq!(r1["aws_request_id"], "req-1");
    assert_eq!(r1["log_group_name"], "/aws/lambda/fn-under-test");
    assert_eq!(
        r1["log_stream_name"],
        "2025/01/02/[$LATEST]0123456789abcdef0123456789abcdef"
    );
    assert_eq!(r1["identity"], json!(["id-1", "pool-1"]));
    assert_eq!(
        r1["client_context"],
        json!({"installation_id": "inst-1", "app_title": "App", "app_package_name": "com.example",
               "custom": {"k": "v"}, "env": {"platform": "test"}})
    );
    assert_eq!(r1["tenant_id"], serde_json::Value::Null);
    assert_eq!(
        r1["trace"],
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    );
    let first_left = r1["remaining"][0].as_u64().unwrap();
    let second_left = r1["remaining"][1].as_u64().unwrap();
    assert!(first_left > 20_000 && first_left <= 30_000, "{first_left}");
    assert!(second_left < first_left && second_left > 0, "{second_left}");

    // Warm state: the module was imported once; the absent headers reset per invoke.
    let r2 = run.response("req-2");
    assert_eq!(r2["count"], 2);
    assert_eq!(r2["aws_request_id"], "req-2");
    assert_eq!(r2["identity"], json!([null, null]));
    assert_eq!(r2["client_context"], serde_json::Value::Null);
    assert_eq!(r2["trace"], serde_json::Value::Null);
    assert_eq!(
        run.post("/invocation/req-1/response").headers["content-type"],
        "application/json"
    );

    assert!(
        run.stdout.contains("hello from handler 1\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("hello from handler 2\n"),
        "{}",
        run.stdout
    );
    let log_line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("[WARNING]") && l.ends_with("careful 1"))
        .unwrap_or_else(|| panic!("no logging line in {}", run.stdout));
    let fields: Vec<&str> = log_line.split('\t').collect();
    assert_eq!(fields.len(), 4, "{log_line}");
    assert!(
        fields[1].ends_with('Z') && fields[1].len() == 24,
        "{log_line}"
    );
    assert_eq!(fields[2], "req-1");
}

#[test]
fn handler_exception_posts_error_and_runtime_keeps_serving() {
    let sb = Sandbox::new();
    sb.file(
        "app.py",
        "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError(\"boom\")\n    return 'fine'\n",
    );
    let run = sb.run(
        RUNTIME,
        "app.handler",
        vec![
            Event::new("bad", r#"{"fail": true}"#),
            Event::new("good", "{}"),
        ],
        2,
    );
    let post = run.error("bad");
    assert_eq!(post.error_type_header(), "Unhandled");
    let body = post.json();
    assert_eq!(body["errorMessage"], "boom");
    assert_eq!(body["errorType"], "ValueError");
    assert_eq!(body["requestId"], "bad");
    let task = sb.task.to_str().unwrap();
    assert_eq!(
        body["stackTrace"],
        json!([format!(
            "  File \"{task}/app.py\", line 3, in handler\n    raise ValueError(\"boom\")\n"
        )])
    );
    assert_eq!(run.response("good"), json!("fine"));
    assert!(
        run.stdout
            .contains("[ERROR] ValueError: boom\rTraceback (most recent call last):\r"),
        "{}",
        run.stdout
    );
}

#[test]
fn unparseable_event_and_unserialisable_result() {
    let sb = Sandbox::new();
    sb.file(
        "app.py",
        "import decimal\ndef handler(event, context):\n    if event == 'set':\n        return {1, 2}\n    return {'d': decimal.Decimal('1.5'), 'i': decimal.Decimal('3')}\n",
    );
    let run = sb.run(
        RUNTIME,
        "app.handler",
        vec![
            Event::new("garbled", "{not json"),
            Event::new("set", r#""set""#),
            Event::new("dec", "{}"),
        ],
        3,
    );
    assert_eq!(
        run.error("garbled").json()["errorType"],
        "Runtime.UnmarshalError"
    );
    let marshal = run.error("set").json();
    assert_eq!(marshal["errorType"], "Runtime.MarshalError");
    assert!(marshal["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("Unable to marshal response: Object of type set is not JSON serializable"));
    assert_eq!(run.response("dec"), json!({"d": 1.5, "i": 3}));
}

fn init_error(files: &[(&str, &str)], handler: &str) -> (serde_json::Value, String, common::Run) {
    let sb = Sandbox::new();
    for (path, contents) in files {
        sb.file(path, contents);
    }
    let run = sb.run(
        RUNTIME,
        handler,
        vec![Event::new("never", "{}")],
        usize::MAX,
    );
    assert_eq!(
        run.exit.and_then(|s| s.code()),
        Some(1),
        "runtime should exit 1"
    );
    assert!(
        run.posts.iter().all(|p| p.path == "/init/error"),
        "{:?}",
        run.posts
    );
    assert!(
        run.api.served_at("never").is_none(),
        "no event is fetched after a failed init"
    );
    let post = run.init_error();
    let header = post.error_type_header().to_string();
    let body = post.json();
    assert_eq!(body["errorType"], header);
    assert_eq!(body["requestId"], "");
    (body, header, run)
}

#[test]
fn import_failure_is_an_import_module_error() {
    let (body, _, run) = init_error(&[], "app.handler");
    assert_eq!(
        body,
        json!({"errorMessage": "Unable to import module 'app': No module named 'app'",
               "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []})
    );
    assert!(run
        .stdout
        .contains("[ERROR] Runtime.ImportModuleError: Unable to import module 'app'"));
    let (body, _, _) = init_error(&[("app.py", "import not_installed_dep\n")], "app.handler");
    assert_eq!(
        body["errorMessage"],
        "Unable to import module 'app': No module named 'not_installed_dep'"
    );
}

#[test]
fn missing_handler_malformed_name_and_syntax_error() {
    let (body, header, _) = init_error(&[("app.py", "x = 1\n")], "app.handler");
    assert_eq!(header, "Runtime.HandlerNotFound");
    assert_eq!(
        body["errorMessage"],
        "Handler 'handler' missing on module 'app'"
    );

    let (body, header, _) = init_error(&[], "nodot");
    assert_eq!(header, "Runtime.MalformedHandlerName");
    assert_eq!(
        body["errorMessage"],
        "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)"
    );

    let (body, header, _) = init_error(&[("app.py", "def handler(:\n")], "app.handler");
    assert_eq!(header, "Runtime.UserCodeSyntaxError");
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("Syntax error in module 'app': "));

    let (body, header, _) = init_error(
        &[("app.py", "raise RuntimeError('init went wrong')\n")],
        "app.handler",
    );
    assert_eq!(header, "RuntimeError");
    assert_eq!(body["errorMessage"], "init went wrong");
    assert!(body["stackTrace"][0]
        .as_str()
        .unwrap()
        .contains("app.py\", line 1, in <module>"));
}

#[test]
fn handlers_in_subpackages_dotted_and_slashed() {
    for handler in ["pkg/sub/mod.fn", "pkg.sub.mod.fn"] {
        let sb = Sandbox::new();
        sb.file("pkg/__init__.py", "")
            .file("pkg/sub/__init__.py", "")
            .file(
                "pkg/sub/mod.py",
                "from . import helper\ndef fn(e, c):\n    return helper.VALUE\n",
            )
            .file("pkg/sub/helper.py", "VALUE = 'nested ok'\n");
        let run = sb.run(RUNTIME, handler, vec![Event::new("r", "{}")], 1);
        assert_eq!(
            run.response("r"),
            json!("nested ok"),
            "{handler}: {}",
            run.stdout
        );
    }
}

#[test]
fn sys_path_puts_task_root_first_then_layers_then_runtime_dir() {
    let sb = Sandbox::new();
    sb.file(
        "app.py",
        "import sys\ndef handler(e, c):\n    return sys.path[:4]\n",
    );
    let run = sb.run(RUNTIME, "app.handler", vec![Event::new("r", "{}")], 1);
    assert_eq!(
        run.response("r"),
        json!([
            sb.task.to_str().unwrap(),
            "/opt/python",
            "/opt/python/lib/python3.11/site-packages",
            sb.runtime.to_str().unwrap(),
        ])
    );
}

#[test]
fn large_payloads_and_a_closed_connection_round_trip() {
    let sb = Sandbox::new();
    sb.file(
        "app.py",
        "def handler(event, context):\n    return {'echo': event, 'id': context.aws_request_id}\n",
    );
    // Larger than one receive and than one send: read and written in several pieces.
    let big = "é".repeat(1_500_000);
    let event = serde_json::to_string(&json!({ "big": big })).unwrap();
    let run = sb.run(
        RUNTIME,
        "app.handler",
        vec![
            Event::new("big", &event),
            // The API closes the connection after this event: the runtime reconnects.
            Event::new("closing", r#"{"n": 1}"#).header("Connection", "close"),
            Event::new("after", r#"{"n": 2}"#),
        ],
        3,
    );
    assert_eq!(
        run.response("big"),
        json!({"echo": {"big": big}, "id": "big"})
    );
    assert_eq!(run.response("closing")["echo"], json!({"n": 1}));
    assert_eq!(
        run.response("after"),
        json!({"echo": {"n": 2}, "id": "after"})
    );
}
