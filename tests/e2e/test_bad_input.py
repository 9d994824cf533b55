"""Bad input: every rejection has Lambda's status and error code, and leaves nothing behind
(no function, no new file in DATA_DIR/blobs)."""

from __future__ import annotations

import base64
import functools
import io
import json
import os
import stat
import struct
import zipfile

import pytest

from helpers import (
    ROLE,
    create_function,
    expect_error,
    function_names,
    make_zip,
    nothing_left_behind,
    sha256_b64,
    signed_request,
    uniq,
    wait_active,
    zip_of_zeros,
)

MB = 1024 * 1024
ZIPPED_LIMIT = 52_428_800
UNZIPPED_LIMIT = 262_144_000
REQUEST_LIMIT = 70_167_211


def create_body(name: str, zip_bytes: bytes, **extra) -> bytes:
    doc = {
        "FunctionName": name,
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": base64.b64encode(zip_bytes).decode()},
    }
    doc.update(extra)
    return json.dumps(doc).encode()


# --------------------------------------------------------------------------- zips


def _entry(name: str, data: bytes, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    zi.create_system = 3
    zi.external_attr = mode << 16
    zi.compress_type = zipfile.ZIP_DEFLATED
    return zi


def zip_with(entries: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for zi, data in entries:
            zf.writestr(zi, data)
    return buf.getvalue()


APP = b"def handler(e, c):\n    return 1\n"


def absolute_path_zip() -> bytes:
    z = zip_with([(_entry("app.py", APP), APP), (_entry("/tmp/evil.py", b"x"), b"x")])
    assert b"/tmp/evil.py" in z
    return z


def dotdot_path_zip() -> bytes:
    return zip_with([(_entry("app.py", APP), APP), (_entry("../../evil.py", b"x"), b"x")])


def nested_dotdot_zip() -> bytes:
    return zip_with([(_entry("app.py", APP), APP), (_entry("lib/../../evil.py", b"x"), b"x")])


def symlink_outside_zip() -> bytes:
    target = b"../../../../../../etc/passwd"
    return zip_with([(_entry("app.py", APP), APP),
                     (_entry("passwd", target, stat.S_IFLNK | 0o777), target)])


def symlink_inside_zip() -> bytes:
    target = b"../app.py"
    return zip_with([(_entry("app.py", APP), APP),
                     (_entry("lib/app_link.py", target, stat.S_IFLNK | 0o777), target)])


@functools.lru_cache(maxsize=None)
def honest_bomb() -> bytes:
    """300 MB of zeros, deflated (~300 KB), headers tell the truth."""
    return zip_of_zeros("zeros.bin", 300 * MB, extra={"app.py": APP})


@functools.lru_cache(maxsize=None)
def lying_bomb() -> bytes:
    """The same 300 MB of zeros, but both headers claim the entry is 1000 bytes."""
    z = bytearray(zip_of_zeros("zeros.bin", 300 * MB))
    patched = 0
    # Local file header: signature PK\x03\x04, uncompressed size at +22.
    assert z[:4] == b"PK\x03\x04"
    struct.pack_into("<I", z, 22, 1000)
    patched += 1
    # Central directory header: signature PK\x01\x02, uncompressed size at +24.
    cd = z.rfind(b"PK\x01\x02")
    assert cd > 0
    struct.pack_into("<I", z, cd + 24, 1000)
    patched += 1
    assert patched == 2
    return bytes(z)


@functools.lru_cache(maxsize=None)
def random_stored_zip(total_size: int) -> bytes:
    """A valid zip of about `total_size` bytes that does not compress."""
    data = os.urandom(total_size - 200)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("app.py", APP)
        zf.writestr("blob.bin", data)
    return buf.getvalue()


# --------------------------------------------------------------------------- create-function rejections


def reject_create(client, server, status, codes, message=None, **kw):
    name = kw.pop("FunctionName", None) or uniq("bad")
    with nothing_left_behind(server, client, name):
        with expect_error(status, codes, message):
            create_function(client, name, **kw)


def test_invalid_function_names(loose_client, server):
    for bad in ("bad name!", "x" * 65, "name/with/slash", "émoji"):
        before = function_names(loose_client)
        with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
            create_function(loose_client, bad)
        assert function_names(loose_client) == before


def test_memory_and_timeout_out_of_range(loose_client, server):
    for kw in ({"MemorySize": 127}, {"MemorySize": 10241}, {"MemorySize": 0},
               {"Timeout": 0}, {"Timeout": 901}):
        reject_create(loose_client, server, 400, "ValidationException", **kw)


def test_memory_and_timeout_limits_accepted(lambda_client):
    cfg = create_function(lambda_client, uniq(), MemorySize=10240, Timeout=900)
    assert (cfg["MemorySize"], cfg["Timeout"]) == (10240, 900)
    cfg = create_function(lambda_client, uniq(), MemorySize=128, Timeout=1)
    assert (cfg["MemorySize"], cfg["Timeout"]) == (128, 1)


def test_unknown_runtime(loose_client, server):
    reject_create(loose_client, server, 400, ("InvalidParameterValueException", "ValidationException"),
                  Runtime="cobol1.0")


def test_missing_required_fields(loose_client, server):
    name = uniq("bad")
    with nothing_left_behind(server, loose_client, name):
        with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
            loose_client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler",
                                         Code={"ZipFile": make_zip()})  # no Role
        with expect_error(400, ("ValidationException", "InvalidParameterValueException")):
            loose_client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler",
                                         Role=ROLE, Code={})  # no code


