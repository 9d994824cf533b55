"""Asynchronous invoke end to end: Event invocations and the legacy InvokeAsync answer 202
once the event is committed, the dispatcher runs them with real sandboxes, retries
function errors as the event-invoke config says, does not count throttles as retries,
ends events on the failure path (reserved concurrency 0, maximum event age) into the
store's dead letters, and runs every acknowledged event after a kill -9.

Runs are observed through the function's log (START lines carry the request id); dead
letters through the store file, opened read-only (the dead-letter API comes later).
"""

from __future__ import annotations

import concurrent.futures
import json
import threading
import time

import pytest

from helpers import (
    create_function,
    dead_letter,
    event_invoke,
    expect_error,
    log_events,
    make_client,
    make_logs_client,
    make_zip,
    queue_counts,
    started_ids,
    started_on_disk,
    starts,
    uniq,
    wait_active,
    wait_for,
)

FAILING = "def handler(event, context):\n    raise RuntimeError('boom ' + context.aws_request_id)\n"

MARKING = (
    "def handler(event, context):\n"
    "    print('MARK', context.aws_request_id, event.get('n'))\n"
    "    return {'n': event.get('n')}\n"
)


@pytest.fixture(scope="module")
def fast_server(stratus_bin, tmp_path_factory):
    """A private server whose function-error retries wait 2 s and then 4 s."""
    from helpers import StratusServer

    base = tmp_path_factory.mktemp("stratus-async")
    srv = StratusServer(stratus_bin, base / "data", base / "logs",
                        extra_env={"STRATUS_ASYNC_RETRY_BASE_SECS": "2"})
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fast(fast_server):
    return make_client(fast_server), make_logs_client(fast_server)


# ------------------------------------------------------------------ accepting events


def test_event_invoke_is_202_and_the_handler_runs(lambda_client, server):
    logs = make_logs_client(server)
    name = uniq("async")
    create_function(lambda_client, name, make_zip({"app.py": MARKING}))
    wait_active(lambda_client, name)
    resp = lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 7}')
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    request_id = resp["ResponseMetadata"]["RequestId"]
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == request_id
    marks = wait_for("the handler's mark",
                     lambda: [e for e in log_events(logs, name, "MARK") if f"MARK {request_id} 7" in e["message"]])
    assert len(marks) == 1
    # The run is a normal invocation of $LATEST with the request id of the 202.
    assert len(starts(logs, name, request_id)) == 1


def test_legacy_invoke_async_is_202_and_runs(lambda_client, server):
    logs = make_logs_client(server)
    name = uniq("async-legacy")
    create_function(lambda_client, name, make_zip({"app.py": MARKING}))
    wait_active(lambda_client, name)
    resp = lambda_client.invoke_async(FunctionName=name, InvokeArgs=json.dumps({"n": 42}))
    assert resp["Status"] == 202
    request_id = resp["ResponseMetadata"]["RequestId"]
    wait_for("the handler's mark",
             lambda: any(f"MARK {request_id} 42" in e["message"] for e in log_events(logs, name, "MARK")))


def test_event_runs_the_version_of_the_alias_it_was_invoked_with(lambda_client, server):
    logs = make_logs_client(server)
    name = uniq("async-alias")
    create_function(lambda_client, name, make_zip({"app.py": MARKING}))
    wait_active(lambda_client, name)
    lambda_client.publish_version(FunctionName=name)
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    request_id = event_invoke(lambda_client, name, {"n": 1}, Qualifier="live")
    line = wait_for("the run", lambda: [e["message"] for e in log_events(logs, name, "START")
                                         if f"RequestId: {request_id} " in e["message"]])
    assert "Version: 1" in line[0], line


def test_aws_cli_event_invoke(lambda_client, server, aws, tmp_path):
    logs = make_logs_client(server)
    name = uniq("async-cli")
    create_function(lambda_client, name, make_zip({"app.py": MARKING}))
    wait_active(lambda_client, name)
    out = tmp_path / "out.json"
    res = aws("lambda", "invoke", "--function-name", name, "--invocation-type", "Event",
              "--payload", '{"n": 5}', str(out))
    assert res["StatusCode"] == 202
    wait_for("the handler's mark", lambda: any(" 5" in e["message"] for e in log_events(logs, name, "MARK")))


