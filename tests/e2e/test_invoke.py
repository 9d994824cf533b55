"""Invoke through boto3: bundled Python and Node.js runtimes, custom `bootstrap` runtimes,
function errors, timeouts, crashes, warm reuse, concurrency, qualifiers and log tails."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import re

import pytest

from helpers import ROLE, create_function, expect_error, make_zip, uniq, wait_active

PY_APP = '''
import os, time
COUNT = 0

def handler(event, context):
    global COUNT
    started = time.time()
    COUNT += 1
    print("hello from python", COUNT)
    if event.get("fail"):
        raise ValueError("asked to fail")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(3)
    if event.get("hog"):
        blob = bytearray(event["hog"] * 1024 * 1024)
        return len(blob)
    tmp = "/tmp/marker"
    first = not os.path.exists(tmp)
    open(tmp, "a").write("x")
    return {
        "event": event,
        "count": COUNT,
        "first_tmp": first,
        "pid_env": os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME"),
        "function_name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "client_context": context.client_context.custom if context.client_context else None,
        "handler_env": os.environ.get("_HANDLER"),
        "region": os.environ.get("AWS_REGION"),
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "runtime_api": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
        "my_var": os.environ.get("MY_VAR"),
        "started": started,
        "finished": time.time(),
    }
'''

NODE_APP = '''
let count = 0;
exports.handler = async (event, context) => {
  count += 1;
  console.log("hello from node", count);
  if (event.fail) { throw new TypeError("node asked to fail"); }
  return { event, count, fn: context.functionName, rid: context.awsRequestId,
           remaining: context.getRemainingTimeInMillis() };
};
exports.cb = (event, context, callback) => { callback(null, { cb: true, event }); };
'''

BOOTSTRAP = '''#!/usr/bin/python3.11
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = json.dumps({"custom": True, "echo": event, "handler": os.environ.get("_HANDLER")}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
'''


def executable_zip(files: dict) -> bytes:
    """A zip whose entries are marked executable (mode 0755), as `zip` keeps them."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16
            zf.writestr(info, text)
    return buf.getvalue()


def py_function(client, name=None, **kw):
    name = name or uniq("py")
    create_function(client, name, make_zip({"app.py": PY_APP}), Runtime="python3.11",
                    Handler="app.handler", Timeout=kw.pop("Timeout", 5), **kw)
    wait_active(client, name)
    return name


def invoke(client, name, event=None, **kw):
    resp = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **kw)
    body = resp["Payload"].read()
    return resp, json.loads(body) if body else None


def test_python_invoke_returns_result_and_context(lambda_client):
    name = py_function(lambda_client, MemorySize=256, Environment={"Variables": {"MY_VAR": "v"}})
    resp, out = invoke(lambda_client, name, {"a": 1})
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert out["event"] == {"a": 1}
    assert out["function_name"] == name
    assert out["version"] == "$LATEST"
    assert out["arn"].endswith(f":function:{name}")
    assert str(out["memory"]) == "256"
    assert 0 < out["remaining"] <= 5000
    assert out["handler_env"] == "app.handler"
    assert out["region"] == "us-east-1"
    assert out["task_root"] == "/var/task"
    assert out["runtime_api"] == "127.0.0.1:9001"
    assert out["my_var"] == "v"


def test_warm_reuse_keeps_globals_and_tmp(lambda_client):
    name = py_function(lambda_client)
    _, first = invoke(lambda_client, name)
    _, second = invoke(lambda_client, name)
    assert first["count"] == 1 and first["first_tmp"] is True
    assert second["count"] == 2 and second["first_tmp"] is False
    assert first["pid_env"] == second["pid_env"]


def test_function_error_is_200_with_unhandled(lambda_client):
    name = py_function(lambda_client)
    resp, out = invoke(lambda_client, name, {"fail": True})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ValueError"
    assert out["errorMessage"] == "asked to fail"
    assert isinstance(out["stackTrace"], list)
    # The environment still serves.
    resp, out = invoke(lambda_client, name, {"x": 1})
    assert "FunctionError" not in resp