def test_invalid_role(loose_client, server):
    reject_create(loose_client, server, 400, ("ValidationException", "InvalidParameterValueException"),
                  Role="not-a-role")


def test_reserved_environment_key(loose_client, server):
    for key in ("AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "AWS_ACCESS_KEY_ID"):
        reject_create(loose_client, server, 400, "InvalidParameterValueException",
                      Environment={"Variables": {"OK": "1", key: "x"}})


def test_invalid_environment_key(loose_client, server):
    for key in ("1abc", "has-dash", "a b"):
        reject_create(loose_client, server, 400, ("InvalidParameterValueException", "ValidationException"),
                      Environment={"Variables": {key: "x"}})


def test_environment_over_4kb(loose_client, server):
    reject_create(loose_client, server, 400, "InvalidParameterValueException",
                  Environment={"Variables": {"BIG": "x" * 4100}})
    reject_create(loose_client, server, 400, "InvalidParameterValueException",
                  Environment={"Variables": {f"K{i}": "v" * 90 for i in range(50)}})


def test_environment_just_under_4kb_accepted(lambda_client):
    name = uniq()
    cfg = create_function(lambda_client, name, Environment={"Variables": {"BIG": "x" * 3500}})
    assert len(cfg["Environment"]["Variables"]["BIG"]) == 3500


def test_update_configuration_rejections_change_nothing(loose_client):
    name = uniq()
    create_function(loose_client, name, Environment={"Variables": {"A": "1"}})
    before = wait_active(loose_client, name)
    for kw, codes in (
        ({"MemorySize": 99999}, ("ValidationException",)),
        ({"Timeout": 1000}, ("ValidationException",)),
        ({"Environment": {"Variables": {"AWS_REGION": "eu-west-1"}}}, ("InvalidParameterValueException",)),
        ({"Environment": {"Variables": {"X": "y" * 5000}}}, ("InvalidParameterValueException",)),
        ({"Runtime": "cobol1.0"}, ("InvalidParameterValueException", "ValidationException")),
    ):
        with expect_error(400, codes):
            loose_client.update_function_configuration(FunctionName=name, **kw)
    after = loose_client.get_function_configuration(FunctionName=name)
    for k in ("MemorySize", "Timeout", "Environment", "Runtime", "RevisionId", "LastModified"):
        assert after.get(k) == before.get(k), k


def test_duplicate_create_conflict(lambda_client, server):
    name = uniq()
    first = create_function(lambda_client, name)
    with nothing_left_behind(server, lambda_client):
        with expect_error(409, "ResourceConflictException"):
            create_function(lambda_client, name, make_zip())
    assert lambda_client.get_function_configuration(FunctionName=name)["CodeSha256"] == first["CodeSha256"]


def test_not_a_zip(lambda_client, server):
    reject_create(lambda_client, server, 400, "InvalidParameterValueException",
                  message="Could not unzip uploaded file", zip_bytes=b"this is definitely not a zip file" * 10)
    # Truncated zip.
    z = make_zip({"app.py": "x" * 5000})
    reject_create(lambda_client, server, 400, "InvalidParameterValueException", zip_bytes=z[: len(z) // 2])


def test_empty_zip_file_rejected(loose_client, server):
    reject_create(loose_client, server, 400, ("InvalidParameterValueException", "ValidationException"),
                  zip_bytes=b"")


@pytest.mark.parametrize("maker", [absolute_path_zip, dotdot_path_zip, nested_dotdot_zip, symlink_outside_zip],
                         ids=["absolute", "dotdot", "nested-dotdot", "symlink-outside"])
def test_unsafe_zip_paths(lambda_client, server, maker):
    reject_create(lambda_client, server, 400, "InvalidParameterValueException", zip_bytes=maker())


def test_symlink_inside_package_accepted(lambda_client):
    z = symlink_inside_zip()
    cfg = create_function(lambda_client, uniq(), z)
    assert cfg["CodeSha256"] == sha256_b64(z)


def test_unzipped_over_250mb(lambda_client, server):
    reject_create(lambda_client, server, 400, "InvalidParameterValueException",
                  message="Unzipped size must be smaller than 262144000 bytes", zip_bytes=honest_bomb())


def test_decompression_bomb_with_lying_header(lambda_client, server):
    reject_create(lambda_client, server, 400, "InvalidParameterValueException", zip_bytes=lying_bomb())


def test_unzipped_function_plus_layers_over_250mb(lambda_client, server):
    layer = lambda_client.publish_layer_version(
        LayerName=uniq("biglayer"), Content={"ZipFile": zip_of_zeros("python/big.bin", 140 * MB)})
    fn_zip = zip_of_zeros("big.bin", 140 * MB, extra={"app.py": APP})
    reject_create(lambda_client, server, 400, "InvalidParameterValueException",
                  message="Unzipped size must be smaller than 262144000 bytes",
                  zip_bytes=fn_zip, Layers=[layer["LayerVersionArn"]])
    # Alone, each fits; adding the layer later is refused too.
    name = uniq()
    create_function(lambda_client, name, fn_zip)
    wait_active(lambda_client, name)
    with expect_error(400, "InvalidParameterValueException", message="Unzipped size must be smaller than"):
        lambda_client.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]])
    assert lambda_client.get_function_configuration(FunctionName=name).get("Layers", []) == []


