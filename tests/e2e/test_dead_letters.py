"""Destinations and dead letters: target validation, the dead-letter API (a Stratus
extension, signed like the Lambda API) and the `stratus dead-letters` CLI.

Dead letters for the API and CLI tests are written into a stopped server's database with
sqlite3, exactly as migrations/0003_queue.sql lays the table out. The end-to-end paths
through the dispatcher (reserved concurrency 0, OnFailure webhooks) skip until Event
invokes are accepted (202)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time

import pytest

from helpers import (
    REGION,
    Hook,
    create_function,
    expect_error,
    make_client,
    make_logs_client,
    make_zip,
    signed_request,
    uniq,
    wait_active,
    wait_for,
)

ACCOUNT = "123456789012"
PREFIX = "/2026-12-01/functions"


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


# ------------------------------------------------------------------ seeding and running the CLI


def seed_dead_letters(db_path, rows):
    """Inserts dead letters (dicts) as the store writes them."""
    now = int(time.time() * 1000)
    con = sqlite3.connect(db_path)
    try:
        for r in rows:
            failure = {
                "v": 1,
                "condition": r.get("condition", "RetriesExhausted"),
                "error_type": r.get("error_type"),
                "error_message": r.get("error_message"),
            }
            con.execute(
                "INSERT INTO dead_letters (id, function_name, qualifier, payload, received_at_ms,"
                " attempts, failed_at_ms, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (r["id"], r["function"], r.get("qualifier", "$LATEST"), r["payload"],
                 now - 60_000, r.get("attempts", 2), now, json.dumps(failure)),
            )
        con.commit()
    finally:
        con.close()


def db_ids(db_path, table: str) -> set[str]:
    con = sqlite3.connect(db_path)
    try:
        return {row[0] for row in con.execute(f"SELECT id FROM {table}")}
    finally:
        con.close()


class StratusCli:
    """`stratus dead-letters …` as a subprocess, with the aws CLI's environment."""

    def __init__(self, binary, server, home):
        self.binary = str(binary)
        self.server = server
        self.home = home

    def env(self, **overrides) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATUS_"))}
        env.update(
            AWS_ACCESS_KEY_ID=self.server.access_key,
            AWS_SECRET_ACCESS_KEY=self.server.secret_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=self.server.endpoint,
            AWS_SHARED_CREDENTIALS_FILE=str(self.home / "credentials"),
            AWS_CONFIG_FILE=str(self.home / "config"),
            HOME=str(self.home),
        )
        for k, v in overrides.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        return env

    def run(self, *args, env=None) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, "dead-letters", *args], capture_output=True, text=True,
                              timeout=60, env=env or self.env())

    def ok(self, *args, **kw) -> str:
        p = self.run(*args, **kw)
        assert p.returncode == 0, f"stratus dead-letters {' '.join(args)} failed:\n{p.stderr}"
        return p.stdout

    def json(self, *args, **kw):
        return json.loads(self.ok(*args, "--output", "json", **kw))


@pytest.fixture
def seeded(server_factory, stratus_bin, tmp_path):
    """A private server with function `f` (and `g`) and dead letters seeded for both."""
    srv = server_factory()
    client = make_client(srv)
    for name in ("f", "g"):
        create_function(client, name)
        wait_active(client, name)
    srv.stop()
    rows = [
        {"id": f"00000000-0000-4000-8000-00000000000{i}", "function": "f",
         "payload": json.dumps({"n": i}).encode(), "error_type": "ValueError",
         "error_message": f"boom {i}\nat line {i}"}
        for i in range(3)
    ]
    rows.append({"id": "00000000-0000-4000-8000-0000000000ff", "function": "g",
                 "payload": b"not json", "condition": "EventAgeExceeded"})
    seed_dead_letters(srv.data_dir / "metadata.db", rows)
    srv.start()
    home = tmp_path / "home"
    home.mkdir()
    return srv, StratusCli(stratus_bin, srv, home), [r["id"] for r in rows]


# ------------------------------------------------------------------ the API, signed