def test_timeout_kills_and_next_invoke_works(lambda_client):
    name = py_function(lambda_client, Timeout=1)
    resp, out = invoke(lambda_client, name, {"sleep": 3})
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in out["errorMessage"]
    resp, out = invoke(lambda_client, name, {"y": 2})
    assert "FunctionError" not in resp and out["count"] == 1


def test_runtime_exit_is_exit_error(lambda_client):
    name = py_function(lambda_client)
    resp, out = invoke(lambda_client, name, {"exit": True})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    resp, out = invoke(lambda_client, name, {})
    assert "FunctionError" not in resp


def test_out_of_memory(lambda_client):
    name = py_function(lambda_client, MemorySize=128)
    resp, out = invoke(lambda_client, name, {"hog": 400})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] in ("Runtime.OutOfMemory", "Runtime.ExitError", "MemoryError"), out
    resp, out = invoke(lambda_client, name, {})
    assert "FunctionError" not in resp


def test_log_tail_and_client_context(lambda_client):
    name = py_function(lambda_client)
    ctx = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    resp, out = invoke(lambda_client, name, {"t": 1}, LogType="Tail", ClientContext=ctx)
    assert out["client_context"] == {"k": "v"}
    tail = base64.b64decode(resp["LogResult"]).decode()
    rid = out["request_id"]
    assert f"START RequestId: {rid} Version: $LATEST" in tail
    assert "hello from python" in tail
    assert f"END RequestId: {rid}" in tail
    assert f"REPORT RequestId: {rid}\tDuration: " in tail
    assert "Init Duration: " in tail


def test_node_async_and_callback(lambda_client):
    name = uniq("node")
    create_function(lambda_client, name, make_zip({"index.js": NODE_APP}), Runtime="nodejs20.x",
                    Handler="index.handler")
    wait_active(lambda_client, name)
    resp, out = invoke(lambda_client, name, {"n": 1})
    assert out["event"] == {"n": 1} and out["fn"] == name and out["count"] == 1
    resp, out = invoke(lambda_client, name, {"fail": True})
    assert resp["FunctionError"] == "Unhandled" and out["errorType"] == "TypeError"
    lambda_client.update_function_configuration(FunctionName=name, Handler="index.cb")
    wait_active(lambda_client, name)
    resp, out = invoke(lambda_client, name, {"m": 2})
    assert out == {"cb": True, "event": {"m": 2}}


def test_custom_bootstrap_runtime(lambda_client):
    name = uniq("custom")
    zip_bytes = executable_zip({"bootstrap": BOOTSTRAP})
    create_function(lambda_client, name, zip_bytes, Runtime="provided.al2023", Handler="my.handler")
    wait_active(lambda_client, name)
    resp, out = invoke(lambda_client, name, {"q": 1})
    assert out == {"custom": True, "echo": {"q": 1}, "handler": "my.handler"}


def test_custom_runtime_without_usable_bootstrap(lambda_client):
    for files in ({"bootstrap": BOOTSTRAP}, {"other.txt": "x"}):  # not executable / missing
        name = uniq("noboot")
        create_function(lambda_client, name, make_zip(files), Runtime="provided.al2023", Handler="h")
        wait_active(lambda_client, name)
        resp, out = invoke(lambda_client, name)
        assert resp["FunctionError"] == "Unhandled"
        assert out["errorType"] == "Runtime.InvalidEntrypoint", out


