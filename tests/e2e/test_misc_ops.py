"""Tags, reserved concurrency, account settings, event-invoke configs and the
read-only calls the Terraform provider makes, through boto3."""

from __future__ import annotations

import datetime as dt

from helpers import (
    ACCOUNT,
    REGION,
    create_function,
    expect_error,
    make_zip,
    uniq,
    wait_active,
)


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


# --------------------------------------------------------------------------- tags


def test_tags_lifecycle(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Tags={"owner": "alice"})
    arn = fn_arn(name)
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"owner": "alice"}
    res = lambda_client.tag_resource(Resource=arn, Tags={"env": "dev", "cost-center": "42", "owner": "bob"})
    assert res["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"owner": "bob", "env": "dev", "cost-center": "42"}
    assert lambda_client.get_function(FunctionName=name)["Tags"] == {"owner": "bob", "env": "dev", "cost-center": "42"}
    # Repeated tagKeys in the query string.
    lambda_client.untag_resource(Resource=arn, TagKeys=["env", "owner", "not-there"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"cost-center": "42"}
    lambda_client.untag_resource(Resource=arn, TagKeys=["cost-center"])
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {}
    assert lambda_client.get_function(FunctionName=name).get("Tags", {}) == {}


def test_tags_are_not_versioned(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    arn = fn_arn(name)
    lambda_client.tag_resource(Resource=arn, Tags={"k": "v"})
    # Tags on a qualified ARN are refused.
    with expect_error(400, ("InvalidParameterValueException", "ValidationException")):
        lambda_client.tag_resource(Resource=fn_arn(name, "1"), Tags={"x": "y"})
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"k": "v"}


def test_tags_on_missing_function(lambda_client):
    arn = fn_arn(uniq("missing"))
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.tag_resource(Resource=arn, Tags={"a": "b"})
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.untag_resource(Resource=arn, TagKeys=["a"])


def test_tag_limits(loose_client):
    name = uniq()
    create_function(loose_client, name)
    arn = fn_arn(name)
    with expect_error(400, ("InvalidParameterValueException", "ValidationException")):
        loose_client.tag_resource(Resource=arn, Tags={"aws:reserved": "x"})
    with expect_error(400, ("InvalidParameterValueException", "ValidationException")):
        loose_client.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(51)})
    with expect_error(400, ("InvalidParameterValueException", "ValidationException")):
        loose_client.tag_resource(Resource=arn, Tags={"k" * 129: "v"})
    with expect_error(400, ("InvalidParameterValueException", "ValidationException")):
        loose_client.tag_resource(Resource=arn, Tags={"k": "v" * 257})
    assert loose_client.list_tags(Resource=arn)["Tags"] == {}


# --------------------------------------------------------------------------- concurrency & account


def test_function_concurrency(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    before = lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    assert lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") is None
    assert "Concurrency" not in lambda_client.get_function(FunctionName=name)

    put = lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=10)
    assert put["ReservedConcurrentExecutions"] == 10
    assert lambda_client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 10
    assert lambda_client.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 10}
    assert lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == before - 10

    # Replacing the value, and zero (throttle everything) is allowed.
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert lambda_client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 0
    assert lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == before

    res = lambda_client.delete_function_concurrency(FunctionName=name)
    assert res["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    assert lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") is None
    assert lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == before


def test_concurrency_keeps_100_unreserved(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    unreserved = lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    with expect_error(400, "InvalidParameterValueException"):
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=unreserved - 99)
    assert lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") is None
    ok = lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=unreserved - 100)
    assert ok["ReservedConcurrentExecutions"] == unreserved - 100
    assert lambda_client.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 100
    lambda_client.delete_function_concurrency(FunctionName=name)