def test_the_api_lists_shows_redrives_and_deletes(seeded):
    srv, _cli, ids = seeded
    r = signed_request(srv, "GET", f"{PREFIX}/f/dead-letters")
    assert r.status == 200, r
    listed = r.json()["DeadLetters"]
    assert [d["RequestId"] for d in listed] == ids[:3]
    first = listed[0]
    assert first["FunctionName"] == "f" and first["Qualifier"] == "$LATEST"
    assert first["Condition"] == "RetriesExhausted" and first["Attempts"] == 2
    assert first["ErrorType"] == "ValueError" and first["ErrorMessage"] == "boom 0\nat line 0"
    assert first["PayloadSize"] == len(b'{"n": 0}')
    assert first["ReceivedAt"].endswith("+0000") and first["FailedAt"] > first["ReceivedAt"]
    assert "NextMarker" not in r.json()

    page = signed_request(srv, "GET", f"{PREFIX}/f/dead-letters?MaxItems=2").json()
    assert [d["RequestId"] for d in page["DeadLetters"]] == ids[:2]
    rest = signed_request(srv, "GET", f"{PREFIX}/f/dead-letters?Marker={page['NextMarker']}").json()
    assert [d["RequestId"] for d in rest["DeadLetters"]] == ids[2:3]

    shown = signed_request(srv, "GET", f"{PREFIX}/{arn('f')}/dead-letters/{ids[1]}".replace(":", "%3A"))
    assert shown.status == 200, shown
    assert shown.json()["Payload"] == '{"n": 1}'
    other = signed_request(srv, "GET", f"{PREFIX}/g/dead-letters/{ids[3]}").json()
    assert other["Payload"] == "not json" and "ErrorType" not in other

    red = signed_request(srv, "POST", f"{PREFIX}/f/dead-letters/{ids[0]}/redrive")
    assert (red.status, red.json()) == (200, {"Redriven": 1})
    gone = signed_request(srv, "DELETE", f"{PREFIX}/f/dead-letters/{ids[1]}")
    assert gone.status == 204 and gone.body == b""
    left = signed_request(srv, "GET", f"{PREFIX}/f/dead-letters").json()["DeadLetters"]
    assert [d["RequestId"] for d in left] == [ids[2]]
    everything = signed_request(srv, "POST", f"{PREFIX}/f/dead-letters/redrive")
    assert everything.json() == {"Redriven": 1}

    # Both redrives were committed before their 200: they survive kill -9.
    srv.kill9()
    db = srv.data_dir / "metadata.db"
    assert db_ids(db, "dead_letters") == {ids[3]}
    assert {ids[0], ids[2]} <= db_ids(db, "queue_events")
    assert ids[1] not in db_ids(db, "queue_events")


def test_api_errors_are_lambda_errors(seeded):
    srv, _cli, ids = seeded
    r = signed_request(srv, "GET", f"{PREFIX}/nope/dead-letters")
    assert (r.status, r.error_type) == (404, "ResourceNotFoundException")
    assert r.json()["Message"] == f"Function not found: {arn('nope')}"
    for method, path in [
        ("GET", f"{PREFIX}/f/dead-letters/missing"),
        ("GET", f"{PREFIX}/f/dead-letters/{ids[3]}"),  # g's, not f's
        ("POST", f"{PREFIX}/f/dead-letters/missing/redrive"),
        ("DELETE", f"{PREFIX}/f/dead-letters/missing"),
    ]:
        r = signed_request(srv, method, path)
        assert (r.status, r.error_type) == (404, "ResourceNotFoundException"), (method, path, r)
        assert r.json()["Message"].startswith("Dead letter not found: no event with request id")
    r = signed_request(srv, "GET", f"{PREFIX}/f/dead-letters?MaxItems=0")
    assert (r.status, r.error_type) == (400, "ValidationException")
    r = signed_request(srv, "GET", f"{PREFIX}/f/dead-letters", secret_key="wrong")
    assert (r.status, r.error_type) == (403, "InvalidSignatureException")


# ------------------------------------------------------------------ the CLI


def test_the_cli_prints_tables_and_json(seeded):
    srv, cli, ids = seeded
    table = cli.ok("list", "--function", "f").splitlines()
    assert table[0].split() == ["REQUEST", "ID", "QUALIFIER", "FAILED", "AT", "ATTEMPTS",
                                "CONDITION", "ERROR", "TYPE", "SIZE", "ERROR", "MESSAGE"]
    assert [line.split()[0] for line in table[1:]] == ids[:3]
    # Columns are aligned: every row's qualifier starts where the header's does.
    col = table[0].index("QUALIFIER")
    assert all(line[col:].startswith("$LATEST") for line in table[1:])
    assert "boom 0 at line 0" in table[1]

    listed = cli.json("list", "--function", arn("f"))
    assert [d["RequestId"] for d in listed["DeadLetters"]] == ids[:3]

    shown = cli.ok("show", "--function", "f", "--id", ids[2])
    assert "RetriesExhausted" in shown and shown.rstrip().endswith('{"n": 2}')
    assert cli.json("show", "--function", "f", "--id", ids[2])["PayloadSize"] == 8

    assert cli.ok("redrive", "--function", "f", "--id", ids[0]) == "Redriven: 1\n"
    assert cli.ok("delete", "--function", "f", "--id", ids[1]) == f"Deleted: {ids[1]}\n"
    assert cli.json("redrive", "--function", "f", "--all") == {"Redriven": 1}
    assert cli.ok("list", "--function", "f") == "No dead letters.\n"
    assert [d["RequestId"] for d in cli.json("list", "--function", "g")["DeadLetters"]] == [ids[3]]


