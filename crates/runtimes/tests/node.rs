//! The bundled Node.js bootstrap, run by the host's node against a fake Runtime API.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use std::time::Duration;

use common::{now_ms, rich_event, Event, Sandbox};
use serde_json::json;

fn runtime() -> String {
    common::node_runtime()
}

const CONTEXT_HANDLER: &str = r#"
let count = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
exports.handler = async (event, context) => {
  count += 1;
  console.log('hello from handler', event.n, { nested: true });
  const first = context.getRemainingTimeInMillis();
  await sleep(50);
  const second = context.getRemainingTimeInMillis();
  return {
    event,
    count,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    identity: context.identity === undefined ? 'absent' : context.identity,
    clientContext: context.clientContext === undefined ? 'absent' : context.clientContext,
    callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    legacy: [typeof context.done, typeof context.succeed, typeof context.fail],
    trace: process.env._X_AMZN_TRACE_ID || null,
    remaining: [first, second],
  };
};
"#;

#[test]
fn success_event_context_console_and_warm_state() {
    let sb = Sandbox::new();
    sb.file("index.js", CONTEXT_HANDLER);
    let mut first = rich_event("req-1", r#"{"n": 1, "nested": {"a": [1, 2]}}"#);
    first.deadline_ms = now_ms() + 30_000;
    let run = sb.run(
        &runtime(),
        "index.handler",
        vec![first, Event::new("req-2", r#"{"n": 2}"#)],
        2,
    );
    let r1 = run.response("req-1");
    assert_eq!(r1["event"], json!({"n": 1, "nested": {"a": [1, 2]}}));
    assert_eq!(r1["count"], 1);
    assert_eq!(r1["functionName"], "fn-under-test");
    assert_eq!(r1["functionVersion"], "$LATEST");
    assert_eq!(
        r1["invokedFunctionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:fn-under-test:live"
    );
    assert_eq!(r1["memoryLimitInMB"], "256");
    assert_eq!(r1["awsRequestId"], "req-1");
    assert_eq!(r1["logGroupName"], "/aws/lambda/fn-under-test");
    assert_eq!(
        r1["logStreamName"],
        "2025/01/02/[$LATEST]0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        r1["identity"],
        json!({"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"})
    );
    assert_eq!(r1["clientContext"]["client"]["installation_id"], "inst-1");
    assert_eq!(r1["clientContext"]["custom"], json!({"k": "v"}));
    assert_eq!(r1["clientContext"]["env"], json!({"platform": "test"}));
    assert_eq!(r1["callbackWaitsForEmptyEventLoop"], true);
    assert_eq!(r1["legacy"], json!(["function", "function", "function"]));
    assert_eq!(
        r1["trace"],
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    );
    let a = r1["remaining"][0].as_u64().unwrap();
    let b = r1["remaining"][1].as_u64().unwrap();
    assert!(a > 20_000 && a <= 30_000, "{a}");
    assert!(b < a && b > 0, "{b}");

    let r2 = run.response("req-2");
    assert_eq!(r2["count"], 2, "module state survives between invocations");
    assert_eq!(r2["identity"], "absent");
    assert_eq!(r2["clientContext"], "absent");
    assert_eq!(r2["trace"], serde_json::Value::Null);

    let line = run
        .stdout
        .lines()
        .find(|l| l.ends_with("hello from handler 1 { nested: true }"))
        .unwrap_or_else(|| panic!("no console line in {}", run.stdout));
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields.len(), 4, "{line}");
    assert!(fields[0].ends_with('Z') && fields[0].len() == 24, "{line}");
    assert_eq!(&fields[1..3], ["req-1", "INFO"]);
}

#[test]
fn callback_style_waits_for_the_event_loop_unless_told_not_to() {
    let sb = Sandbox::new();
    sb.file(
        "cb.js",
        r#"
let timerFired = false;
exports.handler = function (event, context, callback) {
  if (event.mode === 'nowait') context.callbackWaitsForEmptyEventLoop = false;
  if (event.mode === 'error') return callback(new TypeError('bad input'));
  setTimeout(() => { timerFired = true; console.warn('timer fired'); }, 600);
  callback(null, { mode: event.mode, timerFiredBefore: timerFired });
};
"#,
    );
    let run = sb.run(
        &runtime(),
        "cb.handler",
        vec![
            Event::new("wait", r#"{"mode": "wait"}"#),
            Event::new("nowait", r#"{"mode": "nowait"}"#),
            Event::new("error", r#"{"mode": "error"}"#),
        ],
        3,
    );
    assert_eq!(
        run.response("wait"),
        json!({"mode": "wait", "timerFiredBefore": false})
    );
    assert_eq!(
        run.response("nowait"),
        json!({"mode": "nowait", "timerFiredBefore": true})
    );
    let waited = run.post("/invocation/wait/response").at - run.api.served_at("wait").unwrap();
    assert!(waited >= Duration::from_millis(550), "{waited:?}");
    let quick = run.post("/invocation/nowait/response").at - run.api.served_at("nowait").unwrap();
    assert!(quick < Duration::from_millis(500), "{quick:?}");
    let err = run.error("error");
    assert_eq!(err.error_type_header(), "Unhandled");
    let body = err.json();
    assert_eq!(body["errorType"], "TypeError");
    assert_eq!(body["errorMessage"], "bad input");
    assert!(run.stdout.contains("\tWARN\ttimer fired"), "{}", run.stdout);
}

#[test]
fn esm_handler_in_a_nested_directory_and_thrown_errors() {
    let sb = Sandbox::new();
    sb.file(
        "src/api/app.mjs",
        r#"
import { helper } from './helper.mjs';
let n = 0;
export const handler = async (event) => {
  n += 1;
  if (event.fail) throw new RangeError('out of range');
  return { value: helper(), n };
};
"#,
    )
    .file(
        "src/api/helper.mjs",
        "export const helper = () => 'esm ok';\n",
    );
    let run = sb.run(
        &runtime(),
        "src/api/app.handler",
        vec![
            Event::new("one", "{}"),
            Event::new("two", r#"{"fail": true}"#),
            Event::new("three", "{}"),
        ],
        3,
    );
    assert_eq!(run.response("one"), json!({"value": "esm ok", "n": 1}));
    assert_eq!(run.response("three"), json!({"value": "esm ok", "n": 3}));
    let body = run.error("two").json();
    assert_eq!(body["errorType"], "RangeError");
    assert_eq!(body["errorMessage"], "out of range");
    let trace = body["trace"].as_array().unwrap();
    assert_eq!(trace[0], "RangeError: out of range");
    assert!(
        trace[1].as_str().unwrap().contains("app.mjs:6:"),
        "{trace:?}"
    );
    assert_eq!(body["stackTrace"], body["trace"]);
    assert!(
        run.stdout.contains("\ttwo\tERROR\tInvoke Error \t{"),
        "{}",
        run.stdout
    );
}

#[test]
fn js_file_under_a_module_package_is_imported_and_cjs_is_required() {
    let sb = Sandbox::new();
    sb.file("esm/package.json", r#"{"type": "module"}"#)
        .file(
            "esm/main.js",
            "export async function go() { return typeof require; }\n",
        )
        .file(
            "legacy.cjs",
            "module.exports.go = async () => typeof require;\n",
        );
    let run = sb.run(&runtime(), "esm/main.go", vec![Event::new("a", "{}")], 1);
    assert_eq!(run.response("a"), json!("undefined"));
    let run = sb.run(&runtime(), "legacy.go", vec![Event::new("b", "{}")], 1);
    assert_eq!(run.response("b"), json!("function"));
}

fn init_error(sb: &Sandbox, handler: &str) -> (String, serde_json::Value) {
    let run = sb.run(
        &runtime(),
        handler,
        vec![Event::new("never", "{}")],
        usize::MAX,
    );
    assert!(
        run.exit.is_some_and(|s| !s.success()),
        "runtime should exit"
    );
    assert!(run.api.served_at("never").is_none());
    let post = run.init_error();
    let body = post.json();
    assert_eq!(body["errorType"], post.error_type_header());
    assert!(body["trace"].is_array() && body["stackTrace"].is_array());
    (post.error_type_header().to_string(), body)
}

#[test]
fn init_failures() {
    let sb = Sandbox::new();
    let (kind, body) = init_error(&sb, "index.handler");
    assert_eq!(kind, "Runtime.ImportModuleError");
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("Error: Cannot find module 'index'"));

    sb.file(
        "dep.js",
        "require('not-installed-dep');\nexports.handler = async () => 1;\n",
    );
    let (kind, body) = init_error(&sb, "dep.handler");
    assert_eq!(kind, "Runtime.ImportModuleError");
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .contains("'not-installed-dep'"));

    sb.file(
        "index.js",
        "exports.other = async () => 1;\nexports.notfn = 5;\n",
    );
    let (kind, body) = init_error(&sb, "index.handler");
    assert_eq!(kind, "Runtime.HandlerNotFound");
    assert_eq!(
        body["errorMessage"],
        "index.handler is undefined or not exported"
    );
    let (kind, body) = init_error(&sb, "index.notfn");
    assert_eq!(kind, "Runtime.HandlerNotFound");
    assert_eq!(body["errorMessage"], "index.notfn is not a function");

    let (kind, body) = init_error(&sb, "index");
    assert_eq!(kind, "Runtime.MalformedHandlerName");
    assert_eq!(body["errorMessage"], "Bad handler index");

    sb.file("broken.js", "exports.handler = async () => {\n");
    let (kind, body) = init_error(&sb, "broken.handler");
    assert_eq!(kind, "Runtime.UserCodeSyntaxError");
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .starts_with("SyntaxError: "));

    sb.file("throws.mjs", "throw new Error('top-level failure');\n");
    let (kind, body) = init_error(&sb, "throws.handler");
    assert_eq!(kind, "Error");
    assert_eq!(body["errorMessage"], "top-level failure");
}

#[test]
fn unhandled_rejection_fails_the_invocation() {
    let sb = Sandbox::new();
    sb.file(
        "index.js",
        "exports.handler = (event, context, callback) => { Promise.reject(new Error('lost')); };\n",
    );
    let run = sb.run(&runtime(), "index.handler", vec![Event::new("r", "{}")], 1);
    let body = run.error("r").json();
    assert_eq!(body["errorType"], "Runtime.UnhandledPromiseRejection");
    assert_eq!(body["errorMessage"], "Error: lost");
}

#[test]
fn large_payloads_and_a_closed_connection_round_trip() {
    let sb = Sandbox::new();
    sb.file(
        "index.js",
        "exports.handler = async (event, context) => ({ echo: event, id: context.awsRequestId });\n",
    );
    // Larger than one receive and than one send: read and written in several pieces.
    let big = "é".repeat(1_500_000);
    let event = serde_json::to_string(&json!({ "big": big })).unwrap();
    let run = sb.run(
        &runtime(),
        "index.handler",
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
