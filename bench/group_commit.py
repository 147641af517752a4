"""The fixed cost of a commit group: one log, groups of one entry, in process (no HTTP).

With one log per agency most commit groups hold one or two entries (32 clients over 50 logs
make groups of ~1.3), so what a group costs beside its entries decides the CPU per entry.
This appends `--entries` signed `unit.registered` one at a time to one agency log and prints
CPU µs per entry (this process: the writer thread included; the database server's own CPU is
not counted), beside plain eventsourcing saving one event per commit on the same store.

Run:  .venv/bin/python -m bench.group_commit [--entries 1500] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench.append import POSTGRES, plain_env
from bench.table import print_results
from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from tests.support import AGENCY, World, unit_payload

WARM = 100


class Unit(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name


def plain_cpu_us(url: str, entries: int) -> float:
    """Plain eventsourcing: one new aggregate per save (one commit), CPU µs each."""
    app: Application[uuid.UUID] = Application(env=plain_env(url))
    try:
        for i in range(WARM):
            app.save(Unit(f"warm-{i}"))
        started = time.process_time()
        for i in range(entries):
            app.save(Unit(f"unit-{i}"))
        return (time.process_time() - started) / entries * 1e6
    finally:
        app.close()


def jejak_cpu_us(url: str, workdir: Path, entries: int) -> tuple[float, float]:
    """Jejak: signed entries appended one per group to one agency log; CPU and wall µs each."""
    env = {"JEJAK_DATA_DIR": str(workdir / "data"), "JEJAK_DATABASE_URL": url}
    runtime = open_runtime(Settings.from_env(env))
    try:
        world = World(runtime).setup()
        ledger = runtime.logs.log(AGENCY)
        sign = world.agency_signer.sign
        prepared = [
            ledger.prepare(sign(unit_payload(f"{AGENCY}/u-{i}"))) for i in range(WARM + entries)
        ]
        for submission in prepared[:WARM]:
            ledger.append([submission])
        cpu, wall = time.process_time(), time.perf_counter()
        for submission in prepared[WARM:]:
            ledger.append([submission])
        return (
            (time.process_time() - cpu) / entries * 1e6,
            (time.perf_counter() - wall) / entries * 1e6,
        )
    finally:
        runtime.close()


def run(store: str, entries: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        urls = [
            f"sqlite:///{workdir}/{label}.db"
            if store == "sqlite"
            else f"{POSTGRES}?schema=bench_gc_{label}_{uuid.uuid4().hex[:8]}"
            for label in ("plain", "jejak")
        ]
        try:
            plain = plain_cpu_us(urls[0], entries)
            jejak, wall = jejak_cpu_us(urls[1], workdir, entries)
        finally:
            if store == "postgres":
                for url in urls:
                    drop_postgres_schema(url)
    return {
        "store": store,
        "plain_cpu_us": round(plain),
        "jejak_cpu_us": round(jejak),
        "jejak_wall_us": round(wall),
        "ratio_cpu": round(jejak / plain, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1500)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    rows = [run(store, args.entries) for store in args.stores.split(",")]
    print_results("group-commit", rows, entries=args.entries, group=1)


if __name__ == "__main__":
    main()
