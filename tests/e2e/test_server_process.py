"""The server process itself: signals, generated credentials, region/account options."""

from __future__ import annotations

import json
import signal

import boto3
from botocore.config import Config

from helpers import (
    ACCESS_KEY,
    ROLE,
    create_function,
    expect_error,
    free_port,
    http_status,
    make_client,
    make_zip,
    uniq,
)


def test_sigterm_is_graceful(server_factory):
    srv = server_factory()
    c = make_client(srv)
    name = uniq()
    create_function(c, name)
    assert srv.terminate() == 0, srv.stderr_tail()
    srv.port = free_port()
    srv.start()
    assert make_client(srv).get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_sigint_is_graceful(server_factory):
    srv = server_factory()
    srv.proc.send_signal(signal.SIGINT)
    assert srv.proc.wait(15) == 0, srv.stderr_tail()


def test_generated_credentials(server_factory, tmp_path):
    srv = server_factory(env_keys=False)
    cred_file = srv.data_dir / "credentials.json"
    assert cred_file.is_file(), f"no {cred_file}"
    creds = json.loads(cred_file.read_text())
    akid, secret = creds["access_key_id"], creds["secret_access_key"]
    assert akid and secret and akid != ACCESS_KEY
    out = srv.stdout_text()
    assert akid in out and secret in out, f"key not printed on first start; stdout:\n{out}"
    assert "aws configure" in out, out

    srv.access_key, srv.secret_key = akid, secret
    c = make_client(srv)
    name = uniq()
    create_function(c, name)
    # The built-in test key is not known to this server.
    with expect_error(403, "UnrecognizedClientException"):
        make_client(srv, access_key=ACCESS_KEY, secret_key="whatever").list_functions()

    # A restart keeps the same key (and does not print the secret again).
    assert srv.terminate() == 0
    srv.port = free_port()
    srv.start()
    assert json.loads(cred_file.read_text()) == creds
    assert secret not in srv.stdout_text()
    assert make_client(srv).get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_region_and_account_from_env(server_factory):
    srv = server_factory(extra_env={"STRATUS_REGION": "eu-west-1", "STRATUS_ACCOUNT_ID": "210987654321"})
    c = boto3.session.Session().client(
        "lambda", endpoint_url=srv.endpoint, region_name="eu-west-1",
        aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
        config=Config(retries={"max_attempts": 1}))
    name = uniq()
    cfg = c.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": make_zip()})
    assert cfg["FunctionArn"] == f"arn:aws:lambda:eu-west-1:210987654321:function:{name}"
    # A request signed for another region is refused.
    with expect_error(403):
        make_client(srv).list_functions()


def test_healthz_on_private_server(server_factory):
    srv = server_factory()
    assert http_status(f"{srv.endpoint}/healthz") == 200
