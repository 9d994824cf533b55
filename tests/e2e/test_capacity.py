"""Host memory admission (issue 11 §2): live environments hold their functions' MemorySize
against the host's memory times --memory-overcommit. A cold start that does not fit evicts
the idle environment used longest ago; with nothing idle left it is throttled with 429
ConcurrentInvocationLimitExceeded, never a 500. Runs on a private server told the host has
300 MB (room for two 128 MB environments, not three)."""

from __future__ import annotations

import concurrent.futures
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from helpers import REGION, create_function, make_client, make_logs_client, make_zip, uniq, wait_active, wait_for

SLEEPER = "import time\n\ndef handler(event, context):\n    time.sleep(event.get('secs', 0))\n    return 'ok'\n"
MIB = 1024 * 1024


def sleeper(client) -> str:
    name = uniq("mem")
    create_function(client, name, make_zip({"app.py": SLEEPER}), Timeout=60, MemorySize=128)
    wait_active(client, name)
    return name


def call(client, name: str, secs: float = 0) -> str:
    resp = client.invoke(FunctionName=name, Payload=json.dumps({"secs": secs}).encode())
    return resp["Payload"].read().decode()


def streams(srv, name: str) -> int:
    logs = make_logs_client(srv)
    try:
        return len(logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"])
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return 0
        raise


def gauge(srv, name: str, **labels) -> float | None:
    with urllib.request.urlopen(f"{srv.endpoint}/metrics", timeout=10) as r:
        text = r.read().decode()
    want = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return None


def test_a_cold_start_evicts_the_oldest_idle_environment_then_throttles(server_factory):
    srv = server_factory(extra_env={
        "STRATUS_HOST_MEMORY_MB": "300",
        "STRATUS_MEMORY_OVERCOMMIT": "1",
    })
    client = make_client(srv)
    a, b, c = sleeper(client), sleeper(client), sleeper(client)
    assert gauge(srv, "stratus_environment_memory_limit_bytes") == 300 * MIB

    assert call(client, a) == '"ok"'
    assert call(client, b) == '"ok"'
    assert gauge(srv, "stratus_environment_memory_held_bytes") == 256 * MIB
    # c does not fit beside a and b: a's environment (idle the longest) makes room.
    assert call(client, c) == '"ok"'
    assert gauge(srv, "stratus_environment_memory_held_bytes") == 256 * MIB
    assert call(client, b) == '"ok"'
    assert streams(srv, b) == 1, "b stayed warm"
    assert call(client, a) == '"ok"'
    assert streams(srv, a) == 2, "a was evicted, so it started cold again"

    # Now a and b (whose environments are warm) are held busy; c's was evicted by a's cold
    # start, and with nothing idle left to evict, c is throttled and gets no environment.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        held = [pool.submit(call, make_client(srv), f, 8) for f in (a, b)]
        wait_for("both environments are busy",
                 lambda: gauge(srv, "stratus_environments", state="busy") == 2, timeout=30)
        with pytest.raises(ClientError) as ei:
            call(client, c)
        err = ei.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 429, err
        assert err["Error"]["Code"] == "TooManyRequestsException", err
        assert err.get("Reason") == "ConcurrentInvocationLimitExceeded", err
        assert [h.result(timeout=60) for h in held] == ['"ok"', '"ok"']
    assert streams(srv, c) == 1, "the throttled invoke made no environment"
    # Once they are idle again, c's cold start evicts one of them and runs.
    assert call(client, c) == '"ok"'
    assert streams(srv, c) == 2


def test_a_bad_overcommit_is_refused_at_start(stratus_bin, tmp_path):
    import subprocess

    out = subprocess.run(
        [str(stratus_bin), "server", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
         "--memory-overcommit", "0"],
        capture_output=True, text=True, timeout=30,
    )
    assert out.returncode != 0
    assert "--memory-overcommit must be a positive number" in out.stderr


NOOP = "def handler(event, context):\n    return {'n': event['n']}\n"


def test_bursts_of_simultaneous_cold_invokes_all_succeed(server, lambda_client):
    """Issue 11 §5: 50 callers released at once on a function with no environment, three
    times over (a new function each round, so every burst is cold): every invoke answers
    200 with its own result; none gets a 500 or a throttle."""
    import threading

    import boto3
    from botocore.config import Config

    n = 50
    # No client-side retries: a throttle or a 500 must show.
    clients = [
        boto3.session.Session().client(
            "lambda", endpoint_url=server.endpoint, region_name=REGION,
            aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=120))
        for _ in range(n)
    ]
    for round_ in range(3):
        name = uniq(f"burst{round_}")
        create_function(lambda_client, name, make_zip({"app.py": NOOP}), Timeout=60)
        wait_active(lambda_client, name)
        barrier = threading.Barrier(n)

        def one(i: int):
            barrier.wait()
            try:
                resp = clients[i].invoke(FunctionName=name, Payload=json.dumps({"n": i}).encode())
                return resp["StatusCode"], resp.get("FunctionError"), resp["Payload"].read().decode()
            except ClientError as e:
                return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], ""

        with concurrent.futures.ThreadPoolExecutor(n) as pool:
            results = list(pool.map(one, range(n)))
        failed = [(i, r) for i, r in enumerate(results) if r[:2] != (200, None)]
        assert not failed, f"round {round_}: {failed[:5]}"
        assert [json.loads(r[2])["n"] for r in results] == list(range(n))
        assert streams(server, name) >= 2, "the burst ran in several environments"
