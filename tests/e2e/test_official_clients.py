"""Functions built with AWS's own runtime clients, unmodified, on the custom runtime
(provided.al2023): the Python runtime interface client `awslambdaric` from PyPI, and a
Rust binary built with the `lambda_runtime` crate from crates.io. They only work if the
Runtime API (spec D) and the environment variables (spec E.1) are what AWS provides."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import REPO_ROOT, UUID_RE, create_function, exec_zip, invoke_json, log_tail, uniq, wait_active

WHEEL_DIR = REPO_ROOT / "target" / "e2e-wheels"
RUST_TARGET_DIR = REPO_ROOT / "target" / "e2e-rust-fn"

RIC_BOOTSTRAP = """#!/bin/sh
export PYTHONPATH=/var/task
exec /usr/bin/python3.11 -m awslambdaric "$_HANDLER"
"""

RIC_HANDLER = '''
import os

class ProbeError(Exception):
    pass

COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    print("ric handler saw", event)
    if event.get("fail"):
        raise ProbeError("asked to fail: " + str(event["fail"]))
    return {
        "event": event,
        "count": COUNT,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "log_group": context.log_group_name,
        "log_stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "client_context": context.client_context.custom if context.client_context else None,
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
        "execution_env": os.environ.get("AWS_EXECUTION_ENV"),
        "handler": os.environ.get("_HANDLER"),
    }
'''


def _pip_download(packages: list[str]) -> list[Path]:
    WHEEL_DIR.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--python-version", "3.11", "--platform", "manylinux2014_x86_64", "-d", str(WHEEL_DIR),
           *packages]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        pytest.skip(f"pip download {packages} failed (no package index?):\n{p.stderr[-2000:]}")
    return sorted(WHEEL_DIR.glob("*.whl"))


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode()
    out = []
    for line in text.splitlines():
        if line.startswith("Requires-Dist:"):
            spec = line.split(":", 1)[1].strip()
            if ";" in spec and "extra" in spec.split(";", 1)[1]:
                continue
            name = spec.split(";")[0].strip()
            for sep in "<>=!~ (":
                name = name.split(sep)[0]
            out.append(name)
    return out


@pytest.fixture(scope="module")
def ric_zip() -> bytes:
    """awslambdaric + its dependencies, unpacked into the package, plus bootstrap and handler."""
    _pip_download(["awslambdaric"])
    ric = sorted(WHEEL_DIR.glob("awslambdaric-*.whl"))[-1]
    deps = _requires(ric)
    wheels = [ric]
    if deps:
        _pip_download(deps)
        for d in deps:
            norm = d.lower().replace("-", "_")
            found = sorted(w for w in WHEEL_DIR.glob("*.whl")
                           if w.name.lower().split("-")[0] == norm)
            assert found, f"no wheel for dependency {d} of {ric.name}"
            wheels.append(found[-1])
    files: dict[str, bytes] = {}
    for w in wheels:
        with zipfile.ZipFile(w) as zf:
            for n in zf.namelist():
                if not n.endswith("/"):
                    files[n] = zf.read(n)
    files["bootstrap"] = RIC_BOOTSTRAP.encode()
    files["probe_handler.py"] = RIC_HANDLER.encode()
    return exec_zip(files)


def test_awslambdaric_python_client(lambda_client, ric_zip):
    name = uniq("ric")
    create_function(lambda_client, name, ric_zip, Runtime="provided.al2023",
                    Handler="probe_handler.handler", MemorySize=192, Timeout=10)
    wait_active(lambda_client, name)
    ctx = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    resp, out = invoke_json(lambda_client, name, {"hello": "ric"}, LogType="Tail", ClientContext=ctx)
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp, out
    assert out["event"] == {"hello": "ric"} and out["count"] == 1
    assert UUID_RE.match(out["request_id"]), out
    assert out["function_name"] == name
    assert out["function_version"] == "$LATEST"
    assert out["arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    assert str(out["memory"]) == "192"
    assert out["log_group"] == f"/aws/lambda/{name}"
    assert out["log_stream"].startswith("20") and "/[$LATEST]" in out["log_stream"], out
    assert 0 < out["remaining"] <= 10_000
    assert out["client_context"] == {"k": "v"}
    assert out["handler"] == "probe_handler.handler"
    assert out["execution_env"] is None  # unset for provided* runtimes (spec E.1)
    assert out["trace_id"] and out["trace_id"].startswith("Root=1-"), out
    tail = log_tail(resp)
    assert f"START RequestId: {out['request_id']}" in tail
    assert "ric handler saw" in tail
    assert f"REPORT RequestId: {out['request_id']}" in tail

    # Error path: the exception class name becomes errorType.
    resp, err = invoke_json(lambda_client, name, {"fail": 7})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert err["errorType"] == "ProbeError", err
    assert err["errorMessage"] == "asked to fail: 7"
    assert isinstance(err.get("stackTrace"), list) and err["stackTrace"], err
    assert err.get("requestId") and UUID_RE.match(err["requestId"]), err

    # The same warm environment keeps serving.
    resp, out = invoke_json(lambda_client, name, {"again": True})
    assert "FunctionError" not in resp and out["count"] == 3, out


def test_awslambdaric_bad_handler_is_init_error(lambda_client, ric_zip):
    name = uniq("ricbad")
    create_function(lambda_client, name, ric_zip, Runtime="provided.al2023",
                    Handler="no_such_module.handler", Timeout=10)
    wait_active(lambda_client, name)
    resp, out = invoke_json(lambda_client, name, {})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ImportModuleError", out
    assert "no_such_module" in out["errorMessage"]


# --------------------------------------------------------------------------- Rust lambda_runtime

RUST_CARGO_TOML = """[package]
name = "e2e-rust-fn"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
lambda_runtime = "*"
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
serde_json = "1"

