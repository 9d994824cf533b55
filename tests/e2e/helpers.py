"""Helpers for the Stratus end-to-end suite (server process, clients, zips, raw requests)."""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ACCESS_KEY = "AKIASTRATUSTEST00001"
SECRET_KEY = "stratus/test/secret/key/0123456789abcdefABCD"
REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

LAST_MODIFIED_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

REPO_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StratusServer:
    """A `stratus server` child process on a loopback port."""

    def __init__(
        self,
        binary: Path,
        data_dir: Path,
        log_dir: Path,
        *,
        port: int | None = None,
        env_keys: bool = True,
        extra_env: dict | None = None,
    ):
        self.binary = Path(binary)
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.port = port or free_port()
        self.env_keys = env_keys
        self.extra_env = extra_env or {}
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._stdout_path: Path | None = None
        self._stderr_path: Path | None = None

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"http://{self.addr}"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    def _env(self) -> dict:
        env = dict(os.environ)
        for k in ("STRATUS_ACCESS_KEY_ID", "STRATUS_SECRET_ACCESS_KEY"):
            env.pop(k, None)
        for k in list(env):
            if k.startswith("AWS_"):
                env.pop(k)
        if self.env_keys:
            env["STRATUS_ACCESS_KEY_ID"] = self.access_key
            env["STRATUS_SECRET_ACCESS_KEY"] = self.secret_key
        env.setdefault("RUST_LOG", "info")
        env.setdefault("NO_COLOR", "1")
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 10.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self._stdout_path = self.log_dir / f"stdout.{self.starts}.log"
        self._stderr_path = self.log_dir / f"stderr.{self.starts}.log"
        with open(self._stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [
                    str(self.binary),
                    "server",
                    "--listen",
                    self.addr,
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=self._env(),
                cwd=str(self.log_dir),
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail(
                    f"stratus exited with code {self.proc.returncode} before becoming ready.\n"
                    f"stderr:\n{self.stderr_tail()}\nstdout:\n{self.stdout_text()[-4000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.endpoint}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
                    last = f"status {r.status}"
            except urllib.error.HTTPError as e:
                last = f"status {e.code}"
            except (urllib.error.URLError, ConnectionError, OSError) as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill9()
        pytest.fail(
            f"stratus did not answer GET /healthz with 200 within {timeout}s (last: {last}).\n"
            f"stderr:\n{self.stderr_tail()}"
        )

    def stdout_text(self) -> str:
        if self._stdout_path and self._stdout_path.exists():
            return self._stdout_path.read_text(errors="replace")
        return ""

    def stderr_tail(self, n: int = 8000) -> str:
        if self._stderr_path and self._stderr_path.exists():
            return self._stderr_path.read_text(errors="replace")[-n:]
        return ""

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                pytest.fail(f"stratus did not exit within {timeout}s of SIGTERM")
        return self.proc.returncode

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def make_client(server: StratusServer, *, access_key=None, secret_key=None,
                session_token=None, parameter_validation=True, read_timeout=120,
                signature_version=None):
    cfg = dict(
        retries={"max_attempts": 1},
        parameter_validation=parameter_validation,
        read_timeout=read_timeout,
        connect_timeout=10,
    )
    if signature_version is not None:
        cfg["signature_version"] = signature_version
    return boto3.session.Session().client(
        "lambda",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        aws_session_token=session_token,
        config=Config(**cfg),
    )


# --------------------------------------------------------------------------- names & zips


def uniq(prefix: str = "fn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_zip(files: dict | None = None, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """An in-memory zip. `files` maps archive names to str/bytes contents."""
    if files is None:
        files = {"app.py": f"def handler(event, context):\n    return {{'id': '{uuid.uuid4()}'}}\n"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, content in files.items():
            if isinstance(content, str):
                content = content.encode()
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = compression
            zi.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(zi, content)
    return buf.getvalue()


def zip_of_zeros(name: str, size: int, extra: dict | None = None) -> bytes:
    """A zip holding `size` bytes of mostly zeros (deflated, so the zip is small).

    One random byte every 512 keeps the compression ratio near 100:1, like ordinary sparse
    data, rather than deflate's maximum (about 1000:1), which the server treats as a bomb."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for k, v in (extra or {}).items():
            zf.writestr(k, v)
        zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        chunk = bytearray(1 << 20)
        noise = os.urandom(len(chunk) // 512)
        chunk[::512] = noise
        chunk = bytes(chunk)
        with zf.open(zi, "w", force_zip64=False) as w:
            left = size
            while left > 0:
                n = min(left, len(chunk))
                w.write(chunk[:n])
                left -= n
    return buf.getvalue()


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def download(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        assert r.status == 200, r.status
        return r.read()


def http_status(url: str, timeout: float = 30) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


# --------------------------------------------------------------------------- functions


def create_function(client, name: str | None = None, zip_bytes: bytes | None = None, **kw) -> dict:
    params = dict(
        FunctionName=name or uniq(),
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_bytes if zip_bytes is not None else make_zip()},
    )
    params.update(kw)
    return client.create_function(**params)


def wait_active(client, name: str, qualifier: str | None = None, timeout: float = 15) -> dict:
    """Poll until State is Active and LastUpdateStatus is not InProgress (as the SDK waiters do)."""
    deadline = time.monotonic() + timeout
    kw = {"FunctionName": name}
    if qualifier:
        kw["Qualifier"] = qualifier
    while True:
        cfg = client.get_function_configuration(**kw)
        if cfg.get("State") == "Active" and cfg.get("LastUpdateStatus") in (None, "Successful"):
            return cfg
        if cfg.get("State") == "Failed" or cfg.get("LastUpdateStatus") == "Failed":
            raise AssertionError(f"function {name} failed: {cfg}")
        if time.monotonic() > deadline:
            raise AssertionError(f"function {name} never became Active/Successful: {cfg}")
        time.sleep(0.2)


def list_all_functions(client, **kw) -> list[dict]:
    out = []
    pages = client.get_paginator("list_functions").paginate(**kw)
    for page in pages:
        out.extend(page["Functions"])
    return out


def function_names(client) -> set[str]:
    return {f["FunctionName"] for f in list_all_functions(client)}


# --------------------------------------------------------------------------- errors


@contextlib.contextmanager
def expect_error(status: int, codes: str | Iterable[str] | None = None, message: str | None = None):
    """Expect a botocore ClientError with this HTTP status (and one of these error codes)."""
    if isinstance(codes, str):
        codes = (codes,)
    with pytest.raises(ClientError) as ei:
        yield ei
    resp = ei.value.response
    got_status = resp["ResponseMetadata"]["HTTPStatusCode"]
    got_code = resp["Error"].get("Code")
    got_msg = resp["Error"].get("Message") or ""
    assert got_status == status, f"expected HTTP {status}, got {got_status}: {resp['Error']}"
    if codes is not None:
        assert got_code in tuple(codes), f"expected error code in {tuple(codes)}, got {got_code!r}: {got_msg!r}"
    if message is not None:
        assert message.lower() in got_msg.lower(), f"expected message containing {message!r}, got {got_msg!r}"


# --------------------------------------------------------------------------- blob store


def blob_files(server: StratusServer) -> set[str]:
    """Files in DATA_DIR/blobs, excluding DATA_DIR/blobs/tmp."""
    root = server.blobs_dir
    out: set[str] = set()
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel.parts[:1] == ("tmp",):
            dirnames[:] = []
            continue
        if rel == Path("."):
            dirnames[:] = [d for d in dirnames if d != "tmp"]
        for f in filenames:
            out.add(str(rel / f))
    return out


@contextlib.contextmanager
def nothing_left_behind(server: StratusServer, client, function_name: str | None = None):
    """Assert that the wrapped (rejected) operation left no new blob and no function."""
    before = blob_files(server)
    yield
    after = blob_files(server)
    new = sorted(after - before)
    assert not new, f"rejected request left new files in {server.blobs_dir}: {new}"
    if function_name is not None:
        assert function_name not in function_names(client), (
            f"rejected create left function {function_name} behind"
        )
        with expect_error(404, "ResourceNotFoundException"):
            client.get_function(FunctionName=function_name)


# --------------------------------------------------------------------------- raw signed requests


class RawResponse:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None

    @property
    def error_type(self) -> str | None:
        """The error code the way botocore derives it (header first, then body)."""
        h = self.header("x-amzn-ErrorType")
        if h:
            return h.split(":")[0].split("#")[-1]
        try:
            doc = json.loads(self.body or b"{}")
        except ValueError:
            return None
        if not isinstance(doc, dict):
            return None
        code = doc.get("__type") or doc.get("code") or doc.get("Code")
        return code.split("#")[-1] if code else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"RawResponse({self.status}, {self.error_type}, {self.body[:300]!r})"


def signed_request(
    server: StratusServer,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    headers: dict | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    session_token: str | None = None,
    region: str = REGION,
    service: str = "lambda",
    when: _dt.datetime | None = None,
    sign: bool = True,
    mutate: Callable[[dict], None] | None = None,
    timeout: float = 120,
) -> RawResponse:
    """Send a request signed with botocore's own SigV4 signer.

    `path` is the wire path (already percent-encoded) plus optional query string.
    `when` fakes the signing clock; `mutate(headers)` may tamper with the signed headers.
    """
    url = server.endpoint + path
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
    if sign:
        creds = Credentials(access_key or server.access_key, secret_key or server.secret_key, session_token)
        signer = SigV4Auth(creds, service, region)
        if when is not None:
            naive = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: naive):
                signer.add_auth(req)
        else:
            signer.add_auth(req)
    prepared = req.prepare()
    out_headers = {k: v for k, v in prepared.headers.items()}
    if mutate:
        mutate(out_headers)
    return send_raw(server, method, path, out_headers, prepared.body if prepared.body is not None else body, timeout=timeout)


def send_raw(server: StratusServer, method: str, path: str, headers: dict, body, timeout: float = 120) -> RawResponse:
    if isinstance(body, str):
        body = body.encode()
    body = body or b""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=any(k.lower() == "host" for k in headers),
                        skip_accept_encoding=True)
        has_len = False
        for k, v in headers.items():
            if k.lower() == "content-length":
                has_len = True
            conn.putheader(k, v)
        if not has_len:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        # Stream the body; a server may answer (e.g. 413) and stop reading early.
        view = memoryview(body)
        try:
            for i in range(0, len(view), 1 << 20):
                conn.send(view[i:i + (1 << 20)])
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, dict(resp.getheaders()), data)
    finally:
        conn.close()


# --------------------------------------------------------------------------- aws CLI


class AwsCliError(AssertionError):
    def __init__(self, args, returncode, stdout, stderr):
        super().__init__(f"aws {' '.join(args)} exited {returncode}\nstderr:\n{stderr}\nstdout:\n{stdout}")
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def aws_cli_path() -> str:
    cand = Path(sys.executable).parent / "aws"
    if cand.exists():
        return str(cand)
    found = shutil.which("aws")
    if not found:
        pytest.skip("aws CLI not installed (scripts/test installs it into .venv)")
    return found


AWS_CLI_V2 = "/usr/bin/aws"


def aws_cli_v2_path() -> str:
    """The aws CLI v2 (Debian's `awscli` package; v2 is not on PyPI). scripts/test
    installs it, so its absence is a setup failure, not a reason to skip."""
    try:
        out = subprocess.run([AWS_CLI_V2, "--version"], capture_output=True, text=True, timeout=60).stdout
    except FileNotFoundError:
        out = ""
    assert out.startswith("aws-cli/2."), f"{AWS_CLI_V2} is not the aws CLI v2 ({out!r}); run scripts/test"
    return AWS_CLI_V2


class AwsCli:
    """Runs the real aws CLI with the server's endpoint and key (v1 from the venv
    unless `exe` names another, such as the v2 CLI)."""

    def __init__(self, server: StratusServer, home: Path, exe: str | None = None):
        self.server = server
        self.home = Path(home)
        self.exe = exe or aws_cli_path()

    def command(self, *args) -> list[str]:
        return [self.exe, "--endpoint-url", self.server.endpoint, "--output", "json", *map(str, args)]

    def env(self, access_key=None, secret_key=None) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=access_key or self.server.access_key,
            AWS_SECRET_ACCESS_KEY=secret_key or self.server.secret_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=str(self.home / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.home / "credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
            AWS_PAGER="",
            HOME=str(self.home),
        )
        return env

    def run(self, *args, access_key=None, secret_key=None, timeout=120) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout,
                              env=self.env(access_key, secret_key))

    def __call__(self, *args, **kw):
        p = self.run(*args, **kw)
        if p.returncode != 0:
            raise AwsCliError(list(map(str, args)), p.returncode, p.stdout, p.stderr)
        out = p.stdout.strip()
        return json.loads(out) if out else None

    def fail(self, *args, **kw) -> subprocess.CompletedProcess:
        p = self.run(*args, **kw)
        assert p.returncode != 0, f"aws {' '.join(map(str, args))} unexpectedly succeeded:\n{p.stdout}"
        return p


# --------------------------------------------------------------------------- invoke helpers (sandbox/lifecycle/logs suites)


def exec_zip(files: dict, executable: Iterable[str] = ("bootstrap",)) -> bytes:
    """A zip whose entries named in `executable` have mode 0755 (others 0644)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            if isinstance(content, str):
                content = content.encode()
            zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if name in executable else 0o644
            zi.external_attr = (stat.S_IFREG | mode) << 16
            zf.writestr(zi, content)
    return buf.getvalue()


def invoke_json(client, name: str, event=None, **kw):
    """Invoke synchronously; returns (response dict, decoded JSON payload or None)."""
    resp = client.invoke(FunctionName=name, Payload=json.dumps(event if event is not None else {}).encode(), **kw)
    body = resp["Payload"].read()
    return resp, (json.loads(body) if body else None)


def log_tail(resp) -> str:
    """The decoded X-Amz-Log-Result of an Invoke response ('' if absent)."""
    lr = resp.get("LogResult")
    return base64.b64decode(lr).decode(errors="replace") if lr else ""


def make_logs_client(server: StratusServer):
    """A boto3 CloudWatch Logs client for the server's endpoint."""
    return boto3.session.Session().client(
        "logs",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(retries={"max_attempts": 1}, read_timeout=60, connect_timeout=10),
    )


# --------------------------------------------------------------------------- async (events, logs, dead letters, webhooks)


def wait_for(what, check, timeout=90.0, interval=0.2):
    """Polls `check` until it returns a truthy value (returned); fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def event_invoke(client, name, payload=None, **kw) -> str:
    """An Event invoke that must answer 202 with no body; returns its request id."""
    resp = client.invoke(FunctionName=name, InvocationType="Event",
                         Payload=json.dumps(payload if payload is not None else {}).encode(), **kw)
    assert resp["StatusCode"] == 202, resp
    assert resp["Payload"].read() == b""
    return resp["ResponseMetadata"]["RequestId"]


def log_events(logs, name, pattern):
    """Every event of the function's log group matching `pattern` (none if no group yet)."""
    out, token = [], None
    while True:
        kw = {"logGroupName": f"/aws/lambda/{name}", "filterPattern": pattern}
        if token:
            kw["nextToken"] = token
        try:
            page = logs.filter_log_events(**kw)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return []
            raise
        out.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return out


def starts(logs, name, request_id=None):
    """Timestamps (ms) of the START lines of `request_id` (or of every invocation)."""
    events = log_events(logs, name, "START")
    return sorted(
        e["timestamp"]
        for e in events
        if e["message"].startswith("START RequestId:")
        and (request_id is None or f"RequestId: {request_id} " in e["message"])
    )


def started_ids(logs, name):
    return {e["message"].split()[2] for e in log_events(logs, name, "START") if e["message"].startswith("START ")}


def started_on_disk(data_dir, request_id=None):
    """Request ids with a START line in the log files on disk (what survives a kill -9);
    with `request_id`, how many START lines it has."""
    found = []
    for path in (Path(data_dir) / "logs").rglob("*"):
        if path.is_file():
            found.extend(re.findall(r"START RequestId: ([0-9a-f-]{36})", path.read_text(errors="replace")))
    return set(found) if request_id is None else found.count(request_id)


def _metadata_db(server):
    return sqlite3.connect(f"file:{server.data_dir / 'metadata.db'}?mode=ro", uri=True, timeout=10)


def dead_letter(server, request_id):
    """The stored dead letter of `request_id`: (condition, error_type, attempts), or None."""
    db = _metadata_db(server)
    try:
        row = db.execute("SELECT failure, attempts FROM dead_letters WHERE id = ?", (request_id,)).fetchone()
    finally:
        db.close()
    if row is None:
        return None
    failure = json.loads(row[0])
    return failure["condition"], failure.get("error_type"), row[1]


def queue_counts(server):
    """(unleased, leased) events in the store's queue."""
    db = _metadata_db(server)
    try:
        free = db.execute("SELECT count(*) FROM queue_events WHERE lease_owner IS NULL").fetchone()[0]
        leased = db.execute("SELECT count(*) FROM queue_events WHERE lease_owner IS NOT NULL").fetchone()[0]
    finally:
        db.close()
    return free, leased


def queued_event(server, request_id):
    """(attempts, leased) of `request_id` in the store's queue, or None if it is not queued."""
    db = _metadata_db(server)
    try:
        row = db.execute("SELECT attempts, lease_owner IS NOT NULL FROM queue_events WHERE id = ?",
                         (request_id,)).fetchone()
    finally:
        db.close()
    return None if row is None else (row[0], bool(row[1]))


class _DaemonHTTPServer(ThreadingHTTPServer):
    daemon_threads = True


class Hook:
    """An HTTP server on 127.0.0.1 recording POSTs (headers, body) and answering `status`.

    While `hold` is set (hook.release() clears it) every request is kept open after it
    was recorded, until released; `arrived` is set by the first request."""

    def __init__(self, status: int = 200, hold: bool = False):
        received = self.received = []
        lock = self.lock = threading.Lock()
        self.arrived = arrived = threading.Event()
        self.released = released = threading.Event()
        if not hold:
            released.set()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    received.append((self.headers, body))
                arrived.set()
                released.wait(120)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender is gone (killed)

            def log_message(self, *a):
                pass

        self.httpd = _DaemonHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def release(self):
        self.released.set()

    def requests(self):
        """[(headers, body bytes)] received so far; headers are looked up case-insensitively."""
        with self.lock:
            return list(self.received)

    def bodies(self):
        return [json.loads(b) for _, b in self.requests()]

    def close(self):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
