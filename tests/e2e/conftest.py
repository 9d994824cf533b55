"""Shared fixtures for the Stratus end-to-end suite.

The suite starts the real `stratus` binary (target/debug/stratus, or $STRATUS_BIN)
on a free loopback port with a temporary data directory and drives it with the
real, unmodified clients: boto3, the aws CLI (v1) and Terraform.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import AwsCli, StratusServer, aws_cli_v2_path, make_client  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


def _server_binary() -> Path:
    env = os.environ.get("STRATUS_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    if not target.is_absolute():
        target = REPO_ROOT / target
    return target / "debug" / "stratus"


@pytest.fixture(scope="session")
def stratus_bin() -> Path:
    path = _server_binary()
    if not path.is_file():
        pytest.exit(
            f"server binary {path} not found: run `cargo build --bin stratus` first "
            "(or use scripts/test)",
            returncode=2,
        )
    return path


@pytest.fixture(scope="session")
def server(stratus_bin, tmp_path_factory):
    """One server shared by the whole session (tests use unique names)."""
    base = tmp_path_factory.mktemp("stratus-session")
    srv = StratusServer(stratus_bin, base / "data", base / "logs")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def _server_still_alive(request):
    """After each test that used the shared server, make sure it did not crash."""
    yield
    if "server" in request.fixturenames:
        srv = request.getfixturevalue("server")
        if srv.proc is not None and srv.proc.poll() is not None:
            pytest.fail(
                f"the shared stratus server exited (code {srv.proc.returncode}) during "
                f"this test; stderr tail:\n{srv.stderr_tail()}"
            )


@pytest.fixture
def server_factory(stratus_bin, tmp_path):
    """Start extra, private servers (for durability / process tests)."""
    started: list[StratusServer] = []

    def start(data_dir: Path | None = None, **kw) -> StratusServer:
        n = len(started)
        srv = StratusServer(
            stratus_bin,
            data_dir or (tmp_path / f"data{n}"),
            tmp_path / f"logs{n}",
            **kw,
        )
        srv.start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture(scope="session")
def lambda_client(server):
    return make_client(server)


@pytest.fixture(scope="session")
def loose_client(server):
    """A client with botocore's client-side parameter validation off, so that
    out-of-range values reach the server (as they would from other SDKs)."""
    return make_client(server, parameter_validation=False)


@pytest.fixture(scope="session")
def aws(server, tmp_path_factory):
    """Run the real aws CLI (from the venv) against the shared server."""
    home = tmp_path_factory.mktemp("awscli-home")
    return AwsCli(server, home)


@pytest.fixture(scope="session")
def aws2(server, tmp_path_factory):
    """Run the real aws CLI v2 (Debian's package) against the shared server."""
    home = tmp_path_factory.mktemp("awscli2-home")
    return AwsCli(server, home, exe=aws_cli_v2_path())