[profile.release]
debug = false
"""

RUST_MAIN = r"""
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::{json, Value};

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let (payload, ctx) = event.into_parts();
    if let Some(msg) = payload.get("fail").and_then(|v| v.as_str()) {
        return Err(Diagnostic {
            error_type: "E2eRustError".to_string(),
            error_message: format!("failed on purpose: {msg}"),
        });
    }
    println!("rust handler saw {payload}");
    Ok(json!({
        "echo": payload,
        "request_id": ctx.request_id,
        "arn": ctx.invoked_function_arn,
        "function_name": ctx.env_config.function_name,
        "version": ctx.env_config.version,
        "memory": ctx.env_config.memory,
        "log_stream": ctx.env_config.log_stream,
        "deadline_ms": ctx.deadline,
        "handler": std::env::var("_HANDLER").ok(),
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handler)).await
}
"""


@pytest.fixture(scope="module")
def rust_zip(tmp_path_factory) -> bytes:
    cargo = shutil.which("cargo")
    if not cargo:
        pytest.skip("cargo is not installed: cannot build the lambda_runtime function")
    proj = tmp_path_factory.mktemp("rust-fn")
    (proj / "src").mkdir()
    (proj / "Cargo.toml").write_text(RUST_CARGO_TOML)
    (proj / "src" / "main.rs").write_text(RUST_MAIN)
    env = dict(os.environ, CARGO_TARGET_DIR=str(RUST_TARGET_DIR))
    p = subprocess.run([cargo, "build", "--release", "--quiet"], cwd=proj, env=env,
                       capture_output=True, text=True, timeout=1200)
    assert p.returncode == 0, f"cargo build of the lambda_runtime function failed:\n{p.stderr[-4000:]}"
    binary = RUST_TARGET_DIR / "release" / "e2e-rust-fn"
    return exec_zip({"bootstrap": binary.read_bytes()})


def test_rust_lambda_runtime_client(lambda_client, rust_zip):
    name = uniq("rust")
    create_function(lambda_client, name, rust_zip, Runtime="provided.al2023",
                    Handler="rust.handler", MemorySize=128, Timeout=5)
    wait_active(lambda_client, name)
    resp, out = invoke_json(lambda_client, name, {"n": 1, "s": "x"}, LogType="Tail")
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp, out
    assert out["echo"] == {"n": 1, "s": "x"}
    assert UUID_RE.match(out["request_id"]), out
    assert out["arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    assert out["function_name"] == name and out["version"] == "$LATEST" and out["memory"] == 128
    assert "/[$LATEST]" in out["log_stream"]
    assert out["handler"] == "rust.handler"
    assert out["deadline_ms"] > 1_600_000_000_000
    tail = log_tail(resp)
    assert "rust handler saw" in tail and f"END RequestId: {out['request_id']}" in tail

    resp, err = invoke_json(lambda_client, name, {"fail": "boom"})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert err["errorType"] == "E2eRustError", err
    assert err["errorMessage"] == "failed on purpose: boom"

    # Warm environment keeps serving; distinct request ids.
    ids = set()
    for i in range(3):
        resp, out = invoke_json(lambda_client, name, {"i": i})
        assert "FunctionError" not in resp and out["echo"] == {"i": i}
        ids.add(out["request_id"])
    assert len(ids) == 3
