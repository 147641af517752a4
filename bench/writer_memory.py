"""One agency log's writer at N entries: append cost, start-up and RSS, in processes of their own.

    PYTHONPATH=. .venv/bin/python bench/writer_memory.py 10000 100000 [--url sqlite|postgres]

For each N: a fresh store gets N entries appended through the writer in requests of 50 (new
units, and every third entry an annotation of a recent one), timed in CPU µs per entry; then a
new process opens the log and appends one entry, and reports the CPU and wall time until that
append was accepted, and its RSS then (VmRSS) and at its peak (VmHWM). Run it once per code
version (`PYTHONPATH=/work/main` for main's writer: the script only uses public entry points)
to compare; prints one JSON line per N.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from tests.support import AGENCY, HEAD, World, payload, unit_payload

BATCH = 50
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _status(field: str) -> int:
    """A /proc/self/status field in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _open(url: str, data: Path) -> Runtime:
    return open_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data), "JEJAK_DATABASE_URL": url}))


def _payloads(start: int, count: int) -> list[dict[str, object]]:
    found = []
    for n in range(start, start + count):
        if n % 3 == 2:
            found.append(
                payload("entry.annotated", f"u{n - 1}", HEAD, {"entry": 0, "note": str(n)})
            )
        else:
            found.append(unit_payload(f"u{n}"))
    return found


def build(url: str, data: Path, entries: int) -> dict[str, float]:
    """Append `entries` entries; the CPU µs per entry of the appends."""
    runtime = _open(url, data)
    try:
        world = World(runtime).setup()
        logs = runtime.logs
        ledger = logs.log(AGENCY)
        cpu = time.process_time()
        wall = time.perf_counter()
        done = 0
        while done < entries:
            count = min(BATCH, entries - done)
            signed = [world.agency_signer.sign(p) for p in _payloads(done, count)]
            ledger.append([ledger.prepare(s) for s in signed])
            done += count
        rows = getattr(ledger.head, "rows", None)  # main's writer has none
        return {
            "row_reads_per_entry": round(rows.loads / entries, 2) if rows is not None else 0,
            "append_cpu_us_per_entry": round((time.process_time() - cpu) / entries * 1e6, 1),
            "append_wall_us_per_entry": round((time.perf_counter() - wall) / entries * 1e6, 1),
            "size": ledger.size,
        }
    finally:
        runtime.close()


def open_and_append(url: str, data: Path) -> dict[str, float]:
    """In this (new) process: open the agency log, append one entry; time and RSS."""
    cpu, wall = time.process_time(), time.perf_counter()
    runtime = _open(url, data)
    try:
        world = World(runtime)
        world.append(unit_payload(f"after-{uuid.uuid4().hex[:8]}"))
        return {
            "startup_cpu_s": round(time.process_time() - cpu, 3),
            "startup_wall_s": round(time.perf_counter() - wall, 3),
            "rss_mb": round(_status("VmRSS") / 1024, 1),
            "peak_rss_mb": round(_status("VmHWM") / 1024, 1),
        }
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("entries", nargs="*", type=int, default=[10_000])
    parser.add_argument("--url", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--open", nargs=2, metavar=("URL", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.open:
        print(json.dumps(open_and_append(args.open[0], Path(args.open[1]))))
        return
    for entries in args.entries:
        with tempfile.TemporaryDirectory() as where:
            data = Path(where) / "data"
            if args.url == "sqlite":
                url = f"sqlite:///{Path(where) / 'bench.db'}"
            else:
                url = f"{POSTGRES}?schema=b_{uuid.uuid4().hex[:10]}"
            try:
                built = build(url, data, entries)
                opened = subprocess.run(
                    [sys.executable, __file__, "--open", url, str(data)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=os.environ,
                )
                result = {"entries": entries, **built, **json.loads(opened.stdout)}
                print(json.dumps(result), flush=True)
            finally:
                if args.url == "postgres":
                    drop_postgres_schema(url)


if __name__ == "__main__":
    main()
