"""Engine safety nets: an invocation whose caller disconnects mid-flight still gets its
START/END lines and leaves the function invocable; environments are replaced after
`--env-max-invocations` invocations."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from helpers import (
    REGION,
    create_function,
    invoke_json,
    log_tail,
    make_client,
    make_logs_client,
    make_zip,
    uniq,
    wait_active,
)

CODE = '''
import time
COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    print("handling", context.aws_request_id, flush=True)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"count": COUNT, "stream": context.log_stream_name}
'''


def deploy(client, **kw) -> str:
    name = uniq("safety")
    create_function(client, name, make_zip({"app.py": CODE}), Runtime="python3.11",
                    Handler="app.handler", **kw)
    wait_active(client, name)
    return name


def cold_starts(server, name: str) -> int:
    """The function's cold starts so far (no series before its first)."""
    with urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=10) as r:
        text = r.read().decode()
    assert "stratus_process_resident_memory_bytes" in text, text  # a real scrape
    m = re.search(rf'^stratus_cold_starts_total{{function="{re.escape(name)}"}} (\d+)$', text, re.M)
    return int(m.group(1)) if m else 0


def wait_for(what: str, cond, timeout: float = 30.0):
    """Polls `cond` until it returns something truthy (returned), failing after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def start_signed_invoke(server, name: str, event: dict) -> http.client.HTTPConnection:
    """Sends a signed Invoke on a raw connection and returns without reading the answer."""
    path = f"/2015-03-31/functions/{name}/invocations"
    body = json.dumps(event).encode()
    req = AWSRequest(method="POST", url=server.endpoint + path, data=body,
                     headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "lambda", REGION).add_auth(req)
    prepared = req.prepare()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("POST", path, body=body, headers=dict(prepared.headers.items()))
    return conn


def messages(logs, group: str) -> list[str]:
    try:
        events = logs.filter_log_events(logGroupName=group)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


def test_disconnected_invoke_is_logged_and_function_keeps_working(server, lambda_client):
    name = deploy(lambda_client, Timeout=60)
    group = f"/aws/lambda/{name}"
    logs = make_logs_client(server)
    before = cold_starts(server, name)
    conn = start_signed_invoke(server, name, {"sleep": 50})
    # The environment is ready and the event handed over in the same step as the cold
    # start is counted: once counted, the invocation is under way.
    wait_for("the cold start", lambda: cold_starts(server, name) > before)
    conn.close()

    def abandoned():
        msgs = messages(logs, group)
        starts = [m.split()[2] for m in msgs if m.startswith("START RequestId: ")]
        ends = {m.split()[2] for m in msgs if m.startswith("END RequestId: ")}
        done = [r for r in starts if r in ends]
        return (done[0], msgs) if done else None

    request_id, msgs = wait_for("START and END of the abandoned invocation", abandoned)
    assert any(m.startswith(f"REPORT RequestId: {request_id}") for m in msgs), msgs
    assert any(f"handling {request_id}" in m for m in msgs), msgs

    resp, out = invoke_json(lambda_client, name, {}, LogType="Tail")
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["count"] == 1, "the abandoned environment must not be reused"
    assert "Init Duration" in log_tail(resp)


def test_environment_is_replaced_after_max_invocations(server_factory):
    srv = server_factory(extra_env={"STRATUS_ENV_MAX_INVOCATIONS": "3"})
    client = make_client(srv)
    name = deploy(client)
    outs = []
    for _ in range(4):
        resp, out = invoke_json(client, name, {}, LogType="Tail")
        assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
        outs.append((out, log_tail(resp)))
    assert [o["count"] for o, _ in outs] == [1, 2, 3, 1]
    assert len({o["stream"] for o, _ in outs[:3]}) == 1
    assert outs[3][0]["stream"] != outs[0][0]["stream"]
    assert "Init Duration" in outs[0][1] and "Init Duration" in outs[3][1]
    assert "Init Duration" not in outs[1][1] and "Init Duration" not in outs[2][1]
