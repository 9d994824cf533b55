"""Execution-environment lifecycle and contents: code updates retire warm environments,
idle environments are frozen by the cgroup freezer, thawed on reuse and reaped, published versions keep their code, deleted functions stop
answering, and inside the environment the variables (spec E.1), layers under /opt and /tmp
look as they do on AWS Lambda. Also Node.js ESM handlers and client context."""

from __future__ import annotations

import base64
import datetime as dt
import errno
import json
import re
import time

import pytest

from helpers import (
    REGION,
    create_function,
    expect_error,
    invoke_json,
    log_tail,
    make_client,
    make_zip,
    uniq,
    wait_active,
)

STREAM_RE = re.compile(r"^(\d{4})/(\d\d)/(\d\d)/\[(\$LATEST|\d+)\]([0-9a-f]{32})$")

CODE = '''
import os, sys
COUNT = 0
TAG = {tag!r}

def handler(event, context):
    global COUNT
    COUNT += 1
    print("running code", TAG, COUNT)
    out = {{"tag": TAG, "count": COUNT, "stream": context.log_stream_name,
            "version": context.function_version}}
    if event.get("env"):
        out["env"] = dict(os.environ)
        out["sys_path"] = sys.path
    if event.get("tmp_write"):
        with open("/tmp/state.txt", "a") as f:
            f.write(event["tmp_write"] + "\\n")
    if event.get("tmp_read"):
        try:
            out["tmp"] = open("/tmp/state.txt").read()
        except OSError as e:
            out["tmp"] = None
    if event.get("opt"):
        out["opt"] = {{}}
        for p in event["opt"]:
            try:
                out["opt"][p] = open(p).read()
            except OSError as e:
                out["opt"][p] = "ERR " + str(e.errno)
        try:
            import shared
            out["shared"] = shared.WHO
        except ImportError as e:
            out["shared"] = "ImportError " + str(e)
        res = {{}}
        for p in ("/opt/data/file.txt", "/opt/new.txt", "/opt/python/new.py"):
            try:
                open(p, "a").write("x")
                res[p] = 0
            except OSError as e:
                res[p] = e.errno
        out["opt_write"] = res
    return out
'''


def code_zip(tag: str) -> bytes:
    return make_zip({"app.py": CODE.format(tag=tag)})


def deploy(client, tag="one", name=None, **kw) -> str:
    name = name or uniq("life")
    create_function(client, name, code_zip(tag), Runtime="python3.11", Handler="app.handler",
                    Timeout=kw.pop("Timeout", 10), **kw)
    wait_active(client, name)
    return name


def ok(resp, out):
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    return out


def is_cold(tail: str) -> bool:
    return "INIT_START" in tail and "Init Duration: " in tail


# --------------------------------------------------------------------------- retirement & reaping


def test_code_update_retires_warm_environment(lambda_client):
    name = deploy(lambda_client, "one")
    r1, o1 = invoke_json(lambda_client, name, {}, LogType="Tail")
    r2, o2 = invoke_json(lambda_client, name, {}, LogType="Tail")
    assert ok(r1, o1)["tag"] == "one" and o1["count"] == 1 and is_cold(log_tail(r1))
    assert ok(r2, o2)["count"] == 2 and not is_cold(log_tail(r2)), log_tail(r2)
    assert o1["stream"] == o2["stream"]

    lambda_client.update_function_code(FunctionName=name, ZipFile=code_zip("two"))
    wait_active(lambda_client, name)
    r3, o3 = invoke_json(lambda_client, name, {}, LogType="Tail")
    assert ok(r3, o3)["tag"] == "two", o3
    assert o3["count"] == 1, "the new code must run in a fresh environment"
    tail = log_tail(r3)
    assert "INIT_START" in tail and "Init Duration: " in tail, tail
    assert o3["stream"] != o1["stream"]


def test_config_update_retires_warm_environment(lambda_client):
    name = deploy(lambda_client, "cfg")
    _, o1 = invoke_json(lambda_client, name, {})
    lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": {"V": "2"}})
    wait_active(lambda_client, name)
    r2, o2 = invoke_json(lambda_client, name, {"env": True}, LogType="Tail")
    assert ok(r2, o2)["env"].get("V") == "2"
    assert o2["count"] == 1 and is_cold(log_tail(r2))


