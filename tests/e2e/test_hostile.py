"""Hostile functions: probe handlers try to break out of their sandbox and report what
happened. Every attempt must fail, and other functions must keep being served while and
after each probe runs (a "canary" function is invoked alongside every probe).

As on AWS Lambda: code runs as an unprivileged user (a uid of its own per environment) without capabilities, only
/tmp is writable, the function sees only its own processes and cannot reach the host's
network, and resource exhaustion (memory, processes, /tmp) stays inside the function."""

from __future__ import annotations

import concurrent.futures
import errno
import json
import os
import socket
import time
from pathlib import Path

import pytest

from helpers import REPO_ROOT, create_function, invoke_json, make_zip, uniq, wait_active

PROBE = r'''
import ctypes, errno, os, signal, socket, time

def _err(e):
    return {"ok": False, "errno": e.errno, "errname": errno.errorcode.get(e.errno, "?"), "err": str(e)}

def read(path):
    try:
        with open(path, "rb") as f:
            data = f.read(200)
        return {"ok": True, "data": data.decode("latin1")}
    except OSError as e:
        return _err(e)

def listdir(path):
    try:
        return {"ok": True, "entries": sorted(os.listdir(path))}
    except OSError as e:
        return _err(e)

def write(path):
    try:
        with open(path, "a") as f:
            f.write("pwned\n")
        return {"ok": True}
    except OSError as e:
        return _err(e)

def mkdir(path):
    try:
        os.mkdir(path)
        return {"ok": True}
    except OSError as e:
        return _err(e)

def connect(host, port, timeout=2.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.connect((host, port))
        return {"ok": True, "secs": time.monotonic() - t0}
    except socket.timeout:
        return {"ok": False, "errname": "timeout", "secs": time.monotonic() - t0}
    except OSError as e:
        r = _err(e)
        r["secs"] = time.monotonic() - t0
        return r
    finally:
        s.close()

def listening():
    out = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A":
                out.append(int(parts[1].rsplit(":", 1)[1], 16))
    return sorted(set(out))

def network():
    """The namespace's interfaces and the interface of each route (IPv4 main table, IPv6
    all tables), read from /proc: no packet is sent."""
    ifaces = sorted(line.split(":", 1)[0].strip()
                    for line in open("/proc/net/dev").read().splitlines()[2:])
    v4 = [line.split()[0] for line in open("/proc/net/route").read().splitlines()[1:] if line.strip()]
    try:
        v6 = [line.split()[-1] for line in open("/proc/net/ipv6_route").read().splitlines() if line.strip()]
    except OSError:
        v6 = []
    return {"interfaces": ifaces, "route_devices": sorted(set(v4 + v6))}

def procs():
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode("latin1")
            except OSError:
                cmd = "?"
            try:
                env = open(f"/proc/{p}/environ", "rb").read().replace(b"\0", b" ").decode("latin1")
            except OSError as e:
                env = None
            out.append({"pid": int(p), "cmd": cmd, "environ": env})
    return out

def status():
    st = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        st[k] = v.strip()
    return st

def try_call(fn, *a):
    try:
        fn(*a)
        return {"ok": True}
    except OSError as e:
        return _err(e)

def libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    rc = getattr(libc, name)(*args)
    e = ctypes.get_errno()
    return {"ok": rc == 0, "rc": rc, "errno": e, "errname": errno.errorcode.get(e, "?")}

def handler(event, context):
    what = event["what"]
    if what == "read":
        return {p: read(p) for p in event["paths"]}
    if what == "listdir":
        return {p: listdir(p) for p in event["paths"]}
    if what == "exists":
        return {p: os.path.exists(p) for p in event["paths"]}
    if what == "write":
        res = {p: write(p) for p in event["paths"]}
        res.update({p + "/pwned-dir": mkdir(p + "/pwned-dir") for p in event["dirs"]})
        return res
    if what == "procs":
        res = {"procs": procs(), "self": os.getpid()}
        try:
            os.kill(event["pid"], 0)
            res["kill"] = {"ok": True}
        except OSError as e:
            res["kill"] = _err(e)
        return res
    if what == "signal_init":
        res = {}
        for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGSEGV", "SIGKILL", "SIGSTOP"):
            try:
                os.kill(1, getattr(signal, name))
                res[name] = "sent"
            except OSError as e:
                res[name] = _err(e)["errname"]
            time.sleep(0.05)
        return res
    if what == "net":
        res = {"targets": {f"{h}:{p}": connect(h, p) for h, p in event["targets"]}}
        res["listening"] = listening()
        res.update(network())
        return res
    if what == "privs":
        st = status()
        res = {k: st.get(k) for k in ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd",
                                        "CapAmb", "NoNewPrivs", "Seccomp")}
        res["uid"], res["euid"], res["gid"] = os.getuid(), os.geteuid(), os.getgid()
        res["setuid0"] = try_call(os.setuid, 0)
        res["chroot"] = try_call(os.chroot, "/tmp")
        res["mount"] = libc_call("mount", b"none", b"/tmp", b"tmpfs", 0, None)
        res["chown"] = try_call(os.chown, "/tmp", 0, 0)
        return res
    raise ValueError(what)
'''

