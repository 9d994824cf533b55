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


def _children_running_init(pid: int) -> list[int]:
    """Direct children of the server that are sandbox inits (the server binary re-executed
    with the hidden init argument)."""
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and len(cmdline) > 1 and cmdline[1] == b"__stratus-sandbox-init":
            found.append(int(proc.name))
    return found


def _wait_for_inits(srv, count: int, timeout: float = 10.0) -> list[int]:
    """The server's sandbox inits, once there are at least `count` (or the timeout)."""
    import time

    deadline = time.monotonic() + timeout
    while len(found := _children_running_init(srv.proc.pid)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_start_logs_cgroup_version_and_keeps_spare_sandboxes(server_factory):
    """The server says which cgroup flavour it found, keeps `--spare-sandboxes` sandboxes
    spawned ahead (their pid 1 is the server binary as init), and they go with it."""
    from pathlib import Path

    controllers = Path("/sys/fs/cgroup/cgroup.controllers")
    want = "V2" if controllers.is_file() and controllers.read_text().strip() else "V1"
    srv = server_factory()
    logs = srv.stdout_text() + srv.stderr_tail()
    assert f"cgroups={want}" in logs, logs[-3000:]
    spares = _wait_for_inits(srv, 2)
    assert len(spares) == 2, spares
    parents = _cgroup_parents_of(spares[0])
    assert parents and all(p.is_dir() for p in parents), parents
    assert srv.terminate() == 0, srv.stderr_tail()
    assert not [p for p in spares if Path(f"/proc/{p}").exists()], "spare sandboxes outlived the server"
    # The server's own cgroup parent goes with it.
    assert not [p for p in parents if p.exists()], parents


def _cgroup_parents_of(pid: int):
    """The per-server parent cgroup dirs (`…/stratus/<instance>`) of a sandbox process."""
    from pathlib import Path

    parents = []
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "stratus":
            continue
        if controllers == "":
            base = Path("/sys/fs/cgroup")
        elif controllers in ("memory", "pids", "freezer") or "cpu" in controllers.split(","):
            base = Path("/sys/fs/cgroup") / (controllers if controllers != "cpu,cpuacct" else "cpu")
        else:
            continue
        parents.append(base / parts[0] / parts[1])
    return parents


def test_spare_sandboxes_end_when_the_server_is_killed(server_factory):
    """A SIGKILLed server cannot clean up: its spare sandboxes notice their control pipe
    closing and exit on their own."""
    import time
    from pathlib import Path

    srv = server_factory()
    spares = _wait_for_inits(srv, 2)
    assert len(spares) == 2, spares
    srv.kill9()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{p}").exists() for p in spares) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in spares if Path(f"/proc/{p}").exists()], "spares outlived a killed server"


def test_a_killed_spare_sandbox_is_replaced(server_factory):
    """Spares killed from outside are discarded: the next cold start still works, and the
    spares are made again."""
    import os

    from helpers import invoke_json, wait_active

    srv = server_factory()
    spares = _wait_for_inits(srv, 2)
    assert len(spares) == 2, spares
    for pid in spares:
        os.kill(pid, signal.SIGKILL)
    c = make_client(srv)
    name = uniq("afterkill")
    create_function(c, name, make_zip({"app.py": "def handler(e, c):\n    return {'ok': 1}\n"}),
                    Runtime="python3.11", Handler="app.handler")
    wait_active(c, name)
    resp, out = invoke_json(c, name, {})
    assert "FunctionError" not in resp and out == {"ok": 1}, out
    # The environment's own pid 1 plus two fresh spares, none of them the killed ones.
    now = _wait_for_inits(srv, 3)
    assert len(now) == 3 and not set(now) & set(spares), (now, spares)
