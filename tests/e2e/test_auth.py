"""SigV4: the server accepts what real clients sign and rejects everything else."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

from botocore import UNSIGNED

from helpers import (
    ACCOUNT,
    REGION,
    create_function,
    expect_error,
    make_client,
    make_zip,
    send_raw,
    signed_request,
    uniq,
)

LIST = "/2015-03-31/functions"


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def test_no_authorization_header(server):
    r = send_raw(server, "GET", LIST, {}, b"")
    assert r.status == 403, r
    assert r.error_type, r
    r = signed_request(server, "GET", LIST, sign=False)
    assert r.status == 403, r


def test_unsigned_boto3_client(server):
    c = make_client(server, signature_version=UNSIGNED)
    with expect_error(403):
        c.list_functions()


def test_unknown_access_key(server):
    c = make_client(server, access_key="AKIAUNKNOWNKEY000000")
    with expect_error(403, "UnrecognizedClientException"):
        c.list_functions()


def test_wrong_secret(server):
    c = make_client(server, secret_key=server.secret_key + "x")
    with expect_error(403, "InvalidSignatureException"):
        c.list_functions()
    name = uniq()
    with expect_error(403, "InvalidSignatureException"):
        create_function(c, name)
    with expect_error(404, "ResourceNotFoundException"):
        make_client(server).get_function(FunctionName=name)


def test_valid_signature_accepted_raw(server):
    r = signed_request(server, "GET", LIST + "?MaxItems=1")
    assert r.status == 200, r
    assert "Functions" in r.json()


def test_stale_and_future_dates(server):
    now = dt.datetime.now(dt.timezone.utc)
    for delta in (dt.timedelta(minutes=-20), dt.timedelta(minutes=20), dt.timedelta(days=-2)):
        r = signed_request(server, "GET", LIST, when=now + delta)
        assert r.status == 403, (delta, r)
        assert r.error_type == "InvalidSignatureException", (delta, r)
    # Within the 15-minute window it is fine.
    r = signed_request(server, "GET", LIST, when=now - dt.timedelta(minutes=4))
    assert r.status == 200, r


def test_session_token_accepted(server):
    c = make_client(server, session_token="FQoGZXIvYXdzEJr//////////wEaDOTHERSTUFF1234567890abcdef==")
    assert "Functions" in c.list_functions(MaxItems=1)
    name = uniq()
    create_function(c, name)
    assert c.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_full_arn_in_path_double_encoding(lambda_client):
    """botocore sends arn%3Aaws%3A...; the canonical URI encodes it again (arn%253A...)."""
    name = uniq()
    create_function(lambda_client, name, Publish=True)
    arn = fn_arn(name)
    assert lambda_client.get_function(FunctionName=arn)["Configuration"]["FunctionName"] == name
    assert lambda_client.get_function_configuration(FunctionName=fn_arn(name, "1"))["Version"] == "1"
    assert lambda_client.get_function_configuration(FunctionName=fn_arn(name, "$LATEST"))["Version"] == "$LATEST"
    assert lambda_client.list_versions_by_function(FunctionName=arn)["Versions"]
    lambda_client.tag_resource(Resource=arn, Tags={"t": "1"})
    assert lambda_client.list_tags(Resource=arn)["Tags"] == {"t": "1"}
    lambda_client.update_function_configuration(FunctionName=arn, Description="via arn")
    lambda_client.delete_function(FunctionName=arn)


def test_raw_percent_encoded_path(server, lambda_client):
    name = uniq()
    create_function(lambda_client, name)
    quoted = urllib.parse.quote(fn_arn(name), safe="")
    assert "%3A" in quoted
    r = signed_request(server, "GET", f"/2015-03-31/functions/{quoted}/configuration")
    assert r.status == 200, r
    assert r.json()["FunctionName"] == name


def test_tampered_body_rejected(server, lambda_client):
    name = uniq()
    body = json.dumps({"FunctionName": name, "Role": f"arn:aws:iam::{ACCOUNT}:role/r", "Runtime": "python3.11",
                       "Handler": "app.handler", "Code": {"ZipFile": ""}}).encode()
    import base64

    body = body.replace(b'"ZipFile": ""', b'"ZipFile": "' + base64.b64encode(make_zip()) + b'"')
    signed = {}

    def keep(h):
        signed.update(h)

    # Sign one body, send another of the same length.
    r = signed_request(server, "POST", LIST, body, mutate=keep)
    assert r.status == 201, r
    lambda_client.delete_function(FunctionName=name)
    other = body.replace(name.encode(), name[:-1].encode() + b"z")
    assert len(other) == len(body)
    r = send_raw(server, "POST", LIST, signed, other)
    assert r.status == 403, r
    assert r.error_type == "InvalidSignatureException", r
    with expect_error(404, "ResourceNotFoundException"):
        lambda_client.get_function(FunctionName=name[:-1] + "z")


def test_tampered_query_and_path_rejected(server):
    good = signed_request(server, "GET", LIST + "?MaxItems=2")
    assert good.status == 200

    captured = {}
    signed_request(server, "GET", LIST + "?MaxItems=2", mutate=captured.update)
    r = send_raw(server, "GET", LIST + "?MaxItems=3", captured, b"")
    assert r.status == 403 and r.error_type == "InvalidSignatureException", r
    r = send_raw(server, "GET", "/2016-08-19/account-settings", captured, b"")
    assert r.status == 403 and r.error_type == "InvalidSignatureException", r


def test_wrong_scope(server):
    for kw in ({"service": "s3"}, {"region": "eu-west-1"}):
        r = signed_request(server, "GET", LIST, **kw)
        assert r.status == 403, (kw, r)
        assert r.error_type in ("InvalidSignatureException", "UnrecognizedClientException",
                                "IncompleteSignatureException"), (kw, r)


def test_garbage_authorization_header(server):
    for value in ("AWS4-HMAC-SHA256", "Bearer abc", "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature="):
        r = send_raw(server, "GET", LIST, {"Authorization": value, "X-Amz-Date": "20240101T000000Z"}, b"")
        assert r.status in (400, 403), (value, r)
        assert r.error_type, (value, r)


def test_unsigned_header_can_change(server):
    """Headers that are not in SignedHeaders may be added without breaking the signature."""
    captured = {}
    signed_request(server, "GET", LIST, mutate=captured.update)
    captured["X-Extra-Unsigned"] = "whatever"
    r = send_raw(server, "GET", LIST, captured, b"")
    assert r.status == 200, r
