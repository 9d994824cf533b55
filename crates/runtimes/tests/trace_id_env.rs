//! `_X_AMZN_TRACE_ID`: user code reads the current invocation's trace id from the
//! environment, as on Lambda, while the bundled runtimes never write it into the C-level
//! process environment. glibc keeps every distinct value given to `setenv` for the life of
//! the process, so a write per invoke grows a warm environment without bound.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use common::{node_runtime, Event, Sandbox};
use serde_json::{json, Value};

const TRACES: [&str; 2] = [
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    "Root=1-5759e988-00000000000000000000beef;Parent=0000000000000001;Sampled=0",
];

/// Two invocations with distinct trace ids, then one without.
fn events() -> Vec<Event> {
    vec![
        Event::new("t1", "{}").header("Lambda-Runtime-Trace-Id", TRACES[0]),
        Event::new("t2", "{}").header("Lambda-Runtime-Trace-Id", TRACES[1]),
        Event::new("t3", "{}"),
    ]
}

// `getenv` through ctypes reads the C environment that `os.environ` writes through to.
const PYTHON_HANDLER: &str = r#"
import ctypes
import os
import subprocess

libc = ctypes.CDLL(None)
libc.getenv.restype = ctypes.c_char_p

def handler(event, context):
    c_level = libc.getenv(b"_X_AMZN_TRACE_ID")
    # User writes to os.environ still reach the C environment (children see them).
    os.environ["USER_SET"] = context.aws_request_id
    child = subprocess.run(["/bin/sh", "-c", 'printf %s "$USER_SET"'], capture_output=True)
    return {
        "environ": os.environ.get("_X_AMZN_TRACE_ID"),
        "getenv": os.getenv("_X_AMZN_TRACE_ID"),
        "listed": "_X_AMZN_TRACE_ID" in os.environ,
        "environb": (os.environb.get(b"_X_AMZN_TRACE_ID") or b"").decode() or None,
        "c_level": None if c_level is None else c_level.decode(),
        "user_set_in_child": child.stdout.decode(),
    }
"#;

#[test]
fn python_reads_the_current_trace_id_without_setenv_per_invoke() {
    let sb = Sandbox::new();
    sb.file("app.py", PYTHON_HANDLER);
    let run = sb.run("python3.11", "app.handler", events(), 3);
    for (id, trace) in [("t1", json!(TRACES[0])), ("t2", json!(TRACES[1]))] {
        assert_eq!(
            run.response(id),
            json!({"environ": trace, "getenv": trace, "listed": true, "environb": trace,
                   "c_level": null, "user_set_in_child": id}),
            "{id}: {}",
            run.stderr
        );
    }
    assert_eq!(
        run.response("t3"),
        json!({"environ": null, "getenv": null, "listed": false, "environb": null,
               "c_level": null, "user_set_in_child": "t3"})
    );
}

// The diagnostic report lists the process's real (C-level) environment, whatever object
// `process.env` is.
const NODE_HANDLER: &str = r#"
const { spawnSync } = require('node:child_process');
exports.handler = async (event, context) => {
  const cLevel = process.report.getReport().environmentVariables._X_AMZN_TRACE_ID;
  process.env.USER_SET = 7; // coerced to a string and written through, as on Lambda
  const real = process.report.getReport().environmentVariables.USER_SET;
  const child = spawnSync('/bin/sh', ['-c', 'printf %s "$_X_AMZN_TRACE_ID"']);
  return {
    env: process.env._X_AMZN_TRACE_ID === undefined ? null : process.env._X_AMZN_TRACE_ID,
    listed: '_X_AMZN_TRACE_ID' in process.env && Object.keys(process.env).includes('_X_AMZN_TRACE_ID'),
    cLevel: cLevel === undefined ? null : cLevel,
    child: child.stdout.toString(),
    userSet: [process.env.USER_SET, real],
  };
};
"#;

#[test]
fn node_reads_the_current_trace_id_without_setenv_per_invoke() {
    let sb = Sandbox::new();
    sb.file("index.js", NODE_HANDLER);
    let run = sb.run(&node_runtime(), "index.handler", events(), 3);
    for (id, trace) in [("t1", TRACES[0]), ("t2", TRACES[1])] {
        assert_eq!(
            run.response(id),
            json!({"env": trace, "listed": true, "cLevel": null, "child": trace,
                   "userSet": ["7", "7"]}),
            "{id}: {}",
            run.stderr
        );
    }
    assert_eq!(
        run.response("t3"),
        json!({"env": Value::Null, "listed": false, "cLevel": null, "child": "",
               "userSet": ["7", "7"]})
    );
}
