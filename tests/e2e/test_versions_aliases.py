"""PublishVersion, ListVersionsByFunction and aliases through boto3."""

from __future__ import annotations

from helpers import (
    ACCOUNT,
    REGION,
    UUID_RE,
    create_function,
    download,
    expect_error,
    make_zip,
    sha256_b64,
    uniq,
    wait_active,
)


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def versions_of(client, name):
    out = []
    marker = None
    while True:
        kw = {"FunctionName": name}
        if marker:
            kw["Marker"] = marker
        page = client.list_versions_by_function(**kw)
        out.extend(page["Versions"])
        marker = page.get("NextMarker")
        if not marker:
            return out


def test_publish_version_snapshots_latest(lambda_client):
    name = uniq()
    code1 = make_zip()
    create_function(lambda_client, name, code1, Description="fn desc", MemorySize=128,
                    Environment={"Variables": {"V": "1"}})
    latest = wait_active(lambda_client, name)
    v1 = lambda_client.publish_version(FunctionName=name)
    assert v1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v1["Version"] == "1"
    assert v1["FunctionArn"] == fn_arn(name, "1")
    assert v1["CodeSha256"] == sha256_b64(code1)
    assert v1["Description"] == "fn desc"
    assert v1["Environment"]["Variables"] == {"V": "1"}
    assert UUID_RE.match(v1["RevisionId"])
    # Publishing changes $LATEST's RevisionId.
    assert lambda_client.get_function_configuration(FunctionName=name)["RevisionId"] != latest["RevisionId"]

    # Change code and config of $LATEST; version 1 must not move.
    code2 = make_zip()
    lambda_client.update_function_code(FunctionName=name, ZipFile=code2)
    wait_active(lambda_client, name)
    lambda_client.update_function_configuration(FunctionName=name, MemorySize=256,
                                                Environment={"Variables": {"V": "2"}})
    wait_active(lambda_client, name)
    got1 = lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")
    assert got1["Version"] == "1"
    assert got1["MemorySize"] == 128
    assert got1["Environment"]["Variables"] == {"V": "1"}
    assert got1["CodeSha256"] == sha256_b64(code1)
    assert got1["FunctionArn"] == fn_arn(name, "1")
    assert download(lambda_client.get_function(FunctionName=name, Qualifier="1")["Code"]["Location"]) == code1
    assert download(lambda_client.get_function(FunctionName=f"{name}:1")["Code"]["Location"]) == code1
    assert download(lambda_client.get_function(FunctionName=name)["Code"]["Location"]) == code2

    v2 = lambda_client.publish_version(FunctionName=name, Description="second")
    assert v2["Version"] == "2"
    assert v2["Description"] == "second"
    assert v2["MemorySize"] == 256
    assert v2["CodeSha256"] == sha256_b64(code2)


