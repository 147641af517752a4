"""CPU per appended entry in process (no HTTP), with and without the subject map.

Appends `--events` requests to one agency in groups of `--group` (what a loaded writer commits
together), on each store; `Ledger.append` is timed with the process's CPU clock, envelopes are
prepared beforehand. The map-off run patches the writer as bench/without_subject_map.py does.
With the map on, the CPU spent in the map's own work is timed apart too: computing the change
and signing the note (`LogSubjectMap.batch`) and inserting its rows (the stores'
`_insert_subject_map`, SQLite only: PostgreSQL inserts them within the group's one statement),
which the whole-append figure, noisy on a shared machine, cannot show
as precisely.

Run:  .venv/bin/python -m bench.subject_map [--events 2000] [--group 32] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ledger.store_sqlite
from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from ledger.subject_map import LogSubjectMap
from tests.support import AGENCY, STAFF, World, payload, wfa_request

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SPENT = {"batch": 0.0, "rows": 0.0}
"""CPU seconds inside the map's work, by part."""


def timed(part: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[part] += time.process_time() - started

    return run


def time_the_map() -> None:
    LogSubjectMap.batch = timed("batch", LogSubjectMap.batch)  # type: ignore[method-assign]
    # on PostgreSQL the rows go in the group's one statement: only the whole append shows them
    ledger.store_sqlite._insert_subject_map = timed("rows", ledger.store_sqlite._insert_subject_map)


def append_cpu_us(url: str, workdir: Path, events: int, group: int) -> float:
    """CPU µs per entry of `Ledger.append` for `events` requests in groups of `group`."""
    runtime = open_runtime(
        Settings.from_env({"JEJAK_DATA_DIR": str(workdir), "JEJAK_DATABASE_URL": url})
    )
    try:
        world = World(runtime).setup()
        logs = runtime.logs
        envelopes = [
            world.agency_signer.sign(payload("wfa.requested", f"m-{i}", STAFF, wfa_request()))
            for i in range(events)
        ]
        submissions = [logs.prepare(e) for e in envelopes]
        ledger = logs.log(AGENCY)
        started = time.process_time()
        for start in range(0, events, group):
            ledger.append(submissions[start : start + group])
        return (time.process_time() - started) / events * 1e6
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--group", type=int, default=32)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--map", choices=["on", "off"], default="on")
    args = parser.parse_args()
    if args.map == "off":
        import bench.without_subject_map  # noqa: F401  (patches the writer on import)
    else:
        time_the_map()
    for store in args.stores.split(","):
        SPENT.update(batch=0.0, rows=0.0)
        with tempfile.TemporaryDirectory() as tmp:
            url = (
                f"sqlite:///{tmp}/bench.db"
                if store == "sqlite"
                else f"{POSTGRES}?schema=bench_map_{uuid.uuid4().hex[:8]}"
            )
            try:
                cpu = append_cpu_us(url, Path(tmp), args.events, args.group)
            finally:
                if store != "sqlite":
                    drop_postgres_schema(url)
        line = f"{store} map={args.map} group={args.group}: append {cpu:.0f} µs CPU per entry"
        if args.map == "on":
            batch, rows = (SPENT[p] / args.events * 1e6 for p in ("batch", "rows"))
            line += f"; of it the map: change and note {batch:.1f}, rows {rows:.1f}"
        print(line)


if __name__ == "__main__":
    main()