def test_layer_rejections_leave_nothing(lambda_client, server):
    for content, msg in ((b"not a zip at all", "Could not unzip"), (honest_bomb(), "Unzipped size"),
                         (lying_bomb(), None), (dotdot_path_zip(), None)):
        layer = uniq("badlayer")
        with nothing_left_behind(server, lambda_client):
            with expect_error(400, "InvalidParameterValueException", msg):
                lambda_client.publish_layer_version(LayerName=layer, Content={"ZipFile": content})
        assert lambda_client.list_layer_versions(LayerName=layer)["LayerVersions"] == []


def test_update_code_rejections_keep_old_code(lambda_client, server):
    name = uniq()
    code = make_zip()
    create_function(lambda_client, name, code)
    wait_active(lambda_client, name)
    for bad in (b"garbage", dotdot_path_zip(), honest_bomb(), lying_bomb()):
        with nothing_left_behind(server, lambda_client):
            with expect_error(400, "InvalidParameterValueException"):
                lambda_client.update_function_code(FunctionName=name, ZipFile=bad)
        assert lambda_client.get_function_configuration(FunctionName=name)["CodeSha256"] == sha256_b64(code)


def test_zipped_over_50mb(lambda_client, server):
    # Zip just over 50 MB, but the whole request stays under the 70,167,211-byte request cap.
    z = random_stored_zip(ZIPPED_LIMIT + 60_000)
    assert ZIPPED_LIMIT < len(z)
    name = uniq("big")
    assert len(create_body(name, z)) < REQUEST_LIMIT
    with nothing_left_behind(server, lambda_client, name):
        with pytest.raises(Exception) as ei:
            create_function(lambda_client, name, z)
    from botocore.exceptions import ClientError

    assert isinstance(ei.value, ClientError), repr(ei.value)
    status = ei.value.response["ResponseMetadata"]["HTTPStatusCode"]
    code = ei.value.response["Error"]["Code"]
    assert (status, code) in ((413, "RequestEntityTooLargeException"), (400, "InvalidParameterValueException")), \
        ei.value.response


