"""Projection catch-up of one agency log vs reading and deserialising the same entries; as-of
reconstruction.

(a) catch-up rate of every read model of the agency log from scratch  vs  reading its entries
    by index + decoding them alone (the baseline), on the same log in the same run; target
    catch-up >= 0.3 x the baseline's rate (PASS/MISS)
(b) median time to reconstruct one subject as of an instant (state, flags and its entries)

The workload is bench/workload.py's: by default the realistic agency (units of 30 staff, at
most 30 % of a unit away a day); `--heavy` is the former one (two staff taking turns, ~111
bookings on each unit-day at 10^5 entries). Per entry, in µs of this process's CPU (wall µs
beside it; on PostgreSQL the server's CPU is not in it): reading + deserialising alone (the
baseline), reading + decoding each entry as the projector does (its payload into the domain's
models), reading + decoding + the domain fold the projector runs (every value in memory, no rows
written), the whole catch-up, and what the target allows in all (baseline / 0.3). Each of the
baseline and the catch-up is run twice, alternating, and the better of each kept.
Run:  .venv/bin/python -m bench.projections [--events 100000] [--stores sqlite,postgres]
      [--units 20] [--heavy]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.table import print_results
from bench.workload import Staffing
from domain.entry import Entry
from domain.state import LedgerState
from ledger.bootstrap import Runtime, open_runtime
from ledger.records import EntryRecorded
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from projections.decode import decode_entry, payload_of, stored_fields
from projections.runner import ProjectionRunner
from tests.support import AGENCY, World, payload

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 1000  # envelopes per in-process append
TARGET = 0.3


def log(text: str, end: str = "\n") -> None:
    print(text, end=end, file=sys.stderr, flush=True)


def build_log(runtime: Runtime, events: int, people: Staffing) -> int:
    """The agency (World's key and policy), its units and staff, then requests until the log
    holds `events` entries; answer the number of requests."""
    world = World(runtime).setup()
    world.append(*(payload(*event) for event in people.organisation()))
    ledger = runtime.logs.log(AGENCY)
    pending: list[dict[str, object]] = []
    k = 0
    while ledger.size + len(pending) < events:
        pending += [payload(*event) for event in people.request(k)]
        k += 1
        if len(pending) >= BATCH:
            world.append(*pending)
            pending = []
            log(f"\r  log: {ledger.size}/{events} entries", end="")
    if pending:
        world.append(*pending)
    log("")
    return k


def _entries(runtime: Runtime) -> Iterator[EntryRecorded]:
    """The agency log's entries by index, as the runner reads them."""
    store = runtime.logs.log(AGENCY).store
    start = 0
    while found := store.recorder.entries(start, start + 1000):
        for stored in found:
            yield store.decode(stored)
        start = found[-1].index + 1


def timed(run: Callable[[], int]) -> tuple[int, float, float]:
    """(entries, wall s, CPU s of this process) of one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return count, time.perf_counter() - wall, time.process_time() - cpu


def read_only(runtime: Runtime) -> int:
    """Read and deserialise the whole agency log, nothing else (the baseline)."""
    return sum(1 for _ in _entries(runtime))


def _decoded(runtime: Runtime) -> Iterator[Entry]:
    """The agency log's entries read by index and decoded as the projector decodes them
    (`projections.decode`: the stored event's fields, envelope, leaf and payload, once)."""
    store = runtime.logs.log(AGENCY).store
    mapper = store.shared.app.mapper
    start = 0
    while found := store.recorder.entries(start, start + 1000):
        for stored in found:
            index, envelope_json, leaf_json = stored_fields(stored, mapper)
            envelope, leaf = orjson.loads(envelope_json), orjson.loads(leaf_json)
            raw = payload_of(envelope, stored.payload)
            if raw is not None:
                yield decode_entry(index, envelope, raw, leaf)
        start = found[-1].index + 1


def decode_only(runtime: Runtime) -> int:
    """Read and decode each entry as the projector does (its payload into the domain's
    models), no fold."""
    return sum(1 for _ in _decoded(runtime))


def fold_only(runtime: Runtime) -> int:
    """Read, decode and fold every entry through the domain as the projector does (no steps
    kept), every value in memory, no rows."""
    state = LedgerState(AGENCY, runtime.logs.registry_state, allow_gaps=True)
    count = 0
    for entry in _decoded(runtime):
        state.refold(entry)
        count += 1
    return count


def as_of_ms(runtime: Runtime, requests: int, samples: int) -> float:
    """Median ms to rebuild one subject's view and entries as of an instant."""
    ledger, times = runtime.logs.log(AGENCY), []
    subjects = [f"{AGENCY}/bench-{random.randrange(requests)}" for _ in range(samples)]
    for subject in subjects:
        started = time.perf_counter()
        at = datetime.now(UTC)
        view = ledger.agency_state.subject_view(subject, at)
        wanted = set(view.indexes if view else ())
        entries = [e for e in ledger.subject_events(subject) if e.index in wanted]
        if not entries:
            raise SystemExit(f"no entries for {subject}")
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _us(found: tuple[int, float, float]) -> tuple[float, float]:
    """(CPU µs, wall µs) per entry."""
    count, wall, cpu = found
    return cpu / count * 1e6, wall / count * 1e6


def bench_store(name: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    settings = Settings.from_env({"JEJAK_DATA_DIR": str(workdir / name), "JEJAK_DATABASE_URL": url})
    runtime = open_runtime(settings)
    people = Staffing(AGENCY, 1, units=args.units, heavy=args.heavy)
    try:
        requests = build_log(runtime, args.events, people)
        entries = runtime.logs.log(AGENCY).size
        runner = ProjectionRunner(runtime.logs.stores)

        def rebuild() -> int:
            return runner.rebuild(AGENCY)

        reads, catch_ups = [], []
        for turn in range(2):  # alternate, keep the better of each
            log(f"  baseline and catch-up, turn {turn + 1}/2")
            reads.append(timed(lambda: read_only(runtime)))
            catch_ups.append(timed(rebuild))
        runner.close()
        read, catch_up = min(reads, key=lambda r: r[1]), min(catch_ups, key=lambda r: r[1])
        log("  breakdown and as-of")
        decode, fold = timed(lambda: decode_only(runtime)), timed(lambda: fold_only(runtime))
        median = as_of_ms(runtime, requests, 200)
    finally:
        runtime.close()
    read_cpu, read_wall = _us(read)
    catch_cpu, catch_wall = _us(catch_up)
    ratio = read_wall / catch_wall
    return {
        "store": name,
        "workload": "heavy" if args.heavy else f"{args.units}x30",
        "entries": entries,
        "read_eps": round(1e6 / read_wall),
        "catch_up_eps": round(1e6 / catch_wall),
        "ratio": round(ratio, 3),
        "verdict": "PASS" if ratio >= TARGET else "MISS",
        "cpu_ratio": round(read_cpu / catch_cpu, 3),
        "read_cpu_us": round(read_cpu, 1),
        "decode_cpu_us": round(_us(decode)[0], 1),
        "fold_cpu_us": round(_us(fold)[0], 1),
        "catch_up_cpu_us": round(catch_cpu, 1),
        "catch_up_wall_us": round(catch_wall, 1),
        "target_us": round(read_wall / TARGET, 1),
        "as_of_ms": round(median, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--units", type=int, default=20, help="units of 30 staff (realistic)")
    parser.add_argument("--heavy", action="store_true", help="the former heavy workload")
    args = parser.parse_args()
    rows, schemas = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for store in args.stores.split(","):
                log(f"{store}:")
                if store == "sqlite":
                    url = f"sqlite:///{tmp}/bench.db"
                else:
                    url = f"{POSTGRES}?schema=bench_proj_{uuid.uuid4().hex[:8]}"
                    schemas.append(url)
                rows.append(bench_store(store, url, args, Path(tmp)))
    finally:
        for url in schemas:
            drop_postgres_schema(url)
    print_results("projections", rows, target_ratio=TARGET)


if __name__ == "__main__":
    main()