def test_import_error_is_init_error(lambda_client):
    name = uniq("bad")
    create_function(lambda_client, name, make_zip({"app.py": "import does_not_exist\n"}),
                    Runtime="python3.11", Handler="app.handler")
    wait_active(lambda_client, name)
    resp, out = invoke(lambda_client, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ImportModuleError"


def test_concurrent_invokes_use_separate_environments(lambda_client):
    """Invocations that run at the same time are each served by an environment of their own."""
    name = py_function(lambda_client)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(invoke, lambda_client, name, {"sleep": 2}) for _ in range(3)]
        done = [f.result(timeout=60) for f in futures]
    for resp, out in done:
        assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    outs = [out for _, out in done]
    # The three handlers ran at the same time: each began before any of them ended. (Had
    # one environment served them one after another, this would not hold.)
    last_start = max(o["started"] for o in outs)
    first_end = min(o["finished"] for o in outs)
    assert last_start < first_end, f"the invocations did not overlap: {outs}"
    assert len({o["pid_env"] for o in outs}) == 3, outs
    assert len({o["request_id"] for o in outs}) == 3, outs


def test_qualifiers_and_alias_routing(lambda_client):
    name = py_function(lambda_client)
    v1 = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": {"MY_VAR": "two"}})
    wait_active(lambda_client, name)
    v2 = lambda_client.publish_version(FunctionName=name)["Version"]
    resp, out = invoke(lambda_client, name, Qualifier=v1)
    assert resp["ExecutedVersion"] == v1 and out["my_var"] is None and out["version"] == v1
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=v1,
                               RoutingConfig={"AdditionalVersionWeights": {v2: 0.5}})
    seen = set()
    for _ in range(30):
        resp, out = invoke(lambda_client, name, Qualifier="live")
        seen.add(resp["ExecutedVersion"])
        assert out["arn"].endswith(f":{name}:live")
    assert seen == {v1, v2}


def test_dry_run_and_bad_payloads(lambda_client):
    name = py_function(lambda_client)
    resp = lambda_client.invoke(FunctionName=name, InvocationType="DryRun")
    assert resp["StatusCode"] == 204
    with expect_error(400, "InvalidRequestContentException"):
        lambda_client.invoke(FunctionName=name, Payload=b"{not json")
    with expect_error(413, "RequestTooLargeException"):
        lambda_client.invoke(FunctionName=name, Payload=b"[" + b"1," * 3_200_000 + b"1]")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.invoke(FunctionName=uniq("missing"), Payload=b"{}")


def test_reserved_concurrency_zero_throttles(lambda_client):
    name = py_function(lambda_client)
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with expect_error(429, "TooManyRequestsException"):
        lambda_client.invoke(FunctionName=name, Payload=b"{}")