def test_event_over_1_mb_is_413_and_unknown_function_404(lambda_client):
    name = uniq("async-big")
    create_function(lambda_client, name, make_zip({"app.py": MARKING}))
    wait_active(lambda_client, name)
    big = json.dumps({"pad": "x" * 1_048_576}).encode()
    with expect_error(413, "RequestTooLargeException") as e:
        lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=big)
    assert "1048576 bytes" in e.value.response["Error"]["Message"]
    with expect_error(413, "RequestTooLargeException"):
        lambda_client.invoke_async(FunctionName=name, InvokeArgs=big)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.invoke(FunctionName=uniq("nope"), InvocationType="Event", Payload=b"{}")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.invoke_async(FunctionName=uniq("nope"), InvokeArgs=b"{}")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.invoke(FunctionName=name, Qualifier="9", InvocationType="Event", Payload=b"{}")
    with expect_error(400, "InvalidRequestContentException"):
        lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b"{nope")


# ------------------------------------------------------------------ retries and the failure path


def test_function_errors_are_retried_twice_with_growing_spacing_then_dead_lettered(fast, fast_server):
    client, logs = fast
    name = uniq("async-fail")
    create_function(client, name, make_zip({"app.py": FAILING}))
    wait_active(client, name)
    client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2)
    request_id = event_invoke(client, name, {"k": 1})
    dead = wait_for("the dead letter", lambda: dead_letter(fast_server, request_id))
    assert dead == ("RetriesExhausted", "RuntimeError", 2)
    times = starts(logs, name, request_id)
    assert len(times) == 3, times
    assert times[1] - times[0] >= 2000, times
    assert times[2] - times[1] >= 4000, times


def test_maximum_retry_attempts_zero_runs_once(fast, fast_server):
    client, logs = fast
    name = uniq("async-once")
    create_function(client, name, make_zip({"app.py": FAILING}))
    wait_active(client, name)
    client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    request_id = event_invoke(client, name)
    assert wait_for("the dead letter", lambda: dead_letter(fast_server, request_id)) == (
        "RetriesExhausted", "RuntimeError", 0)
    assert len(starts(logs, name, request_id)) == 1


def test_throttles_do_not_use_up_retries(fast, fast_server):
    client, logs = fast
    name = uniq("async-throttle")
    code = (
        "import time\n"
        "def handler(event, context):\n"
        "    if event.get('slow'):\n"
        "        time.sleep(5)\n"
        "        return 'slow done'\n"
        "    raise RuntimeError('fast fails')\n"
    )
    create_function(client, name, make_zip({"app.py": code}), Timeout=30)
    wait_active(client, name)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    slow = event_invoke(client, name, {"slow": True})
    # Leased: the slow event is on its way into the one slot (it takes it before its cold
    # start); the fast ones come while it holds it.
    wait_for("the slow event to be claimed", lambda: queue_counts(fast_server)[1] == 1, interval=0.02)
    fast_ids = [event_invoke(client, name, {"i": i}) for i in range(3)]
    accepted_by_ms = time.time() * 1000
    for rid in fast_ids:
        assert wait_for("a dead letter", lambda: dead_letter(fast_server, rid), timeout=180) == (
            "RetriesExhausted", "RuntimeError", 1)
    slow_end = [e["timestamp"] for e in log_events(logs, name, "END") if f"RequestId: {slow}" in e["message"]]
    assert len(slow_end) == 1
    slow_start = starts(logs, name, slow)[0]
    firsts = []
    for rid in fast_ids:
        times = starts(logs, name, rid)
        # Every run the config allows happened, however often the event was throttled.
        assert len(times) == 2, (rid, times)
        firsts.append(times[0])
    # All four were accepted while the slow event ran, and the one slot serialised them:
    # the fast ones waited for it (throttled), or, had one got in first, the slow one did.
    assert accepted_by_ms < slow_end[0]
    assert any(t >= slow_end[0] for t in firsts) or slow_start > min(firsts), (slow_start, slow_end, firsts)
    assert dead_letter(fast_server, slow) is None


def test_events_of_a_deleted_function_end_on_the_failure_path(fast, fast_server):
    client, logs = fast
    name = uniq("async-gone")
    create_function(client, name, make_zip({"app.py": FAILING}))
    wait_active(client, name)
    request_id = event_invoke(client, name)
    wait_for("the first run", lambda: starts(logs, name, request_id))
    client.delete_function(FunctionName=name)
    condition, error_type, attempts = wait_for("the dead letter", lambda: dead_letter(fast_server, request_id))
    assert (condition, error_type) == ("FunctionNotFound", "ResourceNotFoundException")
    assert attempts >= 1


