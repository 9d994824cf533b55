"""CreateFunction / Get / Update / Delete / ListFunctions through boto3."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from helpers import (
    ACCOUNT,
    LAST_MODIFIED_RE,
    REGION,
    ROLE,
    UUID_RE,
    blob_files,
    create_function,
    download,
    expect_error,
    http_status,
    list_all_functions,
    make_zip,
    sha256_b64,
    uniq,
    wait_active,
)


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def test_healthz_needs_no_auth(server):
    assert http_status(f"{server.endpoint}/healthz") == 200


def test_create_function_returns_full_configuration(lambda_client, server):
    name = uniq()
    code = make_zip()
    before = blob_files(server)
    cfg = create_function(lambda_client, name, code, Description="hello", Timeout=10, MemorySize=256,
                          Environment={"Variables": {"GREETING": "hi", "Mode": "test"}})
    assert cfg["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert cfg["FunctionName"] == name
    assert cfg["FunctionArn"] == fn_arn(name)
    assert cfg["Runtime"] == "python3.11"
    assert cfg["Role"] == ROLE
    assert cfg["Handler"] == "app.handler"
    assert cfg["Description"] == "hello"
    assert cfg["Timeout"] == 10
    assert cfg["MemorySize"] == 256
    assert cfg["CodeSize"] == len(code)
    assert cfg["CodeSha256"] == sha256_b64(code)
    assert cfg["Version"] == "$LATEST"
    assert LAST_MODIFIED_RE.match(cfg["LastModified"]), cfg["LastModified"]
    assert UUID_RE.match(cfg["RevisionId"]), cfg["RevisionId"]
    assert cfg["Environment"]["Variables"] == {"GREETING": "hi", "Mode": "test"}
    assert cfg["PackageType"] == "Zip"
    assert cfg["Architectures"] == ["x86_64"]
    assert cfg["EphemeralStorage"] == {"Size": 512}
    assert cfg["TracingConfig"] == {"Mode": "PassThrough"}
    assert cfg["LoggingConfig"]["LogFormat"] == "Text"
    assert cfg["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
    assert cfg["State"] in ("Pending", "Active")
    assert "Layers" not in cfg or cfg["Layers"] == []

    got = wait_active(lambda_client, name)
    assert got["State"] == "Active"
    assert got["LastUpdateStatus"] == "Successful"
    for key in ("FunctionName", "FunctionArn", "CodeSha256", "CodeSize", "MemorySize", "Timeout",
                "Handler", "Runtime", "Role", "Description", "Version", "Environment"):
        assert got[key] == cfg[key], key
    # The code went into the blob store (makes the "nothing left behind" checks meaningful).
    assert blob_files(server) - before, "creating a function stored no new blob"


def test_create_function_defaults(lambda_client):
    name = uniq()
    cfg = create_function(lambda_client, name)
    assert cfg["Timeout"] == 3
    assert cfg["MemorySize"] == 128
    assert cfg["Description"] == ""
    assert "Environment" not in cfg or cfg["Environment"].get("Variables") in (None, {})


@pytest.mark.parametrize("runtime", ["python3.11", "nodejs20.x", "provided.al2023", "provided.al2"])
def test_supported_runtimes(lambda_client, runtime):
    name = uniq()
    handler = "bootstrap" if runtime.startswith("provided") else "app.handler"
    cfg = create_function(lambda_client, name, Runtime=runtime, Handler=handler)
    assert cfg["Runtime"] == runtime
    assert lambda_client.get_function_configuration(FunctionName=name)["Runtime"] == runtime


def test_get_function_code_location_downloads_zip_without_auth(lambda_client, server):
    name = uniq()
    code = make_zip({"app.py": "def handler(e, c):\n    return 42\n", "lib/data.txt": "x" * 1000})
    create_function(lambda_client, name, code, Tags={"team": "core"})
    res = lambda_client.get_function(FunctionName=name)
    assert res["Configuration"]["FunctionName"] == name
    assert res["Configuration"]["CodeSha256"] == sha256_b64(code)
    assert res["Code"]["RepositoryType"] == "S3"
    loc = res["Code"]["Location"]
    parsed = urllib.parse.urlsplit(loc)
    assert parsed.scheme == "http", loc
    assert parsed.port == server.port, loc
    assert parsed.query, f"Code.Location carries no token: {loc}"
    assert download(loc) == code
    assert res.get("Tags") == {"team": "core"}


def test_code_location_token_is_checked(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    loc = lambda_client.get_function(FunctionName=name)["Code"]["Location"]
    parts = urllib.parse.urlsplit(loc)
    # No token at all.
    assert 400 <= http_status(urllib.parse.urlunsplit(parts._replace(query=""))) < 500
    # Every query value tampered with.
    q = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    assert q, loc
    for i, (k, v) in enumerate(q):
        bad = list(q)
        # Replace the last character by one with a different value in any case-insensitive
        # encoding (hex, base64url, decimal): "a" -> "A" would not be a real change for hex.
        flipped = (v[:-1] + ("1" if v[-1:] == "0" else "0")) if v else "x"
        bad[i] = (k, flipped)
        url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(bad)))
        status = http_status(url)
        assert 400 <= status < 500, f"tampered {k} still downloads (HTTP {status}): {url}"
    # The genuine URL still works.
    assert http_status(loc) == 200


@pytest.mark.parametrize("form", ["name", "partial_arn", "full_arn", "latest_qualified", "full_arn_latest"])
def test_function_name_forms(lambda_client, form):
    name = uniq()
    create_function(lambda_client, name)
    ident = {
        "name": name,
        "partial_arn": f"{ACCOUNT}:function:{name}",
        "full_arn": fn_arn(name),
        "latest_qualified": f"{name}:$LATEST",
        "full_arn_latest": fn_arn(name, "$LATEST"),
    }[form]
    cfg = lambda_client.get_function_configuration(FunctionName=ident)
    assert cfg["FunctionName"] == name
    assert cfg["Version"] == "$LATEST"
    assert lambda_client.get_function(FunctionName=ident)["Configuration"]["FunctionName"] == name


def test_qualifier_conflicting_with_name_suffix(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    with expect_error(400, "InvalidParameterValueException"):
        lambda_client.get_function_configuration(FunctionName=f"{name}:$LATEST", Qualifier="1")


def test_update_function_code(lambda_client, server):
    name = uniq()
    first = create_function(lambda_client, name)
    wait_active(lambda_client, name)
    time.sleep(0.01)
    new_code = make_zip({"app.py": "def handler(e, c):\n    return 'v2'\n", "extra.txt": "y" * 5000})
    upd = lambda_client.update_function_code(FunctionName=name, ZipFile=new_code)
    assert upd["CodeSha256"] == sha256_b64(new_code)
    assert upd["CodeSize"] == len(new_code)
    assert upd["RevisionId"] != first["RevisionId"]
    assert LAST_MODIFIED_RE.match(upd["LastModified"])
    assert upd["LastModified"] >= first["LastModified"]
    assert upd["Version"] == "$LATEST"
    cfg = wait_active(lambda_client, name)
    assert cfg["CodeSha256"] == sha256_b64(new_code)
    assert download(lambda_client.get_function(FunctionName=name)["Code"]["Location"]) == new_code


def test_update_function_code_with_publish(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    wait_active(lambda_client, name)
    new_code = make_zip()
    upd = lambda_client.update_function_code(FunctionName=name, ZipFile=new_code, Publish=True)
    assert upd["Version"] == "1"
    assert upd["FunctionArn"] == fn_arn(name, "1")
    assert upd["CodeSha256"] == sha256_b64(new_code)


def test_update_function_configuration_replaces_environment(lambda_client):
    name = uniq()
    created = create_function(lambda_client, name, Environment={"Variables": {"A": "1", "B": "2"}})
    wait_active(lambda_client, name)
    upd = lambda_client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"C": "3"}}, MemorySize=512, Timeout=30,
        Description="changed", Handler="app.other")
    assert upd["Environment"]["Variables"] == {"C": "3"}
    assert upd["MemorySize"] == 512
    assert upd["Timeout"] == 30
    assert upd["Description"] == "changed"
    assert upd["Handler"] == "app.other"
    assert upd["RevisionId"] != created["RevisionId"]
    assert upd["CodeSha256"] == created["CodeSha256"]
    cfg = wait_active(lambda_client, name)
    assert cfg["Environment"]["Variables"] == {"C": "3"}
    assert cfg["MemorySize"] == 512
    # Fields not mentioned are kept.
    upd2 = lambda_client.update_function_configuration(FunctionName=name, Description="again")
    assert upd2["MemorySize"] == 512
    assert upd2["Environment"]["Variables"] == {"C": "3"}
    wait_active(lambda_client, name)
    # An empty map removes every variable.
    upd3 = lambda_client.update_function_configuration(FunctionName=name, Environment={"Variables": {}})
    assert upd3.get("Environment", {}).get("Variables", {}) == {}


def test_update_function_configuration_revision_id_precondition(lambda_client):
    name = uniq()
    created = create_function(lambda_client, name)
    cfg = wait_active(lambda_client, name)
    with expect_error(412, "PreconditionFailedException"):
        lambda_client.update_function_configuration(
            FunctionName=name, MemorySize=256, RevisionId="00000000-0000-0000-0000-000000000000")
    assert lambda_client.get_function_configuration(FunctionName=name)["MemorySize"] == 128
    ok = lambda_client.update_function_configuration(FunctionName=name, MemorySize=256,
                                                     RevisionId=cfg["RevisionId"])
    assert ok["MemorySize"] == 256
    wait_active(lambda_client, name)
    # The old revision is stale now.
    with expect_error(412, "PreconditionFailedException"):
        lambda_client.update_function_configuration(FunctionName=name, MemorySize=384,
                                                     RevisionId=created["RevisionId"])


def test_update_function_code_revision_id_precondition(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    wait_active(lambda_client, name)
    with expect_error(412, "PreconditionFailedException"):
        lambda_client.update_function_code(FunctionName=name, ZipFile=make_zip(),
                                           RevisionId="00000000-0000-0000-0000-000000000000")


def test_create_with_publish(lambda_client):
    name = uniq()
    cfg = create_function(lambda_client, name, Publish=True)
    assert cfg["Version"] == "1"
    assert cfg["FunctionArn"] == fn_arn(name, "1")
    versions = [v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "1"]


def test_delete_function(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    res = lambda_client.delete_function(FunctionName=name)
    assert res["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function(FunctionName=name)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.delete_function(FunctionName=name)
    assert name not in {f["FunctionName"] for f in list_all_functions(lambda_client, FunctionVersion="ALL")}
    # Re-creating the name starts from scratch: no old versions or aliases.
    create_function(lambda_client, name)
    assert [v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST"]
    assert lambda_client.list_aliases(FunctionName=name)["Aliases"] == []


def test_delete_function_by_arn(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    lambda_client.delete_function(FunctionName=fn_arn(name))
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function(FunctionName=name)


def test_delete_function_version_with_qualifier(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    wait_active(lambda_client, name)
    lambda_client.update_function_configuration(FunctionName=name, MemorySize=256)
    wait_active(lambda_client, name)
    assert lambda_client.publish_version(FunctionName=name)["Version"] == "2"
    lambda_client.delete_function(FunctionName=name, Qualifier="1")
    versions = [v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "2"]
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function(FunctionName=name, Qualifier="1")
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["MemorySize"] == 256
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.delete_function(FunctionName=name, Qualifier="7")


def test_delete_latest_qualifier_rejected(lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    with expect_error(400, "InvalidParameterValueException"):
        lambda_client.delete_function(FunctionName=name, Qualifier="$LATEST")
    lambda_client.get_function(FunctionName=name)


def test_delete_alias_qualifier_rejected(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    lambda_client.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    with expect_error(400, "InvalidParameterValueException"):
        lambda_client.delete_function(FunctionName=name, Qualifier="prod")
    assert lambda_client.get_alias(FunctionName=name, Name="prod")["FunctionVersion"] == "1"


def test_list_functions_pagination(lambda_client):
    prefix = uniq("page")
    names = {f"{prefix}-{i}" for i in range(5)}
    for n in sorted(names):
        create_function(lambda_client, n)
    seen: list[str] = []
    marker = None
    pages = 0
    while True:
        kw = {"MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = lambda_client.list_functions(**kw)
        pages += 1
        assert len(page["Functions"]) <= 2
        seen.extend(f["FunctionName"] for f in page["Functions"])
        marker = page.get("NextMarker")
        if not marker:
            break
        assert pages < 10000
    assert len(seen) == len(set(seen)), "a function was listed twice across pages"
    assert names <= set(seen)
    assert pages >= 3
    # Every listed function is $LATEST with an unqualified ARN.
    listed = {f["FunctionName"]: f for f in list_all_functions(lambda_client)}
    for n in names:
        assert listed[n]["Version"] == "$LATEST"
        assert listed[n]["FunctionArn"] == fn_arn(n)
    # The paginator sees the same set.
    assert names <= {f["FunctionName"] for f in list_all_functions(lambda_client, PaginationConfig={"PageSize": 3})}


def test_list_functions_all_versions(lambda_client):
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    plain = [f for f in list_all_functions(lambda_client) if f["FunctionName"] == name]
    assert [f["Version"] for f in plain] == ["$LATEST"]
    everything = [f for f in list_all_functions(lambda_client, FunctionVersion="ALL") if f["FunctionName"] == name]
    assert sorted(f["Version"] for f in everything) == ["$LATEST", "1"]
    v1 = next(f for f in everything if f["Version"] == "1")
    assert v1["FunctionArn"] == fn_arn(name, "1")


def test_missing_function_operations_404(lambda_client):
    name = uniq("missing")
    calls = [
        lambda: lambda_client.get_function(FunctionName=name),
        lambda: lambda_client.get_function_configuration(FunctionName=name),
        lambda: lambda_client.update_function_code(FunctionName=name, ZipFile=make_zip()),
        lambda: lambda_client.update_function_configuration(FunctionName=name, MemorySize=256),
        lambda: lambda_client.delete_function(FunctionName=name),
        lambda: lambda_client.publish_version(FunctionName=name),
        lambda: lambda_client.list_versions_by_function(FunctionName=name),
        lambda: lambda_client.list_aliases(FunctionName=name),
        lambda: lambda_client.get_alias(FunctionName=name, Name="live"),
        lambda: lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1"),
        lambda: lambda_client.get_function_concurrency(FunctionName=name),
        lambda: lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1),
        lambda: lambda_client.list_tags(Resource=fn_arn(name)),
    ]
    for i, call in enumerate(calls):
        with expect_error(404, "ResourceNotFoundException"):
            call()