def test_response_over_6mb_is_function_error(lambda_client):
    name = uniq("big")
    create_function(lambda_client, name, make_zip({"app.py": "def handler(e, c):\n    return 'x' * (7 * 1024 * 1024)\n"}),
                    Runtime="python3.11", Handler="app.handler", MemorySize=512)
    wait_active(lambda_client, name)
    resp, out = invoke(lambda_client, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Function.ResponseSizeTooLarge"


def test_missing_handler_is_handler_not_found(lambda_client):
    name = uniq("nohandler")
    create_function(lambda_client, name, make_zip({"app.py": "x = 1\n"}), Runtime="python3.11",
                    Handler="app.handler")
    wait_active(lambda_client, name)
    resp, out = invoke(lambda_client, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.HandlerNotFound"


LOGGING_APP = '''
import logging, sys
logging.getLogger().warning("at import %s", "time")
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def handler(event, context):
    logger.info("info from %s", context.function_name)
    logging.getLogger("child").debug("hidden")
    try:
        raise KeyError("k")
    except KeyError:
        logger.exception("caught")
    import yaml  # a host site-packages module (Debian python3-yaml)
    import os
    runtime = sys.modules["_stratus_runtime"]
    return {"handlers": len(logging.getLogger().handlers), "yaml": yaml.__name__,
            "has_exit": callable(exit), "path_head": sys.path[:4],
            "runtime_pyc": os.path.isfile(runtime.__cached__)}
'''


def test_python_logging_module_is_configured_like_lambda(lambda_client):
    """The root logger writes Lambda's TEXT format with the request id, also for records
    logged while the module was imported; host site-packages stay importable."""
    import re
    from pathlib import Path

    assert Path("/usr/lib/python3/dist-packages/yaml").is_dir(), "python3-yaml (awscli's dependency) missing"
    name = uniq("pylog")
    create_function(lambda_client, name, make_zip({"app.py": LOGGING_APP}), Runtime="python3.11",
                    Handler="app.handler")
    wait_active(lambda_client, name)
    resp = lambda_client.invoke(FunctionName=name, LogType="Tail", Payload=b"{}")
    assert "FunctionError" not in resp, resp["Payload"].read()
    out = json.loads(resp["Payload"].read())
    assert out["handlers"] == 1 and out["yaml"] == "yaml" and out["has_exit"] is True, out
    assert out["runtime_pyc"] is True, "the runtime's bytecode was not precompiled"
    assert out["path_head"] == ["/var/task", "/opt/python", "/opt/python/lib/python3.11/site-packages",
                                "/var/runtime"], out
    tail = base64.b64decode(resp["LogResult"]).decode()
    rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    ts = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.search(rf"\[WARNING\]\t{ts}\t\tat import time", tail), tail
    assert re.search(rf"\[INFO\]\t{ts}\t{rid}\tinfo from {name}", tail), tail
    assert re.search(rf"\[ERROR\]\t{ts}\t{rid}\tcaught\r?\nTraceback", tail) or \
        re.search(rf"\[ERROR\]\t{ts}\t{rid}\tcaught", tail), tail
    assert "KeyError: 'k'" in tail and "hidden" not in tail, tail


HEADERS_BOOTSTRAP = '''#!/usr/bin/python3.11
import json, os, time, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        got = {k.lower(): v for k, v in r.headers.items() if k.lower().startswith("lambda-runtime-")}
        got["now_ms"] = int(time.time() * 1000)
        got["event"] = json.loads(r.read())
    rid = got["lambda-runtime-aws-request-id"]
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response",
                                                  data=json.dumps(got).encode(), method="POST")).read()
'''


def test_runtime_api_next_sends_every_lambda_runtime_header(lambda_client):
    """GET /runtime/invocation/next carries the request id (the one Invoke answers with),
    the deadline, the invoked ARN as called (qualifier included), the trace id and the
    client context (spec D)."""
    name = uniq("hdrs")
    create_function(lambda_client, name, executable_zip({"bootstrap": HEADERS_BOOTSTRAP}),
                    Runtime="provided.al2023", Handler="h", Timeout=7)
    wait_active(lambda_client, name)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    ctx = {"custom": {"k": "v"}, "env": {"e": "1"}, "client": {"installation_id": "i-1"}}
    resp = lambda_client.invoke(FunctionName=name, Qualifier="live", Payload=b'{"a": 1}',
                                ClientContext=base64.b64encode(json.dumps(ctx).encode()).decode(),
                                LogType="Tail")
    got = json.loads(resp["Payload"].read())
    assert "FunctionError" not in resp, (got, base64.b64decode(resp.get("LogResult", "")).decode())
    h = {k.lower(): v for k, v in got.items()}
    assert h["lambda-runtime-aws-request-id"] == resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert h["lambda-runtime-invoked-function-arn"] == f"{arn}:live", h
    deadline = int(h["lambda-runtime-deadline-ms"])
    assert 6_000 <= deadline - h["now_ms"] <= 7_000, h  # Timeout=7 s from the start of the call
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}(;Parent=[0-9a-f]{16})?;Sampled=[01]",
                        h["lambda-runtime-trace-id"]), h
    assert json.loads(h["lambda-runtime-client-context"]) == ctx, h
    assert "lambda-runtime-cognito-identity" not in h, h
    assert h["event"] == {"a": 1}
    # Unqualified: the ARN as called, without a qualifier.
    resp = lambda_client.invoke(FunctionName=name, Payload=b"{}")
    h = {k.lower(): v for k, v in json.loads(resp["Payload"].read()).items()}
    assert h["lambda-runtime-invoked-function-arn"] == arn, h
    assert "lambda-runtime-client-context" not in h, h
