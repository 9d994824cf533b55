"""Layers (publish/get/list/delete) and layers on functions, through boto3."""

from __future__ import annotations

from helpers import (
    ACCOUNT,
    LAST_MODIFIED_RE,
    REGION,
    create_function,
    download,
    expect_error,
    make_zip,
    nothing_left_behind,
    sha256_b64,
    uniq,
    wait_active,
)


def layer_arn(name: str, version: int | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}"
    return f"{arn}:{version}" if version is not None else arn


def publish(client, name, content=None, **kw):
    content = content if content is not None else make_zip({"python/lib.py": f"X = '{name}'\n"})
    params = dict(LayerName=name, Content={"ZipFile": content}, CompatibleRuntimes=["python3.11"])
    params.update(kw)
    return client.publish_layer_version(**params), content


def test_publish_and_get_layer_version(lambda_client):
    name = uniq("layer")
    res, content = publish(lambda_client, name, Description="shared libs", LicenseInfo="MIT",
                           CompatibleRuntimes=["python3.11", "python3.12"],
                           CompatibleArchitectures=["x86_64"])
    assert res["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert res["Version"] == 1
    assert res["LayerArn"] == layer_arn(name)
    assert res["LayerVersionArn"] == layer_arn(name, 1)
    assert res["Description"] == "shared libs"
    assert res["LicenseInfo"] == "MIT"
    assert res["CompatibleRuntimes"] == ["python3.11", "python3.12"]
    assert res["CompatibleArchitectures"] == ["x86_64"]
    assert LAST_MODIFIED_RE.match(res["CreatedDate"]), res["CreatedDate"]
    assert res["Content"]["CodeSha256"] == sha256_b64(content)
    assert res["Content"]["CodeSize"] == len(content)
    assert download(res["Content"]["Location"]) == content

    got = lambda_client.get_layer_version(LayerName=name, VersionNumber=1)
    for k in ("LayerArn", "LayerVersionArn", "Version", "Description", "LicenseInfo", "CreatedDate",
              "CompatibleRuntimes"):
        assert got[k] == res[k], k
    assert got["Content"]["CodeSha256"] == sha256_b64(content)
    assert download(got["Content"]["Location"]) == content

    by_arn = lambda_client.get_layer_version_by_arn(Arn=layer_arn(name, 1))
    assert by_arn["LayerVersionArn"] == layer_arn(name, 1)
    assert by_arn["Content"]["CodeSha256"] == sha256_b64(content)

    # Addressed by ARN instead of name.
    assert lambda_client.get_layer_version(LayerName=layer_arn(name), VersionNumber=1)["Version"] == 1


def test_layer_versions_list_and_delete(lambda_client):
    name = uniq("layer")
    publish(lambda_client, name)
    r2, c2 = publish(lambda_client, name, CompatibleRuntimes=["nodejs20.x"])
    assert r2["Version"] == 2

    versions = lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    assert versions[0]["LayerVersionArn"] == layer_arn(name, 2)

    py = lambda_client.list_layer_versions(LayerName=name, CompatibleRuntime="python3.11")["LayerVersions"]
    assert [v["Version"] for v in py] == [1]

    layers = {l["LayerName"]: l for l in _all_layers(lambda_client)}
    assert layers[name]["LayerArn"] == layer_arn(name)
    assert layers[name]["LatestMatchingVersion"]["Version"] == 2
    assert layers[name]["LatestMatchingVersion"]["LayerVersionArn"] == layer_arn(name, 2)
    py_layers = {l["LayerName"]: l for l in _all_layers(lambda_client, CompatibleRuntime="python3.11")}
    assert py_layers[name]["LatestMatchingVersion"]["Version"] == 1

    res = lambda_client.delete_layer_version(LayerName=name, VersionNumber=2)
    assert res["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_layer_version(LayerName=name, VersionNumber=2)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_layer_version_by_arn(Arn=layer_arn(name, 2))
    # Deleting again is not an error.
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=2)
    assert [v["Version"] for v in lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]] == [1]
    # Numbers are not reused.
    assert publish(lambda_client, name)[0]["Version"] == 3

    lambda_client.delete_layer_version(LayerName=name, VersionNumber=1)
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=3)
    assert lambda_client.list_layer_versions(LayerName=name)["LayerVersions"] == []
    assert name not in {l["LayerName"] for l in _all_layers(lambda_client)}


