"""The real aws CLI (v1 from PyPI and v2 from Debian, both unmodified) against the server."""

from __future__ import annotations

import base64
import json
import zipfile

from helpers import (
    ACCOUNT,
    REGION,
    ROLE,
    AwsCliError,
    download,
    make_client,
    make_zip,
    sha256_b64,
    uniq,
    wait_active,
)


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def test_cli_full_workflow(aws, server, tmp_path):
    c = make_client(server)
    name = uniq("cli")
    code1 = make_zip()
    z1 = tmp_path / "code1.zip"
    z1.write_bytes(code1)

    cfg = aws("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
              "--role", ROLE, "--handler", "app.handler", "--zip-file", f"fileb://{z1}",
              "--environment", "Variables={A=1,B=two}", "--tags", "team=cli", "--memory-size", "256",
              "--description", "made by the cli")
    assert cfg["FunctionName"] == name
    assert cfg["FunctionArn"] == fn_arn(name)
    assert cfg["CodeSha256"] == sha256_b64(code1)
    assert cfg["CodeSize"] == len(code1)
    assert cfg["Environment"]["Variables"] == {"A": "1", "B": "two"}
    assert cfg["MemorySize"] == 256
    wait_active(c, name)

    got = aws("lambda", "get-function", "--function-name", name)
    assert got["Configuration"]["Description"] == "made by the cli"
    assert got["Tags"] == {"team": "cli"}
    assert download(got["Code"]["Location"]) == code1
    assert aws("lambda", "get-function-configuration", "--function-name", fn_arn(name))["FunctionName"] == name

    # list-functions paginates automatically in the CLI; use a tiny page size to exercise markers.
    listed = aws("lambda", "list-functions", "--page-size", "2")
    assert name in {f["FunctionName"] for f in listed["Functions"]}
    capped = aws("lambda", "list-functions", "--max-items", "1")
    assert len(capped["Functions"]) == 1

    code2 = make_zip({"app.py": "def handler(e, c):\n    return 2\n"})
    z2 = tmp_path / "code2.zip"
    z2.write_bytes(code2)
    upd = aws("lambda", "update-function-code", "--function-name", name, "--zip-file", f"fileb://{z2}")
    assert upd["CodeSha256"] == sha256_b64(code2)
    wait_active(c, name)
    upd = aws("lambda", "update-function-configuration", "--function-name", name, "--timeout", "30",
              "--environment", "Variables={C=3}")
    assert upd["Timeout"] == 30
    assert upd["Environment"]["Variables"] == {"C": "3"}
    wait_active(c, name)

    v = aws("lambda", "publish-version", "--function-name", name, "--description", "v1")
    assert v["Version"] == "1"
    versions = aws("lambda", "list-versions-by-function", "--function-name", name)
    assert [x["Version"] for x in versions["Versions"]] == ["$LATEST", "1"]

    alias = aws("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1")
    assert alias["AliasArn"] == fn_arn(name, "live")
    assert aws("lambda", "get-alias", "--function-name", name, "--name", "live")["FunctionVersion"] == "1"
    aliases = aws("lambda", "list-aliases", "--function-name", name)
    assert [a["Name"] for a in aliases["Aliases"]] == ["live"]
    upd_alias = aws("lambda", "update-alias", "--function-name", name, "--name", "live",
                    "--description", "still v1")
    assert upd_alias["Description"] == "still v1"

    layer_zip = make_zip({"python/mod.py": "X = 1\n"})
    lz = tmp_path / "layer.zip"
    lz.write_bytes(layer_zip)
    layer_name = uniq("clilayer")
    layer = aws("lambda", "publish-layer-version", "--layer-name", layer_name, "--zip-file", f"fileb://{lz}",
                "--compatible-runtimes", "python3.11")
    assert layer["Version"] == 1
    assert layer["Content"]["CodeSha256"] == sha256_b64(layer_zip)
    lv = aws("lambda", "list-layer-versions", "--layer-name", layer_name)
    assert [x["Version"] for x in lv["LayerVersions"]] == [1]
    assert layer_name in {l["LayerName"] for l in aws("lambda", "list-layers")["Layers"]}
    assert aws("lambda", "get-layer-version-by-arn", "--arn", layer["LayerVersionArn"])["Version"] == 1
    with_layer = aws("lambda", "update-function-configuration", "--function-name", name,
                     "--layers", layer["LayerVersionArn"])
    assert [l["Arn"] for l in with_layer["Layers"]] == [layer["LayerVersionArn"]]
    wait_active(c, name)

    assert aws("lambda", "tag-resource", "--resource", fn_arn(name), "--tags", "env=dev,tier=1") is None
    assert aws("lambda", "list-tags", "--resource", fn_arn(name))["Tags"] == {"team": "cli", "env": "dev", "tier": "1"}
    aws("lambda", "untag-resource", "--resource", fn_arn(name), "--tag-keys", "team", "tier")
    assert aws("lambda", "list-tags", "--resource", fn_arn(name))["Tags"] == {"env": "dev"}

    conc = aws("lambda", "put-function-concurrency", "--function-name", name,
               "--reserved-concurrent-executions", "5")
    assert conc["ReservedConcurrentExecutions"] == 5
    assert aws("lambda", "get-function-concurrency", "--function-name", name)["ReservedConcurrentExecutions"] == 5
    aws("lambda", "delete-function-concurrency", "--function-name", name)
    settings = aws("lambda", "get-account-settings")
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] >= 1

    eic = aws("lambda", "put-function-event-invoke-config", "--function-name", name,
              "--maximum-retry-attempts", "0")
    assert eic["MaximumRetryAttempts"] == 0
    aws("lambda", "delete-function-event-invoke-config", "--function-name", name)

    aws("lambda", "delete-alias", "--function-name", name, "--name", "live")
    assert aws("lambda", "list-aliases", "--function-name", name)["Aliases"] == []
    aws("lambda", "delete-layer-version", "--layer-name", layer_name, "--version-number", "1")
    assert aws("lambda", "list-layer-versions", "--layer-name", layer_name)["LayerVersions"] == []
    aws("lambda", "delete-function", "--function-name", name, "--qualifier", "1")
    aws("lambda", "delete-function", "--function-name", name)

    p = aws.fail("lambda", "get-function", "--function-name", name)
    assert "ResourceNotFoundException" in p.stderr, p.stderr


