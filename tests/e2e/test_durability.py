"""kill -9 and restart: every acknowledged write survives, nothing half-created appears.

Each test runs its own server process on its own data directory."""

from __future__ import annotations

import hashlib
import os
import threading
import time

from helpers import (
    ACCOUNT,
    REGION,
    create_function,
    download,
    expect_error,
    free_port,
    make_client,
    make_zip,
    sha256_b64,
    uniq,
    wait_active,
)


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def restart_after_kill9(srv):
    srv.kill9()
    assert srv.proc.returncode == -9
    srv.port = free_port()
    srv.start()
    return make_client(srv)


def test_acknowledged_writes_survive_kill9(server_factory):
    srv = server_factory()
    c = make_client(srv)

    layer_zip = make_zip({"python/shared.py": "VALUE = 1\n"})
    layer = c.publish_layer_version(LayerName="durable-layer", Content={"ZipFile": layer_zip},
                                    CompatibleRuntimes=["python3.11"])
    code1 = make_zip()
    name = "durable-fn"
    create_function(c, name, code1, Publish=True, Layers=[layer["LayerVersionArn"]],
                    Environment={"Variables": {"STAGE": "one"}}, Tags={"team": "a"})
    wait_active(c, name)
    c.update_function_configuration(FunctionName=name, MemorySize=256, Timeout=42,
                                    Environment={"Variables": {"STAGE": "two", "EXTRA": "x"}})
    wait_active(c, name)
    v2 = c.publish_version(FunctionName=name, Description="second")
    assert v2["Version"] == "2"
    c.create_alias(FunctionName=name, Name="live", FunctionVersion="2",
                   RoutingConfig={"AdditionalVersionWeights": {"1": 0.2}})
    c.tag_resource(Resource=fn_arn(name), Tags={"env": "prod"})
    c.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=7)
    c.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    code2 = make_zip({"app.py": "def handler(e, c):\n    return 'latest'\n"})
    c.update_function_code(FunctionName=name, ZipFile=code2)
    gone = "durable-gone"
    create_function(c, gone)
    c.delete_function(FunctionName=gone)
    c.delete_layer_version(LayerName="durable-layer-2", VersionNumber=1)  # no-op, must not break anything
    c.update_function_configuration(FunctionName=name, Description="final")
    last = wait_active(c, name)

    c = restart_after_kill9(srv)

    cfg = c.get_function_configuration(FunctionName=name)
    assert cfg["Description"] == "final"
    assert cfg["RevisionId"] == last["RevisionId"]
    assert cfg["LastModified"] == last["LastModified"]
    assert cfg["MemorySize"] == 256
    assert cfg["Timeout"] == 42
    assert cfg["Environment"]["Variables"] == {"STAGE": "two", "EXTRA": "x"}
    assert cfg["CodeSha256"] == sha256_b64(code2)
    assert cfg["CodeSize"] == len(code2)
    assert [l["Arn"] for l in cfg["Layers"]] == [layer["LayerVersionArn"]]
    assert cfg["State"] == "Active"
    assert cfg["LastUpdateStatus"] == "Successful"

    full = c.get_function(FunctionName=name)
    assert download(full["Code"]["Location"]) == code2
    assert full["Tags"] == {"team": "a", "env": "prod"}
    assert full["Concurrency"]["ReservedConcurrentExecutions"] == 7

    assert [v["Version"] for v in c.list_versions_by_function(FunctionName=name)["Versions"]] == ["$LATEST", "1", "2"]
    v1 = c.get_function(FunctionName=name, Qualifier="1")
    assert v1["Configuration"]["CodeSha256"] == sha256_b64(code1)
    assert v1["Configuration"]["Environment"]["Variables"] == {"STAGE": "one"}
    assert download(v1["Code"]["Location"]) == code1
    v2r = c.get_function_configuration(FunctionName=name, Qualifier="2")
    assert v2r["MemorySize"] == 256 and v2r["Description"] == "second"

    alias = c.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == "2"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"1": 0.2}

    assert c.get_function_event_invoke_config(FunctionName=name)["MaximumRetryAttempts"] == 1
    assert c.list_tags(Resource=fn_arn(name))["Tags"] == {"team": "a", "env": "prod"}

    lv = c.get_layer_version(LayerName="durable-layer", VersionNumber=1)
    assert lv["Content"]["CodeSha256"] == sha256_b64(layer_zip)
    assert download(lv["Content"]["Location"]) == layer_zip

    with expect_error(404, "ResourceNotFoundException"):
        c.get_function(FunctionName=gone)
    assert {f["FunctionName"] for f in c.list_functions()["Functions"]} == {name}

    # The server still takes writes after the restart, and numbering continues.
    c.update_function_configuration(FunctionName=name, Timeout=43)
    wait_active(c, name)
    assert c.publish_version(FunctionName=name)["Version"] == "3"
    assert c.publish_layer_version(LayerName="durable-layer", Content={"ZipFile": make_zip()})["Version"] == 2