def test_list_layers_pagination(lambda_client):
    prefix = uniq("lp")
    names = {f"{prefix}-{i}" for i in range(4)}
    for n in names:
        publish(lambda_client, n)
    seen = []
    marker = None
    for _ in range(1000):
        kw = {"MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = lambda_client.list_layers(**kw)
        assert len(page["Layers"]) <= 2
        seen += [l["LayerName"] for l in page["Layers"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert len(seen) == len(set(seen))
    assert names <= set(seen)


def _all_layers(client, **kw):
    out = []
    for page in client.get_paginator("list_layers").paginate(**kw):
        out += page["Layers"]
    return out


def test_missing_layer_version(lambda_client):
    name = uniq("layer")
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_layer_version(LayerName=name, VersionNumber=1)
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_layer_version_by_arn(Arn=layer_arn(name, 1))


def test_function_with_layers(lambda_client):
    l1 = uniq("layer")
    l2 = uniq("layer")
    r1, c1 = publish(lambda_client, l1)
    r2, c2 = publish(lambda_client, l2)
    name = uniq()
    cfg = create_function(lambda_client, name, Layers=[r1["LayerVersionArn"], r2["LayerVersionArn"]])
    assert [(l["Arn"], l["CodeSize"]) for l in cfg["Layers"]] == [
        (r1["LayerVersionArn"], len(c1)), (r2["LayerVersionArn"], len(c2))]
    wait_active(lambda_client, name)
    got = lambda_client.get_function(FunctionName=name)["Configuration"]
    assert [l["Arn"] for l in got["Layers"]] == [r1["LayerVersionArn"], r2["LayerVersionArn"]]

    # Replace, then remove the layers.
    upd = lambda_client.update_function_configuration(FunctionName=name, Layers=[r2["LayerVersionArn"]])
    assert [l["Arn"] for l in upd["Layers"]] == [r2["LayerVersionArn"]]
    wait_active(lambda_client, name)
    v1 = lambda_client.publish_version(FunctionName=name)
    assert [l["Arn"] for l in v1["Layers"]] == [r2["LayerVersionArn"]]
    upd = lambda_client.update_function_configuration(FunctionName=name, Layers=[])
    assert upd.get("Layers", []) == []
    wait_active(lambda_client, name)
    # The published version keeps its layer.
    got1 = lambda_client.get_function_configuration(FunctionName=name, Qualifier="1")
    assert [l["Arn"] for l in got1["Layers"]] == [r2["LayerVersionArn"]]

    # A function keeps working after its layer version is deleted (AWS keeps a copy).
    lambda_client.delete_layer_version(LayerName=l2, VersionNumber=1)
    assert [l["Arn"] for l in lambda_client.get_function_configuration(
        FunctionName=name, Qualifier="1")["Layers"]] == [r2["LayerVersionArn"]]


def test_five_layers_allowed_six_rejected(lambda_client, server):
    arns = [publish(lambda_client, uniq("layer"))[0]["LayerVersionArn"] for _ in range(6)]
    name = uniq()
    with nothing_left_behind(server, lambda_client, name):
        with expect_error(400, "InvalidParameterValueException", message="Cannot reference more than 5 layers"):
            create_function(lambda_client, name, Layers=arns)
    cfg = create_function(lambda_client, name, Layers=arns[:5])
    assert len(cfg["Layers"]) == 5
    wait_active(lambda_client, name)
    with expect_error(400, "InvalidParameterValueException", message="Cannot reference more than 5 layers"):
        lambda_client.update_function_configuration(FunctionName=name, Layers=arns)
    assert len(lambda_client.get_function_configuration(FunctionName=name)["Layers"]) == 5


def test_nonexistent_layer_version_rejected(lambda_client, server):
    real, _ = publish(lambda_client, uniq("layer"))
    missing = real["LayerArn"] + ":99"
    name = uniq()
    with nothing_left_behind(server, lambda_client, name):
        with expect_error(400, "InvalidParameterValueException", message="does not exist"):
            create_function(lambda_client, name, Layers=[real["LayerVersionArn"], missing])
    never = layer_arn(uniq("nolayer"), 1)
    with nothing_left_behind(server, lambda_client, name):
        with expect_error(400, "InvalidParameterValueException"):
            create_function(lambda_client, name, Layers=[never])
    create_function(lambda_client, name)
    wait_active(lambda_client, name)
    with expect_error(400, "InvalidParameterValueException"):
        lambda_client.update_function_configuration(FunctionName=name, Layers=[missing])
    assert lambda_client.get_function_configuration(FunctionName=name).get("Layers", []) == []