def test_publish_without_changes_returns_existing_version(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    wait_active(lambda_client, name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "1"
    again = lambda_client.publish_version(FunctionName=name)
    assert again["Version"] == "1"
    assert [v["Version"] for v in versions_of(lambda_client, name)] == ["$LATEST", "1"]
    # A configuration-only change is a change.
    lambda_client.update_function_configuration(FunctionName=name, Timeout=20)
    wait_active(lambda_client, name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "2"
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "2"


def test_version_numbers_are_never_reused(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    wait_active(lambda_client, name)
    lambda_client.update_function_configuration(FunctionName=name, Timeout=5)
    wait_active(lambda_client, name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "2"
    lambda_client.delete_function(FunctionName=name, Qualifier="2")
    lambda_client.update_function_configuration(FunctionName=name, Timeout=6)
    wait_active(lambda_client, name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "3"
    assert [v["Version"] for v in versions_of(lambda_client, name)] == ["$LATEST", "1", "3"]


def test_publish_version_code_sha_precondition(lambda_client):
    name = uniq()
    code = make_zip()
    create_function(lambda_client, name, code)
    wait_active(lambda_client, name)
    wrong = sha256_b64(b"something else")
    with expect_error(400, "InvalidParameterValueException", message="CodeSHA256"):
        lambda_client.publish_version(FunctionName=name, CodeSha256=wrong)
    assert [v["Version"] for v in versions_of(lambda_client, name)] == ["$LATEST"]
    ok = lambda_client.publish_version(FunctionName=name, CodeSha256=sha256_b64(code))
    assert ok["Version"] == "1"


def test_publish_version_revision_precondition(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    cfg = wait_active(lambda_client, name)
    with expect_error(412, "PreconditionFailedException"):
        lambda_client.publish_version(FunctionName=name, RevisionId="11111111-1111-1111-1111-111111111111")
    assert [v["Version"] for v in versions_of(lambda_client, name)] == ["$LATEST"]
    assert lambda_client.publish_version(FunctionName=name, RevisionId=cfg["RevisionId"])["Version"] == "1"


def test_list_versions_by_function(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    for t in (4, 5, 6):
        wait_active(lambda_client, name)
        lambda_client.update_function_configuration(FunctionName=name, Timeout=t)
        wait_active(lambda_client, name)
        lambda_client.publish_version(FunctionName=name)
    res = lambda_client.list_versions_by_function(FunctionName=name)
    vs = res["Versions"]
    assert [v["Version"] for v in vs] == ["$LATEST", "1", "2", "3", "4"]
    assert vs[0]["FunctionArn"] == fn_arn(name, "$LATEST")
    assert vs[2]["FunctionArn"] == fn_arn(name, "2")
    assert [v["Timeout"] for v in vs[1:]] == [3, 4, 5, 6]
    # Pagination, one at a time.
    seen = []
    marker = None
    for _ in range(20):
        kw = {"FunctionName": name, "MaxItems": 1}
        if marker:
            kw["Marker"] = marker
        page = lambda_client.list_versions_by_function(**kw)
        assert len(page["Versions"]) <= 1
        seen += [v["Version"] for v in page["Versions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert seen == ["$LATEST", "1", "2", "3", "4"]


def _fn_with_versions(client, n_versions: int) -> str:
    name = uniq()
    create_function(client, name, Publish=True)
    for i in range(1, n_versions):
        wait_active(client, name)
        client.update_function_configuration(FunctionName=name, Timeout=3 + i)
        wait_active(client, name)
        assert client.publish_version(FunctionName=name)["Version"] == str(i + 1)
    return name


def test_alias_lifecycle(lambda_client):
    name = _fn_with_versions(lambda_client, 2)
    a = lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="prod traffic")
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert a["AliasArn"] == fn_arn(name, "live")
    assert a["Name"] == "live"
    assert a["FunctionVersion"] == "1"
    assert a["Description"] == "prod traffic"
    assert UUID_RE.match(a["RevisionId"])

    got = lambda_client.get_alias(FunctionName=name, Name="live")
    assert {k: got[k] for k in ("AliasArn", "Name", "FunctionVersion", "Description", "RevisionId")} == \
        {k: a[k] for k in ("AliasArn", "Name", "FunctionVersion", "Description", "RevisionId")}

    # The alias resolves to its version's configuration.
    cfg = lambda_client.get_function_configuration(FunctionName=name, Qualifier="live")
    assert cfg["Version"] == "1"
    assert cfg["Timeout"] == 3
    cfg = lambda_client.get_function_configuration(FunctionName=f"{name}:live")
    assert cfg["Version"] == "1"

    upd = lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="2",
                                     RoutingConfig={"AdditionalVersionWeights": {"1": 0.25}})
    assert upd["FunctionVersion"] == "2"
    assert upd["RoutingConfig"]["AdditionalVersionWeights"] == {"1": 0.25}
    assert upd["RevisionId"] != a["RevisionId"]
    assert upd["Description"] == "prod traffic"
    assert lambda_client.get_function_configuration(FunctionName=name, Qualifier="live")["Version"] == "2"

    # Stale RevisionId.
    with expect_error(412, "PreconditionFailedException"):
        lambda_client.update_alias(FunctionName=name, Name="live", FunctionVersion="1", RevisionId=a["RevisionId"])
    assert lambda_client.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "2"

    lambda_client.create_alias(FunctionName=name, Name="beta", FunctionVersion="$LATEST")
    names = {x["Name"]: x for x in lambda_client.list_aliases(FunctionName=name)["Aliases"]}
    assert set(names) == {"live", "beta"}
    assert names["beta"]["FunctionVersion"] == "$LATEST"
    only2 = lambda_client.list_aliases(FunctionName=name, FunctionVersion="2")["Aliases"]
    assert [x["Name"] for x in only2] == ["live"]

    with expect_error(409, "ResourceConflictException"):
        lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")

    res = lambda_client.delete_alias(FunctionName=name, Name="live")
    assert res["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_alias(FunctionName=name, Name="live")
    assert [x["Name"] for x in lambda_client.list_aliases(FunctionName=name)["Aliases"]] == ["beta"]
    # The versions survive deleting an alias.
    assert lambda_client.get_function_configuration(FunctionName=name, Qualifier="2")["Version"] == "2"


def test_list_aliases_pagination(lambda_client):
    name = _fn_with_versions(lambda_client, 1)
    wanted = {f"a{i}" for i in range(5)}
    for n in wanted:
        lambda_client.create_alias(FunctionName=name, Name=n, FunctionVersion="1")
    seen = []
    marker = None
    for _ in range(20):
        kw = {"FunctionName": name, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = lambda_client.list_aliases(**kw)
        assert len(page["Aliases"]) <= 2
        seen += [a["Name"] for a in page["Aliases"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert sorted(seen) == sorted(wanted)


def test_alias_to_missing_version(lambda_client):
    name = _fn_with_versions(lambda_client, 1)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.create_alias(FunctionName=name, Name="x", FunctionVersion="9")
    assert lambda_client.list_aliases(FunctionName=name)["Aliases"] == []


def test_alias_routing_validation(loose_client):
    c = loose_client
    name = _fn_with_versions(c, 3)

    def bad(status, codes, **kw):
        with expect_error(status, codes):
            c.create_alias(FunctionName=name, Name="r", **kw)
        names = [a["Name"] for a in c.list_aliases(FunctionName=name)["Aliases"]]
        assert "r" not in names, f"rejected alias was created ({kw})"

    # Weight above 1.0 (out of the shape's range).
    bad(400, ("ValidationException", "InvalidParameterValueException"),
        FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {"1": 1.5}})
    # Negative weight.
    bad(400, ("ValidationException", "InvalidParameterValueException"),
        FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {"1": -0.5}})
    # More than one extra version.
    bad(400, ("InvalidParameterValueException", "ValidationException"),
        FunctionVersion="3", RoutingConfig={"AdditionalVersionWeights": {"1": 0.1, "2": 0.1}})
    # Extra version equal to the primary.
    bad(400, "InvalidParameterValueException",
        FunctionVersion="2", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    # Routing from $LATEST.
    bad(400, "InvalidParameterValueException",
        FunctionVersion="$LATEST", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    # Extra version that does not exist.
    with _either_400_or_404():
        c.create_alias(FunctionName=name, Name="r", FunctionVersion="1",
                       RoutingConfig={"AdditionalVersionWeights": {"42": 0.5}})
    # Alias names cannot be all digits.
    with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
        c.create_alias(FunctionName=name, Name="123", FunctionVersion="1")

    # A valid one is accepted, and updating it with a bad weight is rejected and changes nothing.
    ok = c.create_alias(FunctionName=name, Name="r", FunctionVersion="2",
                        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert ok["RoutingConfig"]["AdditionalVersionWeights"] == {"1": 0.5}
    with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
        c.update_alias(FunctionName=name, Name="r", RoutingConfig={"AdditionalVersionWeights": {"1": 2.0}})
    assert c.get_alias(FunctionName=name, Name="r")["RoutingConfig"]["AdditionalVersionWeights"] == {"1": 0.5}


class _either_400_or_404:
    """A routing weight naming a version that does not exist: AWS rejects it (4xx, Lambda code)."""

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        from botocore.exceptions import ClientError

        assert et is not None, "alias routing to a nonexistent version was accepted"
        if not issubclass(et, ClientError):
            return False
        status = ev.response["ResponseMetadata"]["HTTPStatusCode"]
        code = ev.response["Error"]["Code"]
        assert status in (400, 404), ev.response
        assert code in ("InvalidParameterValueException", "ResourceNotFoundException"), ev.response
        return True


def test_get_missing_alias(lambda_client):
    name = _fn_with_versions(lambda_client, 1)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_alias(FunctionName=name, Name="nope")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.update_alias(FunctionName=name, Name="nope", FunctionVersion="1")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function_configuration(FunctionName=name, Qualifier="nope")