def test_cli_errors_print_the_lambda_error_and_exit_1(seeded):
    srv, cli, ids = seeded
    p = cli.run("show", "--function", "f", "--id", "missing")
    assert p.returncode == 1 and p.stdout == ""
    assert "(ResourceNotFoundException): Dead letter not found" in p.stderr
    p = cli.run("list", "--function", "nope")
    assert p.returncode == 1 and f"(ResourceNotFoundException): Function not found: {arn('nope')}" in p.stderr
    p = cli.run("list", "--function", "f", env=cli.env(AWS_SECRET_ACCESS_KEY="wrong"))
    assert p.returncode == 1 and "(InvalidSignatureException)" in p.stderr
    p = cli.run("redrive", "--function", "f")
    assert p.returncode != 0 and "--id" in p.stderr


def test_cli_reads_profiles_and_endpoint_like_the_aws_cli(seeded):
    srv, cli, ids = seeded
    (cli.home / "credentials").write_text(
        f"[default]\naws_access_key_id = {srv.access_key}\naws_secret_access_key = wrong\n\n"
        f"[dev]\naws_access_key_id = {srv.access_key}\naws_secret_access_key = {srv.secret_key}\n"
    )
    (cli.home / "config").write_text(f"[profile dev]\nregion = {REGION}\n")
    no_env_keys = cli.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_DEFAULT_REGION=None,
                          AWS_ENDPOINT_URL=None)
    args = ["list", "--function", "f", "--endpoint-url", srv.endpoint]
    assert ids[0] in cli.ok(*args, "--profile", "dev", env=no_env_keys)
    assert ids[0] in cli.ok(*args, env={**no_env_keys, "AWS_PROFILE": "dev"})
    p = cli.run(*args, env=no_env_keys)  # the default profile's secret is wrong
    assert p.returncode == 1 and "(InvalidSignatureException)" in p.stderr
    # STRATUS_ENDPOINT names the server when --endpoint-url is not given.
    assert ids[0] in cli.ok("list", "--function", "f",
                            env=cli.env(AWS_ENDPOINT_URL=None, STRATUS_ENDPOINT=srv.endpoint))
    p = cli.run("list", "--function", "f", "--profile", "absent", env=no_env_keys)
    assert p.returncode == 1 and "absent" in p.stderr


# ------------------------------------------------------------------ target validation


@pytest.fixture(scope="module")
def fn(lambda_client):
    name = uniq("dest")
    create_function(lambda_client, name)
    wait_active(lambda_client, name)
    yield name
    lambda_client.delete_function(FunctionName=name)


def test_webhook_and_function_destinations_are_accepted_and_read_back(lambda_client, fn):
    config = {"OnSuccess": {"Destination": "http://127.0.0.1:9/hook"},
              "OnFailure": {"Destination": arn("another") + ":live"}}
    lambda_client.put_function_event_invoke_config(FunctionName=fn, DestinationConfig=config)
    got = lambda_client.get_function_event_invoke_config(FunctionName=fn)
    assert got["DestinationConfig"] == config
    lambda_client.delete_function_event_invoke_config(FunctionName=fn)


def test_targets_stratus_cannot_deliver_to_are_refused(lambda_client, fn):
    for bad in ["arn:aws:sqs:us-east-1:123456789012:queue", "arn:aws:sns:us-east-1:123456789012:t",
                "arn:aws:lambda:eu-west-1:123456789012:function:x"]:
        with expect_error(400, "InvalidParameterValueException", "Stratus delivers to"):
            lambda_client.put_function_event_invoke_config(
                FunctionName=fn, DestinationConfig={"OnFailure": {"Destination": bad}})
        with expect_error(400, "InvalidParameterValueException", "DeadLetterConfig"):
            lambda_client.update_function_configuration(FunctionName=fn, DeadLetterConfig={"TargetArn": bad})
    with expect_error(400, "InvalidParameterValueException",
                      "You can't specify the function as a destination for itself."):
        lambda_client.put_function_event_invoke_config(
            FunctionName=fn, DestinationConfig={"OnSuccess": {"Destination": arn(fn)}})
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function_event_invoke_config(FunctionName=fn)


