"""A stopping server leaves nothing of its sandboxes behind, whatever they were doing.

Spare sandboxes are spawned in the background once the server is serving, so a SIGTERM
right after start-up lands while spawns are under way; the reaper and retirements also
destroy environments on background threads. None of that may outlive the server: its
per-server cgroup parent (named in its start log) is gone once it has exited.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _parent_dirs(srv) -> list[Path]:
    """The server's own cgroup parent directories, from its start log line."""
    logs = srv.stdout_text() + srv.stderr_tail(100_000)
    m = re.search(r"cgroup_parent=(\S+)", logs)
    assert m, logs[-3000:]
    parent = m.group(1).strip("/")
    v2 = (CGROUP_ROOT / "cgroup.controllers").is_file() and (
        CGROUP_ROOT / "cgroup.controllers"
    ).read_text().strip()
    if v2:
        return [CGROUP_ROOT / parent]
    return [CGROUP_ROOT / c / parent for c in ("memory", "cpu", "pids", "freezer")]


@pytest.mark.parametrize("round_", range(5))
def test_stop_during_spare_spawns_leaves_no_cgroups(server_factory, round_):
    srv = server_factory()
    dirs = _parent_dirs(srv)
    # No waiting: the spare spawns started as the server became ready.
    assert srv.terminate() == 0, srv.stderr_tail()
    left = [d for d in dirs if d.exists()]
    assert not left, (left, [list(d.iterdir()) for d in left], srv.stderr_tail())
