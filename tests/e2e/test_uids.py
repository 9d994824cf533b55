"""Per-environment users and the sandbox's own /etc (issue 11 §3).

Every execution environment runs as a uid of its own from --function-uids, so a per-user
kernel limit exhausted by one function (here the 128 inotify instances a user may hold)
does not touch another; the sandbox's /etc is a minimal one written by the server, with an
account for its uid and the CA certificates, and no host path of the data directory shows
in /proc/self/mountinfo except where a bind mount's root must name it (see ARCHITECTURE.md).
"""

from __future__ import annotations

from helpers import create_function, invoke_json, make_zip, uniq, wait_active

HOG = '''
import ctypes, ctypes.util, os
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
HELD = []
def handler(event, context):
    # Open inotify instances until the per-user limit says no, and keep them: the
    # environment stays idle (frozen) holding them after it returns.
    while True:
        fd = libc.inotify_init1(0)
        if fd < 0:
            return {"held": len(HELD), "errno": ctypes.get_errno(), "uid": os.getuid()}
        HELD.append(fd)
'''

ONE = '''
import ctypes, ctypes.util, os
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
def handler(event, context):
    fd = libc.inotify_init1(0)
    err = ctypes.get_errno()
    if fd >= 0:
        os.close(fd)
    return {"fd": fd, "errno": err, "uid": os.getuid()}
'''

ETC = '''
import getpass, os, pwd, ssl
def handler(event, context):
    mountinfo = open("/proc/self/mountinfo").read()
    paths = ssl.get_default_verify_paths()
    return {
        "etc": sorted(os.listdir("/etc")),
        "uid": os.getuid(),
        "user": getpass.getuser(),
        "pw_name": pwd.getpwuid(os.getuid()).pw_name,
        "home": os.path.expanduser("~"),
        "cafile": paths.cafile,
        "cafile_exists": bool(paths.cafile) and os.path.isfile(paths.cafile),
        "context_certs": len(ssl.create_default_context().get_ca_certs()),
        "mountinfo": mountinfo,
        "tmp_owner": os.stat("/tmp").st_uid,
    }
'''


def _deploy(client, code: str, prefix: str) -> str:
    name = uniq(prefix)
    create_function(client, name, make_zip({"app.py": code}), Runtime="python3.11",
                    Handler="app.handler", Timeout=30)
    wait_active(client, name)
    return name


def test_a_per_user_limit_exhausted_by_one_function_does_not_touch_another(lambda_client):
    hog = _deploy(lambda_client, HOG, "inotify-hog")
    other = _deploy(lambda_client, ONE, "inotify-one")
    resp, out = invoke_json(lambda_client, hog, {})
    assert "FunctionError" not in resp, out
    assert out["errno"] == 24, out  # EMFILE: the hog reached its user's limit
    assert out["held"] >= 1, out
    # The hog's environment is idle (then frozen) and still holds every instance.
    resp, one = invoke_json(lambda_client, other, {})
    assert "FunctionError" not in resp, one
    assert one["fd"] >= 0 and one["uid"] != out["uid"], (one, out)
    # The hog, warm again, still holds them: its next instance fails at once.
    resp, again = invoke_json(lambda_client, hog, {})
    assert again["uid"] == out["uid"] and again["errno"] == 24, again


def test_etc_is_minimal_names_the_user_and_holds_the_ca_bundle(lambda_client, server):
    name = _deploy(lambda_client, ETC, "etc-probe")
    resp, out = invoke_json(lambda_client, name, {})
    assert "FunctionError" not in resp, out
    allowed = {"alternatives", "group", "hosts", "ld.so.cache", "nsswitch.conf", "passwd",
               "pki", "resolv.conf", "ssl"}
    assert set(out["etc"]) <= allowed, out["etc"]
    for host_only in ("shadow", "hostname", "machine-id", "os-release", "fstab"):
        assert host_only not in out["etc"], out["etc"]
    uid = out["uid"]
    assert out["user"] == out["pw_name"] == f"sbx_user{uid}", out
    assert out["home"] == "/tmp", out
    assert out["tmp_owner"] == uid, out
    assert out["context_certs"] > 0, out
    # mountinfo: the sandbox's own /etc and /tmp name no host path of the data directory.
    data_dir = str(server.data_dir.resolve())
    for line in out["mountinfo"].splitlines():
        fields = line.split()
        mount_point = fields[4]
        if mount_point in ("/etc", "/tmp", "/", "/proc", "/dev", "/dev/shm"):
            assert data_dir not in line, line