def test_idle_environment_is_reaped_after_ttl(server_factory):
    srv = server_factory(extra_env={"STRATUS_IDLE_TTL_SECS": "1"})  # == --idle-ttl-secs 1
    client = make_client(srv)
    name = deploy(client, "ttl")
    r1, o1 = invoke_json(client, name, {}, LogType="Tail")
    r2, o2 = invoke_json(client, name, {}, LogType="Tail")
    assert is_cold(log_tail(r1)) and not is_cold(log_tail(r2))
    assert o2["count"] == 2
    assert _sandbox_cgroup_of(name)[0] is not None, "no sandbox holds the warm environment"
    # Reaped: no process in any sandbox runs the function any more.
    deadline = time.monotonic() + 30
    while _sandbox_cgroup_of(name)[0] is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sandbox_cgroup_of(name)[0] is None, "the idle environment was not reaped within 30 s"
    r3, o3 = invoke_json(client, name, {}, LogType="Tail")
    assert ok(r3, o3)["count"] == 1, "the idle environment should have been reaped"
    assert is_cold(log_tail(r3)), log_tail(r3)
    assert o3["stream"] != o1["stream"]


def test_default_ttl_keeps_environment_warm(lambda_client):
    name = deploy(lambda_client, "warm")
    invoke_json(lambda_client, name, {})
    time.sleep(3.5)
    r, o = invoke_json(lambda_client, name, {}, LogType="Tail")
    assert ok(r, o)["count"] == 2 and not is_cold(log_tail(r))


