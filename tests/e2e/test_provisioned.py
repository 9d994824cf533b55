"""Provisioned concurrency through boto3: environments initialised before the first invoke,
their init type and REPORT lines, spill-over to on-demand environments, the status moving
to READY (or FAILED), Lambda's errors, deletion, and provisioning again after a restart."""

from __future__ import annotations

import concurrent.futures
import json
import time

from helpers import (
    create_function,
    expect_error,
    log_tail,
    make_client,
    make_logs_client,
    make_zip,
    uniq,
    wait_active,
)

APP = """import os, time
INIT_TYPE = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")
INIT_AT = time.time()
print("initialised as", INIT_TYPE)

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"init_type": INIT_TYPE, "init_at": INIT_AT, "stream": context.log_stream_name}
"""

BROKEN = "raise RuntimeError('boom at import')\n"


def published(client, code: str = APP, **kw) -> str:
    name = uniq("prov")
    create_function(client, name, make_zip({"app.py": code}), Timeout=30, **kw)
    wait_active(client, name)
    assert client.publish_version(FunctionName=name)["Version"] == "1"
    return name


def wait_status(client, name: str, qualifier: str, want: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        cfg = client.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        if cfg["Status"] == want:
            return cfg
        assert cfg["Status"] == "IN_PROGRESS", cfg
        assert time.monotonic() < deadline, f"never {want}: {cfg}"
        time.sleep(0.1)


def streams(server, name: str) -> set[str]:
    logs = make_logs_client(server)
    found = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    return {s["logStreamName"] for s in found}


def run(client, name: str, qualifier: str, **event) -> tuple[dict, str]:
    resp = client.invoke(FunctionName=name, Qualifier=qualifier, LogType="Tail",
                         Payload=json.dumps(event).encode())
    assert "FunctionError" not in resp, resp
    return json.loads(resp["Payload"].read()), log_tail(resp)


def test_provisioned_environments_serve_first_and_come_back_after_restart(server_factory):
    srv = server_factory()
    c = make_client(srv)
    name = published(c)
    put = c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1",
                                               ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] in ("IN_PROGRESS", "READY")
    ready = wait_status(c, name, "1", "READY")
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 2
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2
    assert ready["LastModified"] == put["LastModified"]

    # Both environments exist before any invoke: each has logged its init to its stream.
    before = streams(srv, name)
    assert len(before) == 2 and all("[1]" in s for s in before), before
    invoked_at = time.time()
    out, tail = run(c, name, "1")
    assert out["init_type"] == "provisioned-concurrency"
    assert out["init_at"] < invoked_at
    assert out["stream"] in before
    assert "REPORT RequestId" in tail and "Init Duration" not in tail, tail

    # Three at once: two on the provisioned environments, one spills over to on-demand.
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: run(make_client(srv), name, "1", sleep=10), range(3)))
    kinds = sorted(r[0]["init_type"] for r in results)
    assert kinds == ["on-demand", "provisioned-concurrency", "provisioned-concurrency"], kinds
    for out, tail in results:
        assert ("Init Duration" in tail) == (out["init_type"] == "on-demand"), tail

    items = c.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [i["FunctionArn"].rsplit(":", 1)[1] for i in items] == ["1"]
    assert items[0]["Status"] == "READY"

    # After a restart the stored config is provisioned again.
    assert srv.terminate() == 0
    srv.start()
    c = make_client(srv)
    wait_status(c, name, "1", "READY")
    after = streams(srv, name)
    assert len(after - before) >= 3, "two new provisioned streams (and the on-demand one)"
    out, tail = run(c, name, "1")
    assert out["init_type"] == "provisioned-concurrency" and out["stream"] in after - before
    assert "Init Duration" not in tail

    c.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    with expect_error(404, "ProvisionedConcurrencyConfigNotFoundException",
                      "No Provisioned Concurrency Config found for this function"):
        c.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert c.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    # Invokes still run, on demand.
    out, _ = run(c, name, "1")
    assert out["init_type"] in ("on-demand", "provisioned-concurrency")


def test_an_alias_config_and_lambdas_errors(lambda_client, loose_client):
    c = lambda_client
    name = published(c)
    c.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with expect_error(400, "InvalidParameterValueException",
                      "Provisioned Concurrency Configs cannot be applied to unpublished function versions."):
        c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST",
                                             ProvisionedConcurrentExecutions=1)
    with expect_error(404, "ResourceNotFoundException"):
        c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="9",
                                             ProvisionedConcurrentExecutions=1)
    with expect_error(404, "ResourceNotFoundException"):
        c.put_provisioned_concurrency_config(FunctionName=uniq("missing"), Qualifier="1",
                                             ProvisionedConcurrentExecutions=1)
    with expect_error(400, ("InvalidParameterValueException", "ValidationException")):
        loose_client.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1",
                                                        ProvisionedConcurrentExecutions=0)
    unreserved = c.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    with expect_error(400, "InvalidParameterValueException",
                      "decreases account's UnreservedConcurrentExecution below its minimum value of [100]"):
        c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                             ProvisionedConcurrentExecutions=unreserved - 99)
    c.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with expect_error(400, "InvalidParameterValueException", "reservedConcurrentExecution"):
        c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                             ProvisionedConcurrentExecutions=2)
    c.delete_function_concurrency(FunctionName=name)
    with expect_error(404, "ProvisionedConcurrencyConfigNotFoundException"):
        c.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")

    c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                         ProvisionedConcurrentExecutions=1)
    # The alias's version cannot carry its own config as well.
    with expect_error(409, "ResourceConflictException"):
        c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1",
                                             ProvisionedConcurrentExecutions=1)
    # A reservation below the provisioned total is refused.
    with expect_error(400, "InvalidParameterValueException", "provisioned concurrency"):
        c.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    wait_status(c, name, "live", "READY")
    out, tail = run(c, name, "live")
    assert out["init_type"] == "provisioned-concurrency" and "Init Duration" not in tail

    # Deleting the alias deletes its config.
    c.delete_alias(FunctionName=name, Name="live")
    assert c.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    c.delete_function(FunctionName=name)


def test_a_failing_init_fails_the_config(lambda_client):
    c = lambda_client
    name = published(c, BROKEN)
    c.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1",
                                         ProvisionedConcurrentExecutions=1)
    failed = wait_status(c, name, "1", "FAILED")
    assert "boom at import" in failed["StatusReason"], failed
    assert failed["AvailableProvisionedConcurrentExecutions"] == 0
    c.delete_function(FunctionName=name)
    with expect_error(404, "ResourceNotFoundException"):
        c.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
