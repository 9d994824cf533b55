"""Throttling: 429 TooManyRequestsException with Lambda's Reason for the function's reserved
concurrency and for the account limit; a throttled request makes no environment and no log
stream. The account case runs on a private server with --account-concurrency 2."""

from __future__ import annotations

import concurrent.futures
import json
import time

import pytest
from botocore.exceptions import ClientError

from helpers import (
    create_function,
    make_client,
    make_logs_client,
    make_zip,
    uniq,
    wait_active,
)

SLEEPER = "import time\n\ndef handler(event, context):\n    time.sleep(event.get('secs', 0))\n    return 'ok'\n"
SLOW_SECS = 12


def sleeper(client, **kw) -> str:
    name = uniq("sleep")
    create_function(client, name, make_zip({"app.py": SLEEPER}), Timeout=30, **kw)
    wait_active(client, name)
    return name


def call(client, name: str, secs: float = 0) -> str:
    resp = client.invoke(FunctionName=name, Payload=json.dumps({"secs": secs}).encode())
    return resp["Payload"].read().decode()


def hold(client, name: str, deadline_s: float = 30) -> str:
    """A slow invoke, retried while it is itself throttled (another caller may hold the slot
    for a moment)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return call(client, name, SLOW_SECS)
        except ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] != 429 or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def throttle_reason(client, name: str, deadline_s: float = 30) -> tuple[str, dict]:
    """Invokes `name` (quickly) until it is throttled; returns the Reason and the error."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            call(client, name)
        except ClientError as e:
            err = e.response
            assert err["ResponseMetadata"]["HTTPStatusCode"] == 429, err
            assert err["Error"]["Code"] == "TooManyRequestsException", err
            return err.get("Reason"), err
        time.sleep(0.05)
    raise AssertionError(f"{name} was never throttled")


def log_streams(server, group: str) -> list[str]:
    logs = make_logs_client(server)
    try:
        return [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise


def test_reserved_concurrency_throttles_with_its_reason(server, lambda_client):
    client = make_client(server)
    name = sleeper(client)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(hold, make_client(server), name)
        reason, err = throttle_reason(client, name)
        assert reason == "ReservedFunctionConcurrentInvocationLimitExceeded", err
        assert err["Error"]["Message"] == "Rate Exceeded."
        assert slow.result(timeout=60) == '"ok"'
    # The slot is free again.
    assert call(client, name) == '"ok"'
    client.delete_function(FunctionName=name)


def test_account_limit_throttles_with_its_reason(server_factory):
    srv = server_factory(extra_env={
        "STRATUS_ACCOUNT_CONCURRENCY": "2",
        "STRATUS_MIN_UNRESERVED_CONCURRENCY": "1",
    })
    client = make_client(srv)
    limits = client.get_account_settings()["AccountLimit"]
    assert limits["ConcurrentExecutions"] == 2
    assert limits["UnreservedConcurrentExecutions"] == 2
    slow, probe, victim = sleeper(client), sleeper(client), sleeper(client)
    # Reservations must leave the minimum of 1 unreserved.
    with pytest.raises(ClientError) as ei:
        client.put_function_concurrency(FunctionName=probe, ReservedConcurrentExecutions=2)
    assert ei.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "minimum value of [1]" in ei.value.response["Error"]["Message"]

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        held = [pool.submit(hold, make_client(srv), slow) for _ in range(2)]
        reason, err = throttle_reason(client, probe)
        assert reason == "ConcurrentInvocationLimitExceeded", err
        # A function never invoked before is refused too, and gets nothing for it.
        with pytest.raises(ClientError) as ei:
            call(client, victim)
        assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert ei.value.response.get("Reason") == "ConcurrentInvocationLimitExceeded"
        assert [h.result(timeout=60) for h in held] == ['"ok"', '"ok"']
    assert log_streams(srv, f"/aws/lambda/{victim}") == []
    assert call(client, victim) == '"ok"'
    assert len(log_streams(srv, f"/aws/lambda/{victim}")) == 1


def test_a_reservation_stays_free_for_its_function(server_factory):
    """Functions without a reservation share only what no reservation holds: with a limit of
    3 and 2 reserved, one unreserved invoke fills their pool, and the reserved function still
    runs."""
    srv = server_factory(extra_env={
        "STRATUS_ACCOUNT_CONCURRENCY": "3",
        "STRATUS_MIN_UNRESERVED_CONCURRENCY": "1",
    })
    client = make_client(srv)
    reserved, open_fn, other = sleeper(client), sleeper(client), sleeper(client)
    client.put_function_concurrency(FunctionName=reserved, ReservedConcurrentExecutions=2)
    assert client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        held = pool.submit(hold, make_client(srv), open_fn)
        reason, err = throttle_reason(client, other)
        assert reason == "ConcurrentInvocationLimitExceeded", err
        assert call(client, reserved) == '"ok"'
        assert held.result(timeout=60) == '"ok"'
    assert call(client, other) == '"ok"'


def test_min_unreserved_above_the_limit_is_refused_at_start(stratus_bin, tmp_path):
    import subprocess

    out = subprocess.run(
        [str(stratus_bin), "server", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "d"),
         "--account-concurrency", "10", "--min-unreserved-concurrency", "11"],
        capture_output=True, text=True, timeout=30,
    )
    assert out.returncode != 0
    assert "--min-unreserved-concurrency (11) must be between 0 and --account-concurrency (10)" in out.stderr