def test_published_version_keeps_its_code(lambda_client):
    name = deploy(lambda_client, "v1-code")
    v1 = lambda_client.publish_version(FunctionName=name)["Version"]
    assert v1 == "1"
    _, warm = invoke_json(lambda_client, name, {}, Qualifier=v1)
    lambda_client.update_function_code(FunctionName=name, ZipFile=code_zip("latest-code"))
    wait_active(lambda_client, name)

    r, o = invoke_json(lambda_client, name, {"env": True}, Qualifier=v1)
    assert ok(r, o)["tag"] == "v1-code" and r["ExecutedVersion"] == "1"
    assert o["version"] == "1" and o["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
    m = STREAM_RE.match(o["stream"])
    assert m and m.group(4) == "1", o["stream"]
    r, o = invoke_json(lambda_client, name, {})
    assert ok(r, o)["tag"] == "latest-code" and r["ExecutedVersion"] == "$LATEST"
    # And the version stays on its code after more $LATEST changes.
    lambda_client.update_function_code(FunctionName=name, ZipFile=code_zip("latest-3"))
    wait_active(lambda_client, name)
    _, o = invoke_json(lambda_client, name, {}, Qualifier=v1)
    assert o["tag"] == "v1-code"
    _, o = invoke_json(lambda_client, name, {})
    assert o["tag"] == "latest-3"


def test_deleted_function_is_not_invocable(lambda_client):
    name = deploy(lambda_client, "del")
    ok(*invoke_json(lambda_client, name, {}))  # leaves a warm environment behind
    v1 = lambda_client.publish_version(FunctionName=name)["Version"]
    ok(*invoke_json(lambda_client, name, {}, Qualifier=v1))
    lambda_client.delete_function(FunctionName=name)
    with expect_error(404, "ResourceNotFoundException", message="Function not found"):
        lambda_client.invoke(FunctionName=name, Payload=b"{}")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.invoke(FunctionName=name, Qualifier=v1, Payload=b"{}")
    # Recreating the name runs the new code, not the old warm environment.
    deploy(lambda_client, "reborn", name=name)
    r, o = invoke_json(lambda_client, name, {})
    assert ok(r, o)["tag"] == "reborn" and o["count"] == 1


# --------------------------------------------------------------------------- environment variables


def _path_subsequence(value: str, expected: list[str]) -> bool:
    parts = [p.rstrip("/") or "/" for p in value.split(":")]
    it = iter(parts)
    return all(any(p == e.rstrip("/") for p in it) for e in expected)


def _check_stream(stream: str, version: str = "$LATEST"):
    m = STREAM_RE.match(stream)
    assert m, f"log stream name {stream!r} is not YYYY/MM/DD/[{version}]<32 hex>"
    assert m.group(4) == version
    day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    today = dt.datetime.now(dt.timezone.utc).date()
    assert day in (today, today - dt.timedelta(days=1)), day


def test_python_environment_variables(lambda_client):
    name = deploy(lambda_client, "env", MemorySize=256, Environment={"Variables": {"MY_VAR": "my value"}})
    r, o = invoke_json(lambda_client, name, {"env": True})
    env = ok(r, o)["env"]
    expected = {
        "_HANDLER": "app.handler",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "MY_VAR": "my value",
    }
    wrong = {k: (v, env.get(k)) for k, v in expected.items() if env.get(k) != v}
    assert not wrong, f"variables with wrong values (expected, got): {wrong}"
    _check_stream(env.get("AWS_LAMBDA_LOG_STREAM_NAME", ""))
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == o["stream"]
    assert _path_subsequence(env.get("PATH", ""), ["/usr/local/bin", "/usr/bin", "/bin", "/opt/bin"]), env.get("PATH")
    assert _path_subsequence(env.get("LD_LIBRARY_PATH", ""),
                             ["/lib64", "/usr/lib64", "/var/runtime", "/var/runtime/lib", "/var/task",
                              "/var/task/lib", "/opt/lib"]), env.get("LD_LIBRARY_PATH")
    assert "/var/runtime" in env.get("PYTHONPATH", "").split(":"), env.get("PYTHONPATH")
    assert env.get("_X_AMZN_TRACE_ID", "").startswith("Root=1-"), env.get("_X_AMZN_TRACE_ID")
    # The handler's directory and the layer directory are importable.
    assert "/var/task" in o["sys_path"] and "/opt/python" in o["sys_path"], o["sys_path"]


NODE_ENV = '''
exports.handler = async (event, context) => ({
  env: process.env,
  clientContext: context.clientContext === undefined ? null : context.clientContext,
  stream: context.logStreamName,
});
'''


def test_node_environment_variables_and_client_context(lambda_client):
    name = uniq("nodeenv")
    create_function(lambda_client, name, make_zip({"index.js": NODE_ENV}), Runtime="nodejs20.x",
                    Handler="index.handler", Environment={"Variables": {"MY_VAR": "node value"}})
    wait_active(lambda_client, name)
    cc = {"client": {"installation_id": "inst-1", "app_title": "e2e", "app_version_name": "1.0",
                     "app_version_code": "1", "app_package_name": "com.example"},
          "custom": {"k": "v", "n": 1}, "env": {"platform": "linux", "locale": "en_US"}}
    r, o = invoke_json(lambda_client, name, {}, ClientContext=base64.b64encode(json.dumps(cc).encode()).decode())
    env = ok(r, o)["env"]
    assert env.get("AWS_EXECUTION_ENV") == "AWS_Lambda_nodejs20.x", env.get("AWS_EXECUTION_ENV")
    assert env.get("_HANDLER") == "index.handler"
    assert env.get("AWS_LAMBDA_FUNCTION_NAME") == name and env.get("MY_VAR") == "node value"
    assert env.get("LAMBDA_TASK_ROOT") == "/var/task" and env.get("TZ") == ":UTC"
    _check_stream(env.get("AWS_LAMBDA_LOG_STREAM_NAME", ""))
    assert _path_subsequence(env.get("NODE_PATH", ""),
                             ["/opt/nodejs/node20/node_modules", "/opt/nodejs/node_modules",
                              "/var/runtime/node_modules"]), env.get("NODE_PATH")
    assert o["clientContext"] is not None, "X-Amz-Client-Context did not reach context.clientContext"
    assert o["clientContext"].get("custom") == cc["custom"], o["clientContext"]
    assert o["clientContext"].get("env") == cc["env"], o["clientContext"]
    assert o["clientContext"].get("client") == cc["client"], o["clientContext"]
    # Without the header there is no client context.
    r, o = invoke_json(lambda_client, name, {})
    assert ok(r, o)["clientContext"] in (None, {}), o["clientContext"]


NODE_ESM = '''
import { createHash } from "node:crypto";
import { helper } from "./lib.mjs";

const bootedAt = await Promise.resolve(Date.now());   // top-level await
let count = 0;

export const handler = async (event, context) => {
  count += 1;
  console.log("esm handler", count);
  if (event.fail) throw new RangeError("esm asked to fail");
  return { sha: createHash("sha256").update(event.text || "").digest("hex"),
           helper: helper(event.n || 0), count, bootedAt, rid: context.awsRequestId };
};
'''


def test_node_esm_handler(lambda_client):
    name = uniq("esm")
    files = {"index.mjs": NODE_ESM, "lib.mjs": "export const helper = (n) => n * 2;\n"}
    create_function(lambda_client, name, make_zip(files), Runtime="nodejs20.x", Handler="index.handler")
    wait_active(lambda_client, name)
    r, o = invoke_json(lambda_client, name, {"text": "abc", "n": 21})
    assert ok(r, o)["sha"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert o["helper"] == 42 and o["count"] == 1 and isinstance(o["bootedAt"], int)
    r, o2 = invoke_json(lambda_client, name, {"fail": True})
    assert r["FunctionError"] == "Unhandled" and o2["errorType"] == "RangeError", o2
    assert o2["errorMessage"] == "esm asked to fail"
    r, o3 = invoke_json(lambda_client, name, {})
    assert ok(r, o3)["count"] == 3 and o3["bootedAt"] == o["bootedAt"]


# --------------------------------------------------------------------------- layers and /tmp


def _layer(client, tag: str, files: dict) -> str:
    res = client.publish_layer_version(LayerName=uniq("lifelayer"), Content={"ZipFile": make_zip(files)},
                                       CompatibleRuntimes=["python3.11"])
    return res["LayerVersionArn"]


def test_layers_under_opt_later_layer_wins_and_read_only(lambda_client):
    a = _layer(lambda_client, "a", {"python/shared.py": "WHO = 'a'\n", "data/file.txt": "from A",
                                    "a_only.txt": "only in A"})
    b = _layer(lambda_client, "b", {"python/shared.py": "WHO = 'b'\n", "data/file.txt": "from B",
                                    "b_only.txt": "only in B"})
    paths = ["/opt/data/file.txt", "/opt/a_only.txt", "/opt/b_only.txt"]

    ab = deploy(lambda_client, "layers", Layers=[a, b])
    r, o = invoke_json(lambda_client, ab, {"opt": paths})
    ok(r, o)
    assert o["opt"] == {"/opt/data/file.txt": "from B", "/opt/a_only.txt": "only in A",
                        "/opt/b_only.txt": "only in B"}, o["opt"]
    assert o["shared"] == "b"
    for p, e in o["opt_write"].items():
        assert e in (errno.EROFS, errno.EACCES, errno.EPERM), f"{p} is writable ({e})"

    ba = deploy(lambda_client, "layers", Layers=[b, a])
    r, o = invoke_json(lambda_client, ba, {"opt": paths})
    assert ok(r, o)["opt"]["/opt/data/file.txt"] == "from A" and o["shared"] == "a", o

    # Changing the layer list on $LATEST takes effect on the next invoke.
    lambda_client.update_function_configuration(FunctionName=ab, Layers=[a])
    wait_active(lambda_client, ab)
    r, o = invoke_json(lambda_client, ab, {"opt": paths})
    assert ok(r, o)["opt"]["/opt/data/file.txt"] == "from A", o["opt"]
    assert o["opt"]["/opt/b_only.txt"].startswith("ERR"), o["opt"]


def test_tmp_is_writable_and_survives_warm_invokes(lambda_client):
    name = deploy(lambda_client, "tmp")
    r, o = invoke_json(lambda_client, name, {"tmp_write": "first", "tmp_read": True})
    assert ok(r, o)["tmp"] == "first\n"
    r, o = invoke_json(lambda_client, name, {"tmp_write": "second", "tmp_read": True})
    assert ok(r, o)["tmp"] == "first\nsecond\n" and o["count"] == 2
    # A different function does not see it.
    other = deploy(lambda_client, "tmp2")
    r, o = invoke_json(lambda_client, other, {"tmp_read": True})
    assert ok(r, o)["tmp"] is None


def _sandbox_cgroup_of(function_name: str):
    """The host cgroup (freezer hierarchy on v1, unified on v2) holding the runtime of
    `function_name`, found from the host side as root: the process whose environment names
    the function."""
    from pathlib import Path

    v2 = Path("/sys/fs/cgroup/cgroup.controllers").is_file() and \
        Path("/sys/fs/cgroup/cgroup.controllers").read_text().strip() != ""
    root = Path("/sys/fs/cgroup") if v2 else Path("/sys/fs/cgroup/freezer")
    needle = f"AWS_LAMBDA_FUNCTION_NAME={function_name}".encode()
    for procs in (root / "stratus").glob("*/*/cgroup.procs"):
        for pid in procs.read_text().split():
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if needle in environ.split(b"\0"):
                return procs.parent, v2
    return None, v2


def _frozen(cg, v2: bool) -> bool:
    if v2:
        return "frozen 1" in (cg / "cgroup.events").read_text()
    return (cg / "freezer.state").read_text().strip() == "FROZEN"


def test_idle_environment_is_frozen_and_thawed_on_reuse(lambda_client):
    """An idle environment is stopped by the cgroup freezer (it uses no CPU while idle) and
    thawed by the next invocation, which finds it warm."""
    name = uniq("freeze")
    create_function(lambda_client, name, make_zip({"app.py": CODE.format(tag="f")}),
                    Runtime="python3.11", Handler="app.handler")
    wait_active(lambda_client, name)
    _, first = invoke_json(lambda_client, name, {})
    cg, v2 = _sandbox_cgroup_of(name)
    assert cg is not None, "no sandbox cgroup holds the function's runtime"
    deadline = time.monotonic() + 5
    while not _frozen(cg, v2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _frozen(cg, v2), f"{cg} not frozen after the environment went idle"
    _, second = invoke_json(lambda_client, name, {})
    assert second["count"] == first["count"] + 1 and second["stream"] == first["stream"], second
    # Frozen again once idle; thawed again by the next call.
    deadline = time.monotonic() + 5
    while not _frozen(cg, v2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _frozen(cg, v2)
    _, third = invoke_json(lambda_client, name, {})
    assert third["count"] == first["count"] + 2, third