FORK_BOMB = r'''
import os, signal, time

def handler(event, context):
    kids, err = [], None
    cap = event["cap"]
    t0 = time.monotonic()
    while len(kids) < cap:
        try:
            pid = os.fork()
        except OSError as e:
            err = f"{type(e).__name__}: {e}"
            break
        if pid == 0:
            try:
                time.sleep(event["child_secs"])
            finally:
                os._exit(0)
        kids.append(pid)
    forked = len(kids)
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in kids:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
    return {"forked": forked, "error": err, "secs": time.monotonic() - t0}
'''

MEMORY_HOG = r'''
def handler(event, context):
    if event.get("mb"):
        hog = []
        for _ in range(event["mb"] // 8):
            hog.append(b"\x01" * (8 << 20))   # written, so the pages are really used
        return {"held_mb": 8 * len(hog)}
    return {"ok": True}
'''

TMP_FILL = r'''
import errno, os, shutil, time

def handler(event, context):
    path = "/tmp/fill.bin"
    chunk = b"\xa5" * (1 << 20)
    written, err, t0 = 0, None, time.monotonic()
    try:
        with open(path, "wb") as f:
            for _ in range(event["mb"]):
                f.write(chunk)
                f.flush()
                written += 1
            os.fsync(f.fileno())
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
    secs = time.monotonic() - t0
    du = shutil.disk_usage("/tmp")
    try:
        os.unlink(path)
    except OSError:
        pass
    # /tmp must be usable again after the cleanup.
    with open("/tmp/after.txt", "w") as f:
        f.write("ok")
    return {"written_mb": written, "error": err, "secs": secs,
            "total_mb": du.total // (1 << 20), "after": open("/tmp/after.txt").read()}
'''

CANARY = '''
import os
def handler(event, context):
    return {"canary": True, "echo": event, "pid": os.getpid()}
'''


def _deploy(client, code: str, prefix: str, **kw) -> str:
    name = uniq(prefix)
    create_function(client, name, make_zip({"app.py": code}), Runtime="python3.11",
                    Handler="app.handler", Timeout=kw.pop("Timeout", 20), **kw)
    wait_active(client, name)
    return name


@pytest.fixture(scope="module")
def probe(lambda_client):
    return _deploy(lambda_client, PROBE, "probe")


@pytest.fixture(scope="module")
def canary(lambda_client):
    return _deploy(lambda_client, CANARY, "canary")


def check_canary(client, canary_name: str, tag="after"):
    resp, out = invoke_json(client, canary_name, {"tag": tag})
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, (resp, out)
    assert out["canary"] is True and out["echo"] == {"tag": tag}, out