def test_concurrency_on_qualified_name_rejected(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    with expect_error(400, ("InvalidParameterValueException", "ValidationException")):
        lambda_client.put_function_concurrency(FunctionName=f"{name}:1", ReservedConcurrentExecutions=1)


def test_account_settings(lambda_client):
    s = lambda_client.get_account_settings()
    lim, use = s["AccountLimit"], s["AccountUsage"]
    assert lim["ConcurrentExecutions"] == 1000
    assert lim["CodeSizeZipped"] == 52428800
    assert lim["CodeSizeUnzipped"] == 262144000
    assert lim["TotalCodeSize"] == 80530636800
    assert 100 <= lim["UnreservedConcurrentExecutions"] <= 1000
    count, total = use["FunctionCount"], use["TotalCodeSize"]

    code = make_zip({"app.py": "x = 1\n", "pad.bin": bytes(range(256)) * 40})
    name = uniq()
    create_function(lambda_client, name, code)
    s2 = lambda_client.get_account_settings()["AccountUsage"]
    assert s2["FunctionCount"] == count + 1
    assert s2["TotalCodeSize"] >= total + len(code)
    lambda_client.delete_function(FunctionName=name)
    s3 = lambda_client.get_account_settings()["AccountUsage"]
    assert s3["FunctionCount"] == count
    assert s3["TotalCodeSize"] == total


# --------------------------------------------------------------------------- event invoke config


def test_event_invoke_config_lifecycle(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function_event_invoke_config(FunctionName=name)

    put = lambda_client.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=3600)
    assert put["FunctionArn"] == fn_arn(name, "$LATEST")
    assert put["MaximumRetryAttempts"] == 1
    assert put["MaximumEventAgeInSeconds"] == 3600
    assert isinstance(put["LastModified"], dt.datetime)
    assert abs((put["LastModified"] - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 300

    got = lambda_client.get_function_event_invoke_config(FunctionName=name)
    assert got["MaximumRetryAttempts"] == 1
    assert got["MaximumEventAgeInSeconds"] == 3600

    # Update merges.
    upd = lambda_client.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert upd["MaximumRetryAttempts"] == 0
    assert upd["MaximumEventAgeInSeconds"] == 3600

    # Put replaces: omitted fields are removed.
    rep = lambda_client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2)
    assert rep["MaximumRetryAttempts"] == 2
    assert "MaximumEventAgeInSeconds" not in rep
    assert "MaximumEventAgeInSeconds" not in lambda_client.get_function_event_invoke_config(FunctionName=name)

    # Per qualifier.
    v1 = lambda_client.put_function_event_invoke_config(FunctionName=name, Qualifier="1", MaximumEventAgeInSeconds=60)
    assert v1["FunctionArn"] == fn_arn(name, "1")
    listed = lambda_client.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted([fn_arn(name, "$LATEST"), fn_arn(name, "1")])

    res = lambda_client.delete_function_event_invoke_config(FunctionName=name)
    assert res["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function_event_invoke_config(FunctionName=name)
    assert lambda_client.get_function_event_invoke_config(FunctionName=name, Qualifier="1")["MaximumEventAgeInSeconds"] == 60
    listed = lambda_client.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in listed] == [fn_arn(name, "1")]


def test_event_invoke_config_validation(loose_client):
    name = uniq()
    create_function(loose_client, name)
    with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
        loose_client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=3)
    with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
        loose_client.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=59)
    with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
        loose_client.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=21601)
    with expect_error(404, "ResourceNotFoundException"):
        loose_client.get_function_event_invoke_config(FunctionName=name)
    with expect_error(404, "ResourceNotFoundException"):
        loose_client.put_function_event_invoke_config(FunctionName=name, Qualifier="5", MaximumRetryAttempts=1)
    with expect_error(404, "ResourceNotFoundException"):
        loose_client.put_function_event_invoke_config(FunctionName=uniq("missing"), MaximumRetryAttempts=1)


# --------------------------------------------------------------------------- provider read calls


def test_terraform_provider_read_calls(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    wait_active(lambda_client, name)

    csc = lambda_client.get_function_code_signing_config(FunctionName=name)
    assert csc["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert not csc.get("CodeSigningConfigArn")

    rmc = lambda_client.get_runtime_management_config(FunctionName=name)
    assert rmc["UpdateRuntimeOn"] == "Auto"

    rec = lambda_client.get_function_recursion_config(FunctionName=name)
    assert rec["RecursiveLoop"] == "Terminate"

    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_policy(FunctionName=name)

    missing = uniq("missing")
    for call in (
        lambda: lambda_client.get_function_code_signing_config(FunctionName=missing),
        lambda: lambda_client.get_runtime_management_config(FunctionName=missing),
        lambda: lambda_client.get_function_recursion_config(FunctionName=missing),
        lambda: lambda_client.get_policy(FunctionName=missing),
    ):
        with expect_error(404, "ResourceNotFoundException"):
            call()