def test_cli_errors(aws, server, tmp_path):
    bad = tmp_path / "bad.zip"
    # The CLI itself refuses files Python's zipfile cannot list; this one it can, but an entry
    # escapes the package (zip-slip), which only the server checks.
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return e\n")
        zf.writestr("../escape.py", "x = 1\n")
    name = uniq("clibad")
    p = aws.fail("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
                 "--role", ROLE, "--handler", "app.handler", "--zip-file", f"fileb://{bad}")
    assert "InvalidParameterValueException" in p.stderr, p.stderr
    p = aws.fail("lambda", "get-function", "--function-name", name)
    assert "ResourceNotFoundException" in p.stderr, p.stderr

    good = tmp_path / "good.zip"
    good.write_bytes(make_zip())
    aws("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
        "--role", ROLE, "--handler", "app.handler", "--zip-file", f"fileb://{good}")
    p = aws.fail("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
                 "--role", ROLE, "--handler", "app.handler", "--zip-file", f"fileb://{good}")
    assert "ResourceConflictException" in p.stderr, p.stderr

    p = aws.fail("lambda", "list-functions", secret_key=server.secret_key + "nope")
    assert "InvalidSignatureException" in p.stderr, p.stderr
    p = aws.fail("lambda", "list-functions", access_key="AKIANOTAREALKEY00000")
    assert "UnrecognizedClientException" in p.stderr, p.stderr

    p = aws.fail("lambda", "update-function-configuration", "--function-name", name,
                 "--environment", "Variables={AWS_REGION=x}")
    assert "InvalidParameterValueException" in p.stderr, p.stderr


def test_cli_error_exit_code(aws):
    try:
        aws("lambda", "get-function", "--function-name", uniq("nope"))
    except AwsCliError as e:
        assert e.returncode != 0
        assert "ResourceNotFoundException" in e.stderr
    else:
        raise AssertionError("get-function of a missing function succeeded")


INVOKE_APP = '''
import json, os
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    print("cli-log-line", event.get("n"))
    cc = context.client_context
    return {"n": event.get("n"), "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "custom": cc.custom if cc else None}
'''


def _cli_invoke(cli, tmp_path, *args, payload=None, v2=False):
    out = tmp_path / f"out-{uniq('o')}.json"
    extra = []
    if payload is not None:
        extra = ["--payload", payload]
        if v2:  # v2 reads --payload as base64 unless told otherwise
            extra += ["--cli-binary-format", "raw-in-base64-out"]
    meta = cli("lambda", "invoke", *args, *extra, str(out))
    return meta, out.read_bytes()


def test_cli_invoke_v1_and_v2(aws, aws2, server, tmp_path):
    """`aws lambda invoke` from both CLI generations: payload, qualifier, log tail,
    client context, function errors and dry runs."""
    c = make_client(server)
    name = uniq("cliinv")
    z = tmp_path / "inv.zip"
    z.write_bytes(make_zip({"app.py": INVOKE_APP}))
    aws("lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--role", ROLE,
        "--handler", "app.handler", "--zip-file", f"fileb://{z}")
    wait_active(c, name)
    v1 = aws("lambda", "publish-version", "--function-name", name)["Version"]
    aws("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", v1)
    cc = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()

    for cli, is_v2 in ((aws, False), (aws2, True)):
        meta, body = _cli_invoke(cli, tmp_path, "--function-name", name, payload='{"n": 7}', v2=is_v2)
        assert meta["StatusCode"] == 200 and meta["ExecutedVersion"] == "$LATEST", meta
        assert "FunctionError" not in meta
        assert json.loads(body) == {"n": 7, "version": "$LATEST", "custom": None}

        meta, body = _cli_invoke(cli, tmp_path, "--function-name", name, "--qualifier", "live",
                                 "--log-type", "Tail", "--client-context", cc, payload='{"n": 8}', v2=is_v2)
        assert meta["ExecutedVersion"] == v1, meta
        assert json.loads(body) == {"n": 8, "version": v1, "custom": {"k": "v"}}
        tail = base64.b64decode(meta["LogResult"]).decode()
        assert "cli-log-line 8" in tail and "REPORT RequestId: " in tail, tail

        meta, body = _cli_invoke(cli, tmp_path, "--function-name", name, payload='{"fail": true}', v2=is_v2)
        assert meta["StatusCode"] == 200 and meta["FunctionError"] == "Unhandled", meta
        err = json.loads(body)
        assert err["errorType"] == "ValueError" and err["errorMessage"] == "asked to fail", err

        meta, body = _cli_invoke(cli, tmp_path, "--function-name", name, "--invocation-type", "DryRun",
                                 v2=is_v2)
        assert meta["StatusCode"] == 204 and body == b"", (meta, body)

        p = cli.fail("lambda", "invoke", "--function-name", uniq("nofn"), str(tmp_path / "x.json"))
        assert "ResourceNotFoundException" in p.stderr, p.stderr
    aws("lambda", "delete-function", "--function-name", name)