def test_request_body_over_limit(server, lambda_client):
    z = random_stored_zip(REQUEST_LIMIT * 3 // 4 + 200_000)
    name = uniq("huge")
    body = create_body(name, z)
    assert len(body) > REQUEST_LIMIT
    with nothing_left_behind(server, lambda_client, name):
        r = signed_request(server, "POST", "/2015-03-31/functions", body)
    assert r.status == 413, r
    assert r.error_type in ("RequestEntityTooLargeException", "RequestTooLargeException"), r


# --------------------------------------------------------------------------- malformed requests


def test_malformed_json_body(server, lambda_client):
    name = uniq("bad")
    with nothing_left_behind(server, lambda_client, name):
        r = signed_request(server, "POST", "/2015-03-31/functions",
                           b'{"FunctionName": "' + name.encode() + b'", "Runtime": ')
    assert r.status == 400, r
    assert r.error_type, r


def test_json_of_wrong_shape(server, lambda_client):
    name = uniq("bad")
    with nothing_left_behind(server, lambda_client, name):
        r = signed_request(server, "POST", "/2015-03-31/functions",
                           json.dumps({"FunctionName": name, "Role": ROLE, "Runtime": "python3.11",
                                       "Handler": "app.handler", "MemorySize": "lots",
                                       "Code": {"ZipFile": base64.b64encode(make_zip()).decode()}}).encode())
    assert r.status == 400, r
    assert r.error_type, r
    with nothing_left_behind(server, lambda_client, name):
        r = signed_request(server, "POST", "/2015-03-31/functions", b"[1, 2, 3]")
    assert r.status == 400, r


def test_zipfile_not_base64(server, lambda_client):
    name = uniq("bad")
    body = json.dumps({"FunctionName": name, "Role": ROLE, "Runtime": "python3.11", "Handler": "app.handler",
                       "Code": {"ZipFile": "!!!not base64!!!"}}).encode()
    with nothing_left_behind(server, lambda_client, name):
        r = signed_request(server, "POST", "/2015-03-31/functions", body)
    assert r.status == 400, r
    assert r.error_type, r


def test_wrong_content_type(server, lambda_client):
    name = uniq("bad")
    body = create_body(name, make_zip())
    with nothing_left_behind(server, lambda_client, name):
        r = signed_request(server, "POST", "/2015-03-31/functions", body, headers={"Content-Type": "text/plain"})
    assert r.status in (400, 415), r
    assert r.error_type in ("UnsupportedMediaTypeException", "InvalidRequestContentException",
                            "SerializationException", "ValidationException",
                            "InvalidParameterValueException"), r


def test_unknown_route(server):
    r = signed_request(server, "GET", "/2015-03-31/nothing-here")
    assert 400 <= r.status < 500, r
    r = signed_request(server, "PATCH", "/2015-03-31/functions")
    assert 400 <= r.status < 500, r


def test_error_wire_format(server):
    """Errors carry x-amzn-ErrorType, x-amzn-RequestId and a JSON body with the message."""
    r = signed_request(server, "GET", f"/2015-03-31/functions/{uniq('missing')}")
    assert r.status == 404
    assert r.error_type == "ResourceNotFoundException"
    assert r.header("x-amzn-RequestId")
    assert (r.header("Content-Type") or "").startswith("application/json")
    doc = r.json()
    assert doc.get("Message") or doc.get("message"), doc
    ok = signed_request(server, "GET", "/2015-03-31/functions")
    assert ok.status == 200
    assert ok.header("x-amzn-RequestId")
