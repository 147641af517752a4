"""CPU seconds used by a process and its live descendants, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (of every thread of it)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _own_seconds(pid: int) -> float:
    """utime + stime + the reaped children's cutime + cstime of one process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and every live descendant (all the server's processes)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += _own_seconds(current)
        pending += children(current)
    return total