def test_dead_letter_config_takes_a_webhook_or_a_function(lambda_client, fn):
    for target in ["https://example.invalid/dlq", arn("sink")]:
        lambda_client.update_function_configuration(FunctionName=fn, DeadLetterConfig={"TargetArn": target})
        wait_active(lambda_client, fn)
        cfg = lambda_client.get_function_configuration(FunctionName=fn)
        assert cfg["DeadLetterConfig"] == {"TargetArn": target}
    with expect_error(400, "InvalidParameterValueException", "dead-letter target for itself"):
        lambda_client.update_function_configuration(FunctionName=fn, DeadLetterConfig={"TargetArn": arn(fn)})
    lambda_client.update_function_configuration(FunctionName=fn, DeadLetterConfig={"TargetArn": ""})


# ------------------------------------------------------------------ through the dispatcher


@pytest.fixture(scope="module")
def async_available(lambda_client, fn) -> bool:
    """True once Event invokes are accepted (the dispatcher is on this build)."""
    try:
        r = lambda_client.invoke(FunctionName=fn, InvocationType="Event", Payload=b"{}")
    except lambda_client.exceptions.ClientError:
        return False
    return r["StatusCode"] == 202


def needs_async(async_available):
    if not async_available:
        pytest.skip("Event invokes are not accepted by this build (no dispatcher)")


FAILING = make_zip({"app.py": "def handler(event, context):\n    raise ValueError('boom ' + str(event.get('n')))\n"})
ECHO = make_zip({"app.py": "def handler(event, context):\n    print('ran', context.aws_request_id)\n    return event\n"})


def test_zero_reserved_concurrency_dead_letters_then_redrive_runs(lambda_client, server, stratus_bin, tmp_path,
                                                                 async_available):
    needs_async(async_available)
    name = uniq("dl0")
    create_function(lambda_client, name, zip_bytes=ECHO)
    wait_active(lambda_client, name)
    cli = StratusCli(stratus_bin, server, tmp_path)
    try:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        r = lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
        request_id = r["ResponseMetadata"]["RequestId"]
        listed = wait_for("the dead letter", lambda: [
            d for d in cli.json("list", "--function", name)["DeadLetters"] if d["RequestId"] == request_id])
        assert listed[0]["Condition"] == "ZeroReservedConcurrency"
        assert request_id in cli.ok("list", "--function", name)
        lambda_client.delete_function_concurrency(FunctionName=name)
        assert cli.ok("redrive", "--function", name, "--id", request_id) == "Redriven: 1\n"
        logs = make_logs_client(server)

        def ran():
            try:
                events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
            except logs.exceptions.ResourceNotFoundException:
                return False
            return any(f"ran {request_id}" in e["message"] for e in events)

        wait_for("the redriven event to run", ran)
        assert cli.json("list", "--function", name)["DeadLetters"] == []
    finally:
        lambda_client.delete_function(FunctionName=name)


def test_on_failure_webhook_gets_the_record_and_a_failing_one_dead_letters(lambda_client, server, stratus_bin,
                                                                           tmp_path, async_available):
    needs_async(async_available)
    good, bad = Hook(200), Hook(500)
    name = uniq("dlw")
    create_function(lambda_client, name, zip_bytes=FAILING)
    wait_active(lambda_client, name)
    cli = StratusCli(stratus_bin, server, tmp_path)
    try:
        lambda_client.put_function_event_invoke_config(
            FunctionName=name, MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": good.url}})
        r = lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 7}')
        request_id = r["ResponseMetadata"]["RequestId"]
        record = wait_for("the webhook's record", lambda: good.bodies())[0]
        assert record["version"] == "1.0"
        assert record["requestContext"]["requestId"] == request_id
        assert record["requestContext"]["functionArn"] == arn(name) + ":$LATEST"
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 1
        assert record["requestPayload"] == {"n": 7}
        assert record["responseContext"]["functionError"] == "Unhandled"
        assert record["responsePayload"]["errorMessage"] == "boom 7"

        lambda_client.put_function_event_invoke_config(
            FunctionName=name, MaximumRetryAttempts=0,
            DestinationConfig={"OnFailure": {"Destination": bad.url}})
        r = lambda_client.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 8}')
        request_id = r["ResponseMetadata"]["RequestId"]
        listed = wait_for("the dead letter", lambda: [
            d for d in cli.json("list", "--function", name)["DeadLetters"] if d["RequestId"] == request_id])
        assert len(bad.bodies()) == 2  # tried once more before giving up
        assert "500" in listed[0].get("ErrorMessage", ""), listed[0]
    finally:
        good.close()
        bad.close()
        lambda_client.delete_function(FunctionName=name)
