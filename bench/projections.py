"""Projection catch-up of one agency log vs reading and deserialising the same entries; as-of
reconstruction.

(a) catch-up rate of every read model of the agency log from scratch  vs  reading its entries
    by index + decoding them alone (the limit), on the same log in the same run; target >= 0.3
(b) median time to reconstruct one subject as of an instant (state, flags and its entries)
Per entry, next to reading alone: reading + decoding the envelope and payload JSON (no checks),
reading + the domain fold the projector runs (parse, validate, record; no rows written), the
whole catch-up, and what the target allows in all (reading / 0.3).
Run:  .venv/bin/python -m bench.projections [--events 100000] [--stores sqlite,postgres]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.table import print_results
from domain.state import LedgerState
from ledger.bootstrap import Runtime, open_runtime
from ledger.records import EntryRecorded
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from projections.decode import to_entry
from projections.runner import ProjectionRunner
from tests.support import AGENCY, HEAD, STAFF, STAFF2, World, payload, wfa_request

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 500


def _request(n: int) -> list[dict[str, object]]:
    """Three events of one request: asked, approved by the supervisor, output reported."""
    who = STAFF if n % 2 == 0 else STAFF2
    day = (datetime.now(UTC).date() + timedelta(days=7 + n % 300)).isoformat()
    data = {**wfa_request(who), "dates": [day]}
    output = {
        "date": day,
        "outputs": [{"title": "laporan", "target": "t1", "evidence_sha256": None}],
    }
    rid = f"bench-{n}"
    return [
        payload("wfa.requested", rid, who, data),
        payload("wfa.approved", rid, HEAD, {"note": "ok"}),
        payload("work.output_reported", rid, who, output),
    ]


def build_log(runtime: Runtime, events: int) -> int:
    world = World(runtime).setup()
    pending: list[dict[str, object]] = []
    n = 0
    ledger = runtime.logs.log(AGENCY)
    while ledger.size + len(pending) < events:
        pending += _request(n)
        n += 1
        if len(pending) >= BATCH:
            world.append(*pending)
            pending = []
            print(f"\rlog {ledger.size}/{events}", end="", file=sys.stderr)
    if pending:
        world.append(*pending)
    print(file=sys.stderr)
    return n


def _entries(runtime: Runtime) -> Iterator[EntryRecorded]:
    """The agency log's entries by index, as the runner reads them."""
    store = runtime.logs.log(AGENCY).store
    start = 0
    while found := store.recorder.entries(start, start + 1000):
        for stored in found:
            yield store.decode(stored)
        start = found[-1].index + 1


def read_only(runtime: Runtime) -> float:
    """Entries/s of reading and deserialising the whole agency log, nothing else."""
    started, count = time.perf_counter(), 0
    for _ in _entries(runtime):
        count += 1
    return count / (time.perf_counter() - started)


def decode_only_us(runtime: Runtime) -> float:
    """µs per entry to read and decode each envelope and payload (JSON, base64), no checks."""
    started, count = time.perf_counter(), 0
    for recorded in _entries(runtime):
        envelope = json.loads(recorded.envelope_json)
        json.loads(base64.b64decode(envelope["payload"]))
        count += 1
    return (time.perf_counter() - started) / count * 1e6


def fold_only_us(runtime: Runtime) -> float:
    """µs per entry to read, parse and fold every entry through the domain, writing nothing."""
    registry = runtime.logs.registry_state
    state = LedgerState(AGENCY, registry, allow_gaps=True, keep_steps=True)
    started, count = time.perf_counter(), 0
    for recorded in _entries(runtime):
        state.record(to_entry(recorded))
        count += 1
    return (time.perf_counter() - started) / count * 1e6


def as_of_ms(runtime: Runtime, requests: int, samples: int) -> float:
    """Median ms to rebuild one subject's view and entries as of an instant."""
    ledger, times = runtime.logs.log(AGENCY), []
    subjects = [f"bench-{random.randrange(requests)}" for _ in range(samples)]
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


def bench_store(name: str, url: str, events: int, workdir: Path) -> dict[str, Any]:
    settings = Settings.from_env({"JEJAK_DATA_DIR": str(workdir / name), "JEJAK_DATABASE_URL": url})
    runtime = open_runtime(settings)
    try:
        requests = build_log(runtime, events)
        limit = max(read_only(runtime), read_only(runtime))
        runner = ProjectionRunner(runtime.logs.stores)
        started = time.perf_counter()
        folded = runner.rebuild(AGENCY)
        rate = folded / (time.perf_counter() - started)
        runner.close()
        median = as_of_ms(runtime, requests, 200)
        decode_us, fold_us = decode_only_us(runtime), fold_only_us(runtime)
    finally:
        runtime.close()
    read_us = 1e6 / limit
    return {
        "store": name,
        "entries": events,
        "read_only_eps": round(limit),
        "catch_up_eps": round(rate),
        "ratio": round(rate / limit, 2),
        "as_of_median_ms": round(median, 2),
        "read_us": round(read_us, 1),
        "read_decode_us": round(decode_us, 1),
        "read_fold_us": round(fold_us, 1),
        "catch_up_us": round(1e6 / rate, 1),
        "target_us": round(read_us / 0.3, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    rows, schemas = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for store in args.stores.split(","):
                if store == "sqlite":
                    url = f"sqlite:///{tmp}/bench.db"
                else:
                    url = f"{POSTGRES}?schema=bench_proj_{uuid.uuid4().hex[:8]}"
                    schemas.append(url)
                rows.append(bench_store(store, url, args.events, Path(tmp)))
                print(f"done {store}", file=sys.stderr)
    finally:
        for url in schemas:
            drop_postgres_schema(url)
    print_results("projections", rows, target_ratio=0.3)


if __name__ == "__main__":
    main()