def test_reserved_concurrency_zero_dead_letters_without_a_run(fast, fast_server):
    client, logs = fast
    name = uniq("async-off")
    create_function(client, name, make_zip({"app.py": MARKING}))
    wait_active(client, name)
    client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    request_id = event_invoke(client, name)
    dead = wait_for("the dead letter", lambda: dead_letter(fast_server, request_id))
    assert dead == ("ZeroReservedConcurrency", None, 0)
    assert starts(logs, name) == []


def test_events_older_than_the_maximum_age_are_dead_lettered(server_factory):
    # The test cap (3 s) stands in for MaximumEventAgeInSeconds, whose floor is 60 s; the
    # retry waits 5 s, so the event is too old by then.
    srv = server_factory(extra_env={"STRATUS_ASYNC_RETRY_BASE_SECS": "5",
                                    "STRATUS_ASYNC_MAX_EVENT_AGE_SECS": "3"})
    client, logs = make_client(srv), make_logs_client(srv)
    name = uniq("async-old")
    create_function(client, name, make_zip({"app.py": FAILING}))
    wait_active(client, name)
    client.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=60,
                                            MaximumRetryAttempts=2)
    request_id = event_invoke(client, name)
    dead = wait_for("the dead letter", lambda: dead_letter(srv, request_id))
    assert dead == ("EventAgeExceeded", None, 1)
    assert len(starts(logs, name, request_id)) == 1


# ------------------------------------------------------------------ kill -9


KILL_HANDLER = (
    "import time\n"
    "def handler(event, context):\n"
    "    # The second batch is held (running) until resume_at: the server is killed while\n"
    "    # these run, and none of them completes before the kill.\n"
    "    if event['n'] >= 100 and time.time() < event['resume_at']:\n"
    "        time.sleep(event['resume_at'] - time.time())\n"
    "    time.sleep(0.05)\n"
    "    if event['n'] % 10 == 0:\n"
    "        raise RuntimeError('retry me')\n"
    "    return event['n']\n"
)


def test_kill_9_mid_load_loses_no_acknowledged_event(server_factory, tmp_path):
    """Events queued, leased and running, and retrying when the server is SIGKILLed all
    run after the restart. The first 100 events run before the kill (every one of them
    has its START on disk, and those that fail are waiting for a retry); the next 200 are
    held running or queued behind them."""
    env = {"STRATUS_ASYNC_RETRY_BASE_SECS": "3", "STRATUS_ASYNC_CONCURRENCY": "4"}
    data = tmp_path / "kill-data"
    srv = server_factory(data_dir=data, extra_env=env)
    client = make_client(srv)
    name = uniq("async-kill")
    create_function(client, name, make_zip({"app.py": KILL_HANDLER}), Timeout=60)
    wait_active(client, name)
    resume_at = time.time() + 25.0
    local = threading.local()

    def send(n):
        try:
            if not hasattr(local, "client"):
                local.client = make_client(srv)
            return event_invoke(local.client, name, {"n": n, "resume_at": resume_at})
        except Exception:  # noqa: BLE001 - not acknowledged (the server was killed)
            return None

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        first = set(pool.map(send, range(100)))
        assert None not in first
        later = [pool.submit(send, n) for n in range(100, 300)]
        wait_for("the first batch's runs on disk", lambda: first <= started_on_disk(data), timeout=120)
        free, leased = queue_counts(srv)
        srv.kill9()
        killed_at = time.time()
        acked = first | ({f.result() for f in later} - {None})
    print(f"at the kill: {free} queued, {leased} leased; {len(acked)} acknowledged")
    assert killed_at < resume_at, "the machine was too slow for this scenario"
    assert leased >= 1 and free >= 1, (free, leased)

    srv2 = server_factory(data_dir=data, extra_env=env)
    logs = make_logs_client(srv2)
    missing = acked

    def all_ran():
        nonlocal missing
        missing = acked - started_ids(logs, name)
        return not missing

    wait_for(f"every acknowledged event to run ({len(acked)})", all_ran, timeout=240, interval=1.0)