def run_probe(client, name: str, event: dict, canary_name: str):
    """Invoke the probe while the canary is invoked concurrently, then the canary again."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        fut_probe = pool.submit(invoke_json, client, name, event)
        fut_canary = pool.submit(invoke_json, client, canary_name, {"tag": "during"})
        resp, out = fut_probe.result(timeout=120)
        cresp, cout = fut_canary.result(timeout=120)
    assert "FunctionError" not in cresp and cout["canary"] is True, (cresp, cout)
    check_canary(client, canary_name)
    return resp, out


def assert_denied(results: dict, allowed=(errno.ENOENT, errno.EACCES, errno.EPERM, errno.EROFS)):
    for path, r in results.items():
        assert r["ok"] is False, f"{path}: the sandboxed function succeeded: {r}"
        assert r["errno"] in allowed, f"{path}: unexpected errno {r}"


# --------------------------------------------------------------------------- files


def test_cannot_read_host_files(lambda_client, probe, canary, server):
    db = server.data_dir / "metadata.db"
    for p in (REPO_ROOT / "Cargo.toml", db):
        assert p.exists(), f"test precondition: {p} exists on the host"
    root_files = [p for p in (Path("/root/.bashrc"), Path("/root/.profile"), Path("/root/.gitconfig"))
                  if p.exists()]
    secrets = root_files + [REPO_ROOT / "Cargo.toml", db]
    paths = [str(p) for p in secrets] + [str(server.data_dir), "/etc/shadow"]
    resp, out = run_probe(lambda_client, probe, {"what": "read", "paths": paths}, canary)
    assert "FunctionError" not in resp, out
    assert_denied(out)
    resp, out = invoke_json(lambda_client, probe, {"what": "listdir",
                                                   "paths": ["/root", str(REPO_ROOT), str(server.data_dir)]})
    for path, r in out.items():
        # Either absent, unreadable, or (for /root) an empty mount point — never the host's contents.
        assert not r["ok"] or r["entries"] == [], f"{path} is visible in the sandbox: {r}"
    resp, out = invoke_json(lambda_client, probe, {"what": "exists", "paths": [str(db), str(REPO_ROOT / "crates")]})
    assert out == {str(db): False, str(REPO_ROOT / "crates"): False}, out


def test_cannot_write_outside_tmp(lambda_client, probe, canary):
    paths = ["/var/task/app.py", "/var/task/new.py", "/pwned", "/opt/pwned", "/etc/pwned",
             "/etc/passwd", "/usr/bin/pwned", "/var/runtime-pwned"]
    dirs = ["/var/task", "/opt", "/etc", ""]
    resp, out = run_probe(lambda_client, probe, {"what": "write", "paths": paths, "dirs": dirs}, canary)
    assert "FunctionError" not in resp, out
    assert_denied(out, allowed=(errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT))
    # The function's own code is unchanged and still runs.
    resp, out = invoke_json(lambda_client, probe, {"what": "read", "paths": ["/var/task/app.py"]})
    assert out["/var/task/app.py"]["ok"] and "pwned" not in out["/var/task/app.py"]["data"]
    for p in ("/etc/pwned", "/pwned", "/usr/bin/pwned"):
        assert not os.path.exists(p), f"{p} appeared on the host"


# --------------------------------------------------------------------------- processes


def test_sees_and_signals_only_its_own_processes(lambda_client, probe, canary, server):
    me = os.getpid()
    resp, out = run_probe(lambda_client, probe, {"what": "procs", "pid": me}, canary)
    assert "FunctionError" not in resp, out
    pids = {p["pid"] for p in out["procs"]}
    cmds = " | ".join(p["cmd"] for p in out["procs"])
    assert out["self"] in pids
    # A private pid namespace holds a handful of processes; the host has many more.
    assert len(pids) <= 8, f"the sandbox sees {len(pids)} processes: {cmds}"
    my_cmd = open(f"/proc/{me}/cmdline", "rb").read().replace(b"\0", b" ").decode("latin1")
    assert my_cmd not in [p["cmd"] for p in out["procs"]], f"the test runner is visible: {cmds}"
    assert "pytest" not in cmds.replace(str(server.data_dir), ""), cmds
    # Whatever helper runs inside the sandbox, its environment (which on the host holds the
    # server's secret key) is not readable by the function.
    for p in out["procs"]:
        assert server.secret_key not in (p["environ"] or ""), p["pid"]
        assert server.secret_key not in p["cmd"], p["pid"]
        if p["pid"] != out["self"] and "python" not in p["cmd"]:
            assert p["environ"] is None, f"pid {p['pid']} ({p['cmd']}) environ is readable"
    if me not in pids:
        assert out["kill"]["ok"] is False and out["kill"]["errname"] in ("ESRCH", "EPERM"), out["kill"]
    # The host processes are untouched.
    assert server.proc.poll() is None


def test_signalling_the_sandbox_init_does_not_break_the_environment(lambda_client, canary):
    name = _deploy(lambda_client, PROBE, "siginit")
    resp, out = run_probe(lambda_client, name, {"what": "signal_init"}, canary)
    assert resp["StatusCode"] == 200
    # Whatever happened to this environment, the function is served again afterwards.
    resp, out = invoke_json(lambda_client, name, {"what": "exists", "paths": ["/var/task/app.py"]})
    assert "FunctionError" not in resp and out == {"/var/task/app.py": True}, out


def test_fork_bomb_is_bounded(lambda_client, canary):
    bomb = _deploy(lambda_client, FORK_BOMB, "forkbomb", MemorySize=1024, Timeout=60)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        fut = pool.submit(invoke_json, lambda_client, bomb, {"cap": 4096, "child_secs": 60})
        # Other functions are served while the bomb runs.
        time.sleep(0.5)
        check_canary(lambda_client, canary, "during")
        resp, out = fut.result(timeout=120)
    elapsed = time.monotonic() - t0
    assert elapsed < 65, elapsed
    if "FunctionError" not in resp:
        # The pids limit (AWS: 1,024 processes/threads) stopped the loop, not our own cap.
        assert out["error"] is not None, out
        assert out["forked"] <= 1100, out
    check_canary(lambda_client, canary)
    # The bomb function itself recovers.
    resp, out = invoke_json(lambda_client, bomb, {"cap": 2, "child_secs": 0})
    assert "FunctionError" not in resp and out["forked"] == 2, out


FD_HOG = r"""
import os, resource

