"""A function that prints far more than anyone should keep (1 GiB): the invocation still
completes, the server's memory stays bounded while it prints and afterwards, the log stream
keeps the first --log-max-invocation-mb (default 100 MiB) of it on disk and says in one
line how much was dropped, and the server goes on serving other functions."""

from __future__ import annotations

import threading

import pytest

from helpers import (
    create_function,
    invoke_json,
    log_events,
    log_tail,
    make_client,
    make_logs_client,
    make_zip,
    uniq,
    wait_active,
    wait_for,
)

GIB = 1 << 30
MIB = 1 << 20
DEFAULT_LIMIT = 100 * MIB
# The server's resident memory must stay under this whatever a function prints: the log
# store's memory cap (64 MiB by default), its write queue and the runtime's own.
RSS_BOUND = 200 * MIB

FLOOD = '''
import sys

def handler(event, context):
    line = "x" * (event["line"] - 1) + "\\n"
    chunk = line * (1048576 // event["line"])  # 1 MiB of lines
    for _ in range(event["mib"]):
        sys.stdout.write(chunk)
    print("flood done", flush=True)
    return {"printed": event["mib"] * len(chunk)}
'''

HELLO = '''
def handler(event, context):
    print("hello after the flood")
    return {"ok": True}
'''


def vm_rss(pid: int) -> int:
    """The process's resident memory in bytes (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


class RssWatch:
    """Samples a process's VmRSS on a thread until stopped; keeps the peak."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = vm_rss(pid)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, vm_rss(self.pid))
            self.samples += 1
            self._stop.wait(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@pytest.mark.parametrize("line", [1024, MIB], ids=["1KiB-lines", "1MiB-lines"])
def test_a_function_printing_1_gib_keeps_the_server_bounded(server_factory, line):
    """Short lines cost the most per byte; long ones (split into 256 KiB events) are the
    most bytes per line (the capture used to hold 10,000 lines of up to 256 KiB)."""
    srv = server_factory()
    client = make_client(srv, read_timeout=900)
    logs = make_logs_client(srv)
    pid = srv.proc.pid

    flood = uniq("flood")
    create_function(client, flood, make_zip({"app.py": FLOOD}), Runtime="python3.11",
                    Handler="app.handler", MemorySize=128, Timeout=900)
    wait_active(client, flood)
    hello = uniq("hello")
    create_function(client, hello, make_zip({"app.py": HELLO}), Runtime="python3.11",
                    Handler="app.handler")
    wait_active(client, hello)
    rss_before = vm_rss(pid)

    watch = RssWatch(pid)
    try:
        resp, out = invoke_json(client, flood, {"mib": GIB // MIB, "line": line},
                                LogType="Tail")
    finally:
        peak = watch.stop()
    rss_after = vm_rss(pid)
    print(f"{line}-byte lines: server VmRSS before {rss_before / MIB:.1f} MiB, peak while printing "
          f"1 GiB {peak / MIB:.1f} MiB ({watch.samples} samples), after {rss_after / MIB:.1f} MiB")

    # The invocation completed, as the function meant it to.
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out == {"printed": GIB}, out
    # The tail of its log ends with the truncation line, END and REPORT.
    tail = log_tail(resp)
    dropped = GIB + len("flood done\n") - DEFAULT_LIMIT
    request_id = resp["ResponseMetadata"]["RequestId"]
    end = tail[tail.rfind("x\n") + 2:]  # what follows the last line of x's
    assert f"{request_id} Log truncated: {dropped} bytes of output printed this invocation" in end, end
    assert f"END RequestId: {request_id}" in end and f"REPORT RequestId: {request_id}" in end, end
    # The server's memory stayed bounded while the function printed, and is after.
    assert peak < RSS_BOUND, f"server VmRSS peaked at {peak / MIB:.1f} MiB"
    assert rss_after < RSS_BOUND, f"server VmRSS is {rss_after / MIB:.1f} MiB after the flood"

    # The log stream keeps the first 100 MiB and says how much was dropped, and why (a
    # query that reads the 100 MiB stream back from disk).
    watch = RssWatch(pid)
    try:
        truncated = log_events(logs, flood, '"Log truncated"')
    finally:
        peak_read = watch.stop()
    print(f"{line}-byte lines: server VmRSS peak while reading the stream back: "
          f"{peak_read / MIB:.1f} MiB, after {vm_rss(pid) / MIB:.1f} MiB")
    assert len(truncated) == 1, truncated
    message = truncated[0]["message"]
    assert f"{dropped} bytes" in message and "--log-max-invocation-mb" in message, message
    assert peak_read < RSS_BOUND, f"server VmRSS peaked at {peak_read / MIB:.1f} MiB reading the stream"

    # What is on disk: the kept output as JSON lines, far from the 1 GiB printed.
    def stored():
        g = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{flood}")["logGroups"][0]
        return g["storedBytes"] if g["storedBytes"] > DEFAULT_LIMIT else None

    stored_bytes = wait_for("the kept output on disk", stored)
    assert stored_bytes < 2 * DEFAULT_LIMIT, stored_bytes

    # Another function is served as usual.
    resp, out = invoke_json(client, hello, {}, LogType="Tail")
    assert resp["StatusCode"] == 200 and out == {"ok": True}, out
    assert "hello after the flood" in log_tail(resp)
    assert srv.proc.poll() is None
