"""Every destination of an asynchronous invocation's end, delivered by the server: OnSuccess
and OnFailure to another function (which receives Lambda's destination record) and to a
webhook on loopback, DeadLetterConfig to a function and to a webhook (the raw event and
the X-Amz-Lambda-* headers), the dead-letter target as the fallback of a failing OnFailure
webhook, and the dead-letter store when nothing is configured. Then kill -9 while a
delivery is in flight and while an event waits for its retry: both finish after the
restart (at least once).

Function targets are observed through their CloudWatch log (the recorder prints the event
it got); webhooks through the HTTP server each test starts on 127.0.0.1."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from helpers import (
    ACCOUNT,
    REGION,
    Hook,
    StratusServer,
    create_function,
    dead_letter,
    event_invoke,
    log_events,
    make_client,
    make_logs_client,
    make_zip,
    queued_event,
    signed_request,
    started_on_disk,
    starts,
    uniq,
    wait_active,
    wait_for,
)

OK = make_zip({"app.py": "def handler(event, context):\n    return {'doubled': event['n'] * 2}\n"})
FAILING = make_zip({"app.py": "def handler(event, context):\n    raise ValueError('boom ' + str(event['n']))\n"})
RECORDER = make_zip({"app.py": (
    "import json\n"
    "def handler(event, context):\n"
    "    print('RECORD ' + json.dumps(event))\n"
)})

TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


@pytest.fixture(scope="module")
def srv(stratus_bin, tmp_path_factory):
    """A private server whose function-error retries wait 1 s (then 2 s)."""
    base = tmp_path_factory.mktemp("stratus-destinations")
    s = StratusServer(stratus_bin, base / "data", base / "logs",
                      extra_env={"STRATUS_ASYNC_RETRY_BASE_SECS": "1"})
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def clients(srv):
    return make_client(srv), make_logs_client(srv)


def function(client, prefix, code, **kw) -> str:
    name = uniq(prefix)
    create_function(client, name, code, **kw)
    wait_active(client, name)
    return name


@pytest.fixture(scope="module")
def recorder(clients):
    """A function that logs every event it receives (one shared target)."""
    return function(clients[0], "dest-rec", RECORDER)


def recorded(logs, name):
    """The events the recorder received, in log order."""
    return [json.loads(e["message"].split("RECORD ", 1)[1]) for e in log_events(logs, name, "RECORD")]


def record_of(logs, recorder_name, request_id):
    """Waits for the destination record of `request_id` at the recorder."""
    return wait_for(f"the record of {request_id}", lambda: [
        r for r in recorded(logs, recorder_name)
        if isinstance(r, dict) and r.get("requestContext", {}).get("requestId") == request_id])


def raw_event_at(logs, recorder_name, event):
    return wait_for(f"the raw event {event}", lambda: [r for r in recorded(logs, recorder_name) if r == event])


def ended(srv, request_id):
    """Waits until the event has left the queue (its end is committed)."""
    wait_for(f"{request_id} to leave the queue", lambda: queued_event(srv, request_id) is None)


# ------------------------------------------------------------------ function targets


def test_on_success_function_gets_the_destination_record(clients, srv, recorder):
    client, logs = clients
    name = function(client, "dest-ok", OK)
    client.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn(recorder)}})
    request_id = event_invoke(client, name, {"n": 21})
    [record] = record_of(logs, recorder, request_id)
    assert record["version"] == "1.0"
    assert TIMESTAMP_RE.match(record["timestamp"]), record["timestamp"]
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": arn(name) + ":$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"n": 21}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"doubled": 42}
    ended(srv, request_id)
    assert dead_letter(srv, request_id) is None


def test_on_failure_function_gets_the_record_after_the_retries(clients, srv, recorder):
    client, logs = clients
    name = function(client, "dest-fail", FAILING)
    client.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn(recorder)}})
    request_id = event_invoke(client, name, {"n": 7})
    [record] = record_of(logs, recorder, request_id)
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": arn(name) + ":$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 2,
    }
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "boom 7"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert len(starts(logs, name, request_id)) == 2
    ended(srv, request_id)
    assert dead_letter(srv, request_id) is None


def test_dead_letter_function_gets_the_raw_event(clients, srv, recorder):
    client, logs = clients
    name = function(client, "dest-dlq", FAILING)
    client.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": arn(recorder)})
    wait_active(client, name)
    client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    event = {"n": 3, "mark": str(uuid.uuid4())}
    request_id = event_invoke(client, name, event)
    assert len(raw_event_at(logs, recorder, event)) == 1
    ended(srv, request_id)
    assert dead_letter(srv, request_id) is None
    assert len(starts(logs, name, request_id)) == 1


# ------------------------------------------------------------------ webhooks


def test_on_success_webhook_gets_the_record_as_json(clients, srv):
    client, _logs = clients
    hook = Hook(200)
    try:
        name = function(client, "dest-hook", OK)
        client.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": hook.url}})
        request_id = event_invoke(client, name, {"n": 5})
        [(headers, body)] = wait_for("the webhook's POST", hook.requests)
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"].startswith("stratus/")
        record = json.loads(body)
        assert record["requestContext"]["requestId"] == request_id
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestContext"]["functionArn"] == arn(name) + ":$LATEST"
        assert record["requestPayload"] == {"n": 5}
        assert record["responsePayload"] == {"doubled": 10}
        ended(srv, request_id)
        assert dead_letter(srv, request_id) is None
        assert len(hook.requests()) == 1
    finally:
        hook.close()


def test_dead_letter_webhook_gets_the_raw_event_and_headers(clients, srv):
    client, _logs = clients
    hook = Hook(204)
    try:
        name = function(client, "dest-dlhook", FAILING)
        client.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": hook.url})
        wait_active(client, name)
        client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
        payload = b'{"n": 4,  "spacing": "kept"}'
        r = client.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
        assert r["StatusCode"] == 202
        request_id = r["ResponseMetadata"]["RequestId"]
        [(headers, body)] = wait_for("the dead-letter POST", hook.requests)
        assert body == payload
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Amz-Lambda-RequestId"] == request_id
        assert headers["X-Amz-Lambda-ErrorCode"] == "200"
        assert headers["X-Amz-Lambda-ErrorType"] == "ValueError"
        assert headers["X-Amz-Lambda-ErrorMessage"] == "boom 4"
        assert headers["X-Amz-Lambda-Condition"] == "RetriesExhausted"
        ended(srv, request_id)
        assert dead_letter(srv, request_id) is None
    finally:
        hook.close()


def test_failing_on_failure_webhook_falls_back_to_the_dead_letter_function(clients, srv, recorder):
    client, logs = clients
    bad = Hook(500)
    try:
        name = function(client, "dest-fallback", FAILING)
        client.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": arn(recorder)})
        wait_active(client, name)
        client.put_function_event_invoke_config(
            FunctionName=name, MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": bad.url}})
        event = {"n": 9, "mark": str(uuid.uuid4())}
        request_id = event_invoke(client, name, event)
        assert len(raw_event_at(logs, recorder, event)) == 1
        ended(srv, request_id)
        assert dead_letter(srv, request_id) is None
        # The webhook got the record, refused it, and got it once more before the fallback.
        tries = [json.loads(b) for _, b in bad.requests()]
        assert len(tries) == 2
        assert all(t["requestContext"]["requestId"] == request_id for t in tries)
    finally:
        bad.close()


def test_with_nothing_configured_a_failure_is_kept_as_a_dead_letter(clients, srv):
    client, _logs = clients
    name = function(client, "dest-none", FAILING)
    client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    request_id = event_invoke(client, name, {"n": 5})

    def listed():
        r = signed_request(srv, "GET", f"/2026-12-01/functions/{name}/dead-letters")
        assert r.status == 200, r
        return [d for d in r.json()["DeadLetters"] if d["RequestId"] == request_id]

    [dead] = wait_for("the dead letter", listed)
    assert dead["Condition"] == "RetriesExhausted"
    assert dead["ErrorType"] == "ValueError"
    assert dead["ErrorMessage"] == "boom 5"
    assert dead["Attempts"] == 0
    shown = signed_request(srv, "GET", f"/2026-12-01/functions/{name}/dead-letters/{request_id}").json()
    assert json.loads(shown["Payload"]) == {"n": 5}


# ------------------------------------------------------------------ kill -9


def test_kill_9_while_delivering_delivers_again_after_the_restart(server_factory, tmp_path):
    data = tmp_path / "deliver-data"
    hook = Hook(200, hold=True)
    try:
        first = server_factory(data_dir=data)
        client = make_client(first)
        name = function(client, "dest-kill", OK)
        client.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": hook.url}})
        request_id = event_invoke(client, name, {"n": 1})
        assert hook.arrived.wait(90), "the delivery never arrived"
        first.kill9()
        [(_, body)] = hook.requests()
        assert json.loads(body)["requestContext"]["requestId"] == request_id

        second = server_factory(data_dir=data)
        hook.release()

        def delivered():
            ids = [json.loads(b)["requestContext"]["requestId"] for _, b in hook.requests()]
            return ids.count(request_id) >= 2 and queued_event(second, request_id) is None

        wait_for("the record to be delivered again", delivered)
        record = json.loads(hook.requests()[-1][1])
        assert record["requestContext"]["condition"] == "Success"
        assert record["responsePayload"] == {"doubled": 2}
        assert dead_letter(second, request_id) is None
    finally:
        hook.close()


RETRY_BASE_SECS = 12


def test_kill_9_while_waiting_for_a_retry_still_retries(server_factory, tmp_path):
    data = tmp_path / "retry-data"
    env = {"STRATUS_ASYNC_RETRY_BASE_SECS": str(RETRY_BASE_SECS)}
    first = server_factory(data_dir=data, extra_env=env)
    client = make_client(first)
    name = function(client, "dest-retry", FAILING)
    client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    request_id = event_invoke(client, name, {"n": 2})
    # Failed once (its run on disk) and back in the queue, unleased, waiting for its retry.
    wait_for("the first failure", lambda: queued_event(first, request_id) == (1, False)
             and started_on_disk(data, request_id) == 1, interval=0.05)
    failed_at = time.monotonic()
    first.kill9()
    assert time.monotonic() - failed_at < RETRY_BASE_SECS, "the machine was too slow for this scenario"
    assert started_on_disk(data, request_id) == 1

    second = server_factory(data_dir=data, extra_env=env)
    wait_for("the retry after the restart", lambda: started_on_disk(data, request_id) == 2)
    assert wait_for("the dead letter", lambda: dead_letter(second, request_id)) == (
        "RetriesExhausted", "ValueError", 1)
    assert len(starts(make_logs_client(second), name, request_id)) == 2
