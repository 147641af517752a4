"""What bench/scale.py reads of a process from /proc (Linux): memory, CPU, children, birth."""

from __future__ import annotations

import os
from pathlib import Path

from bench.proc_cpu import children

TICKS = os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM); 0 when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return stat[stat.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (its children are counted on their own)."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def started_at(pid: int) -> float:
    """The wall-clock instant (time.time()) the process was created, to 1/TICKS s."""
    fields = _stat_fields(pid)
    boot = next(
        int(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime ")
    )
    return boot + int(fields[19]) / TICKS


def descendants(pid: int) -> list[int]:
    found, pending = [], children(pid)
    while pending:
        current = pending.pop()
        found.append(current)
        pending += children(current)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def rss_mb(pids: list[int]) -> float:
    """VmRSS of the processes, summed (pages they share are counted in each)."""
    return sum(status_kb(pid, "VmRSS") for pid in pids) / 1024
