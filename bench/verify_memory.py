"""Time and peak RSS per phase of verifying one bundle file, in a process of its own.

Run by `bench.verify --bundle PATH` (which builds PATH once and reuses it), or directly:
`.venv/bin/python -m bench.verify_memory PATH KEYFILE [WORKERS]`. Prints one JSON object.
With WORKERS > 1 (default 1: one process) the entries' own checks run in the pool's workers:
the split by parts then covers the main process only, and the workers' peak RSS is the
largest of theirs (`getrusage` of the children once they ended).

The phases: reading the file for its ranges (`scan`); the one pass over the records, split by
timers around its parts into parsing the lines, signatures over PAE (with the key rules),
inclusion and range proofs, and the rule replay (the rest of the pass is leaf and chain checks);
finishing (the claim, the views of the claimed subjects) and printing the report. Peak RSS per
phase: the kernel's high-water mark, reset at the start of each phase (`/proc/self/clear_refs`).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verification import entries, facts, layout, logcheck, report, verifier


def _status(field: str) -> int:
    """A /proc/self/status field in kB (0 where there is none)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _children_peak_kb() -> int:
    """The largest peak RSS of the children that ended (the pool's workers), in kB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class _Clock:
    """Seconds spent inside wrapped functions, by part (nested calls count in the inner part)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.inner = 0.0

    def wrap(self, part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            outer, self.inner = self.inner, 0.0
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                took = time.perf_counter() - start
                self.spent[part] = self.spent.get(part, 0.0) + took - self.inner
                self.inner = outer + took

        return timed


def measure(path: str, log_key: str, workers: int = 1) -> dict[str, object]:
    clock = _Clock()
    wrapped = [
        (layout, "parse_record", "parse"),
        (layout, "decode", "parse"),
        (facts, "parse_event", "parse"),
        (facts, "_payload", "signatures"),
        (entries.LogEntries, "_payload", "signatures"),
        (entries.LogEntries, "_replay", "replay"),
        (logcheck.Inclusion, "entry", "proofs"),
        (logcheck.Inclusion, "finish_range", "proofs"),
        (logcheck.Inclusion, "finish", "proofs"),
    ]
    for owner, name, part in wrapped:
        setattr(owner, name, clock.wrap(part, getattr(owner, name)))
    phases: list[dict[str, object]] = []
    current: list[str] = []  # the phase under way, if any
    started = {"wall": 0.0, "cpu": 0.0}

    def begin(name: str) -> None:
        if current:
            end_phase()
        _reset_peak()
        cpu = os.times()
        current.append(name)
        started.update(wall=time.perf_counter(), cpu=cpu.user + cpu.system)

    def end_phase() -> None:
        cpu = os.times()
        phases.append(
            {
                "phase": current.pop(),
                "seconds": round(time.perf_counter() - started["wall"], 2),
                "cpu_s": round(cpu.user + cpu.system - started["cpu"], 2),
                "peak_rss_mb": round(_status("VmHWM") / 1024, 1),
                "rss_after_mb": round(_status("VmRSS") / 1024, 1),
            }
        )

    def heard(phase: str, done: int, total: int) -> None:
        if current != [phase]:
            begin(phase)

    baseline = _status("VmRSS") / 1024
    with open(path, "rb") as stream:
        outcome = verifier.verify_stream(stream, log_key, phases=heard, workers=workers)
    begin("report")
    text = report.render_text(outcome)
    end_phase()
    return {
        "bundle": path,
        "bytes": os.path.getsize(path),
        "entries": sum(s.entries for s in outcome.logs.values()),
        "verdict": outcome.verdict,
        "report_lines": text.count("\n"),
        "rss_at_start_mb": round(baseline, 1),
        "peak_rss_mb": round(max(float(str(p["peak_rss_mb"])) for p in phases), 1),
        "phases": phases,
        "workers": workers,
        "workers_peak_rss_mb": round(_children_peak_kb() / 1024, 1),
        "pass_split_s": {part: round(s, 2) for part, s in sorted(clock.spent.items())},
    }


def main() -> None:
    path, key_file = sys.argv[1], sys.argv[2]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    found = measure(path, Path(key_file).read_text().strip(), workers)
    print(json.dumps(found))


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__)
    main()
    sys.stdout.flush()