def handler(event, context):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fds, error = [], None
    try:
        while len(fds) < 100000:
            fds.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as e:
        error = e.errno
    opened = len(fds)
    for fd in fds:
        os.close(fd)
    return {"soft": soft, "hard": hard, "opened": opened, "errno": error}
"""


def test_descriptors_are_limited_as_on_lambda(lambda_client, canary):
    # The server raises its own limit to hold many environments; a function keeps Lambda's
    # 1,024 and cannot raise it.
    hog = _deploy(lambda_client, FD_HOG, "fdhog")
    resp, out = invoke_json(lambda_client, hog, {})
    assert "FunctionError" not in resp, out
    assert (out["soft"], out["hard"]) == (1024, 1024), out
    assert out["errno"] == errno.EMFILE and out["opened"] < 1024, out
    check_canary(lambda_client, canary)


# --------------------------------------------------------------------------- memory & /tmp


def test_memory_limit_kills_only_the_function(lambda_client, canary):
    hog = _deploy(lambda_client, MEMORY_HOG, "memhog", MemorySize=128)
    resp, out = run_probe(lambda_client, hog, {"mb": 512}, canary)
    assert resp["StatusCode"] == 200
    assert resp.get("FunctionError") == "Unhandled", out
    assert out.get("errorType") in ("Runtime.OutOfMemory", "Runtime.ExitError"), out
    if out["errorType"] == "Runtime.ExitError":
        assert "signal: killed" in out["errorMessage"], out
    resp, out = invoke_json(lambda_client, hog, {})
    assert "FunctionError" not in resp and out == {"ok": True}, out
    # Somewhat below the limit works.
    resp, out = invoke_json(lambda_client, hog, {"mb": 40})
    assert "FunctionError" not in resp and out == {"held_mb": 40}, out


def test_tmp_is_bounded_by_ephemeral_storage(lambda_client, canary):
    fill = _deploy(lambda_client, TMP_FILL, "tmpfill", EphemeralStorage={"Size": 512},
                   MemorySize=1024, Timeout=60)
    t0 = time.monotonic()
    resp, out = run_probe(lambda_client, fill, {"mb": 600}, canary)
    assert time.monotonic() - t0 < 60
    assert "FunctionError" not in resp, out
    assert out["error"] == "ENOSPC", out
    assert 400 <= out["written_mb"] < 600, out
    assert 480 <= out["total_mb"] <= 530, out
    assert out["after"] == "ok"
    # Again on the warm environment: the space was given back by the unlink.
    resp, out = invoke_json(lambda_client, fill, {"mb": 300})
    assert "FunctionError" not in resp and out["error"] is None and out["written_mb"] == 300, out


def test_tmp_is_not_charged_to_function_memory(lambda_client, canary):
    # On AWS /tmp is disk, not memory: a 128 MB function can fill its 512 MB /tmp and gets
    # ENOSPC, not an out-of-memory kill.
    fill = _deploy(lambda_client, TMP_FILL, "tmpfill128", EphemeralStorage={"Size": 512},
                   MemorySize=128, Timeout=60)
    resp, out = run_probe(lambda_client, fill, {"mb": 600}, canary)
    assert "FunctionError" not in resp, out
    assert out["error"] == "ENOSPC" and out["written_mb"] >= 400, out


# --------------------------------------------------------------------------- network


def test_no_network_route_out_of_the_sandbox(lambda_client, probe, canary, server):
    """The function's network namespace holds only its loopback: the host's loopback
    listeners (the server, a listener of the test's) are out of reach, and there is no
    interface or route to anywhere else. Tests send traffic only to loopback addresses, so
    "anywhere else" is shown by the namespace's interfaces and routes, not by connecting."""
    # A listener on the host's loopback.
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    lport = lsock.getsockname()[1]
    try:
        with socket.create_connection(("127.0.0.1", lport), timeout=2):
            pass  # reachable from the host
        targets = [["127.0.0.1", server.port], ["127.0.0.1", lport], ["::1", server.port],
                   ["127.0.0.1", 9001]]
        resp, out = run_probe(lambda_client, probe, {"what": "net", "targets": targets}, canary)
    finally:
        lsock.close()
    assert "FunctionError" not in resp, out
    res = out["targets"]
    assert res["127.0.0.1:9001"]["ok"] is True, "the function's own Runtime API must be reachable"
    for key, r in res.items():
        if key == "127.0.0.1:9001":
            continue
        assert r["ok"] is False, f"the sandbox reached {key}: {r}"
    # No interface but the loopback, and no route through any other.
    assert out["interfaces"] == ["lo"], out["interfaces"]
    assert set(out["route_devices"]) <= {"lo"}, out["route_devices"]
    # Nothing but the function's own Runtime API listens in its network namespace.
    assert set(out["listening"]) <= {9001}, out["listening"]


def test_unprivileged_user_without_capabilities(lambda_client, probe, canary):
    resp, out = run_probe(lambda_client, probe, {"what": "privs"}, canary)
    assert "FunctionError" not in resp, out
    # Each environment runs as a uid of its own from --function-uids (default
    # 1000000-1004095), with the gid of the same number.
    uid = out["uid"]
    assert 1_000_000 <= uid <= 1_004_095, out
    assert out["euid"] == uid and out["gid"] == uid, out
    assert out["Uid"].split() == [str(uid)] * 4, out["Uid"]
    for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(out[cap], 16) == 0, (cap, out[cap])
    assert out["NoNewPrivs"] == "1", out
    assert out["Seccomp"] == "2", out
    for op in ("setuid0", "chroot", "mount", "chown"):
        assert out[op]["ok"] is False, (op, out[op])
        assert out[op]["errname"] in ("EPERM", "EACCES"), (op, out[op])


def test_tmp_size_follows_ephemeral_storage_beyond_the_default(lambda_client):
    """Spare sandboxes come with the default 512 MB /tmp mounted ahead; a function with
    another size gets its own, and going back to 512 gets the default again."""
    fill = _deploy(lambda_client, TMP_FILL, "tmpsize", EphemeralStorage={"Size": 1024},
                   MemorySize=256, Timeout=30)
    resp, out = invoke_json(lambda_client, fill, {"mb": 1})
    assert "FunctionError" not in resp and out["error"] is None, out
    assert 990 <= out["total_mb"] <= 1040, out
    lambda_client.update_function_configuration(FunctionName=fill, EphemeralStorage={"Size": 512})
    wait_active(lambda_client, fill)
    resp, out = invoke_json(lambda_client, fill, {"mb": 1})
    assert "FunctionError" not in resp and 480 <= out["total_mb"] <= 530, out