def test_kill9_during_concurrent_creates(server_factory):
    srv = server_factory()
    c = make_client(srv)
    names = [f"burst-{i:03d}" for i in range(80)]
    zips = {n: make_zip({"app.py": f"# {n}\n", "pad.bin": os.urandom(300_000)}) for n in names}
    acked: set[str] = set()
    attempted: set[str] = set()
    lock = threading.Lock()
    queue = list(names)
    stop = threading.Event()
    errors: list[BaseException] = []

    def worker():
        wc = make_client(srv)
        while not stop.is_set():
            with lock:
                if not queue:
                    return
                n = queue.pop(0)
                attempted.add(n)
            try:
                create_function(wc, n, zips[n], Publish=True)
            except Exception as e:  # the server is being killed under us
                if not stop.is_set():
                    errors.append(e)
                return
            with lock:
                acked.add(n)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= 15 or not queue:
                break
        time.sleep(0.005)
    stop.set()
    srv.kill9()
    for t in threads:
        t.join(30)
    assert not errors, f"creates failed before the kill: {errors[:3]}"
    with lock:
        acked_now, attempted_now = set(acked), set(attempted)
    assert len(acked_now) >= 15, "the burst did not get going"

    c = restart_after_kill9(srv)
    listed = {f["FunctionName"]: f for page in c.get_paginator("list_functions").paginate()
              for f in page["Functions"]}
    missing = acked_now - set(listed)
    assert not missing, f"acknowledged creates lost by kill -9: {sorted(missing)}"
    assert set(listed) <= attempted_now, f"unexpected functions: {set(listed) - attempted_now}"

    for n in listed:
        full = c.get_function(FunctionName=n)
        cfg = full["Configuration"]
        assert cfg["State"] == "Active", cfg
        assert cfg["CodeSha256"] == sha256_b64(zips[n]), n
        assert cfg["CodeSize"] == len(zips[n]), n
        data = download(full["Code"]["Location"])
        assert hashlib.sha256(data).digest() == hashlib.sha256(zips[n]).digest(), n
        vs = [v["Version"] for v in c.list_versions_by_function(FunctionName=n)["Versions"]]
        assert vs == ["$LATEST", "1"], (n, vs)
        v1 = c.get_function(FunctionName=n, Qualifier="1")
        assert download(v1["Code"]["Location"]) == zips[n]

    # Names whose create was cut off are free: no half-created leftovers block them.
    for n in sorted(attempted_now - set(listed))[:5]:
        cfg = create_function(c, n, zips[n])
        assert cfg["CodeSha256"] == sha256_b64(zips[n])
    # Names never attempted can be created too.
    fresh = uniq()
    create_function(c, fresh)
    assert c.get_function(FunctionName=fresh)["Configuration"]["FunctionName"] == fresh


def test_kill9_with_reads_in_flight_and_restart_twice(server_factory):
    """Two crash/restart cycles in a row keep the data intact."""
    srv = server_factory()
    c = make_client(srv)
    code = make_zip()
    create_function(c, "twice", code, Publish=True)
    c = restart_after_kill9(srv)
    c.update_function_configuration(FunctionName="twice", MemorySize=1024)
    c = restart_after_kill9(srv)
    cfg = c.get_function_configuration(FunctionName="twice")
    assert cfg["MemorySize"] == 1024
    assert cfg["CodeSha256"] == sha256_b64(code)
    assert c.get_function_configuration(FunctionName="twice", Qualifier="1")["MemorySize"] == 128
