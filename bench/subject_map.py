"""CPU per appended entry in process (no HTTP), with and without the subject map.

Appends `--events` requests to one agency in groups of `--group` (what a loaded writer commits
together), on each store; `Ledger.append` is timed with the process's CPU clock, envelopes are
prepared beforehand. The map-off run patches the writer as bench/without_subject_map.py does.
With the map on, the CPU spent in the map's own work is timed apart too: computing the change
and signing the note (`LogSubjectMap.batch`) and inserting its rows (the stores'
`_insert_subject_map`, SQLite only: PostgreSQL inserts them within the group's one statement),
which the whole-append figure, noisy on a shared machine, cannot show
as precisely. `--map full` runs the writer with the map of the previous release, every subject's
head in memory (`FullLogSubjectMap` below), as the baseline of the bounded cache.

`--subjects N` measures the map alone, without entries (issue #10): N subjects written in
groups of `--group` through the writer's map with its rows stored, then 2,000 updates of random
earlier subjects, with the bounded cache (`LogSubjectMap`) and with the full in-memory map; the
CPU µs per entry of each phase, the head lookups, the resident memory each map adds and what
the bounded cache holds. Each map runs in a process of its own, so its RSS is its own.

Run:  .venv/bin/python -m bench.subject_map [--events 2000] [--group 32] [--stores sqlite,postgres]
      .venv/bin/python -m bench.subject_map --subjects 100000 [--group 32] [--stores ...]
      .venv/bin/python -m bench.subject_map --hit-rates
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError

import ledger.ledger
import ledger.store_sqlite
from ledger.bootstrap import open_runtime
from ledger.records import SubjectMapBatch, SubjectNoteRow
from ledger.settings import Settings
from ledger.signing import CheckpointSigner
from ledger.store import LogRecorder, drop_postgres_schema, open_store
from ledger.subject_map import LogSubjectMap, MapCommit, published_note, stored_proof
from tests.support import AGENCY, STAFF, World, payload, wfa_request
from verification.note import generate_key
from verification.subject_map import (
    SubjectHead,
    SubjectMap,
    SubjectProof,
    bucket_of,
    subject_key,
)

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


class FullLogSubjectMap:
    """The writer's map of the previous release: every subject's head in memory, rebuilt by
    replaying the log at open (the baseline the bounded cache is measured against)."""

    def __init__(self, recorder: LogRecorder, signer: CheckpointSigner) -> None:
        self.recorder = recorder
        self.signer = signer
        self.map = SubjectMap()

    def replay(self, heads: Sequence[SubjectHead], size: int) -> None:
        self.map.set_heads(heads)

    def batch(self, heads: Iterable[SubjectHead], size: int) -> tuple[SubjectMapBatch, MapCommit]:
        change = self.map.change(heads)
        note = SubjectNoteRow(size, change.root, self.signer.sign_subject_map(size, change.root))
        return SubjectMapBatch(change.rows(), note), MapCommit(size, change)

    def committed(self, commit: MapCommit) -> None:
        self.map.apply(commit.change)

    def head(self, subject: str) -> tuple[int, bytes] | None:
        key = subject_key(subject)
        return self.map.buckets.get(bucket_of(key), {}).get(key)

    def store_if_missing(self, size: int, checkpoint_size: int | None) -> bool:
        if checkpoint_size is None or checkpoint_size != size:
            return False
        latest = self.recorder.subject_note(None)
        if latest is not None and latest.size >= size:
            return False
        root = self.map.root
        note = SubjectNoteRow(size, root, self.signer.sign_subject_map(size, root))
        try:
            self.recorder.insert_subject_map(SubjectMapBatch(self.map.bodies(), note))
        except IntegrityError:
            return False
        return True

    def note(self, size: int) -> SubjectNoteRow:
        return published_note(self.recorder, size)

    def proof(self, subject: str, size: int) -> SubjectProof:
        return stored_proof(self.recorder, subject, size)


def time_the_map(kind: type[Any] = LogSubjectMap) -> None:
    kind.batch = timed("batch", kind.batch)
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
    parser.add_argument("--map", choices=["on", "full", "off"], default="on")
    parser.add_argument("--subjects", type=int, default=0, help="measure the map alone")
    parser.add_argument("--variants", default="bounded,full", help="with --subjects")
    parser.add_argument("--hit-rates", action="store_true", help="simulate CACHE_BUCKETS")
    parser.add_argument("--isolated", choices=["bounded", "full"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hit_rates:
        hit_rates()
        return
    if args.isolated:
        print(json.dumps(map_alone(args.stores, args.isolated, args.subjects, args.group)))
        return
    if args.subjects:
        compare_maps(args.stores.split(","), args.subjects, args.group, args.variants.split(","))
        return
    if args.map == "off":
        import bench.without_subject_map  # noqa: F401  (patches the writer on import)
    elif args.map == "full":
        ledger.ledger.LogSubjectMap = FullLogSubjectMap  # type: ignore[misc,assignment]
        time_the_map(FullLogSubjectMap)
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
        if args.map != "off":
            batch, rows = (SPENT[p] / args.events * 1e6 for p in ("batch", "rows"))
            line += f"; of it the map: change and note {batch:.1f}, rows {rows:.1f}"
        print(line)


UPDATES = 2000
HEAD_LOOKUPS = 2000


def follow_up_hit_rate(capacity: int, mean_delay: float, entries: int = 60000) -> float:
    """The share of follow-up entries whose bucket an LRU of `capacity` buckets still holds,
    when each new subject gets 3 follow-ups a random (exponential) number of entries later of
    mean `mean_delay`: what `CACHE_BUCKETS` is chosen by (`--hit-rates`)."""
    rnd = random.Random(1)
    lru: OrderedDict[int, None] = OrderedDict()
    due: list[tuple[float, str]] = []
    hits = follow_ups = new = 0
    for at in range(entries):
        follow_up = bool(due) and due[0][0] <= at
        if follow_up:
            subject = heapq.heappop(due)[1]
            follow_ups += 1
        else:
            subject = f"new-{new}"
            new += 1
            for _ in range(3):
                heapq.heappush(due, (at + rnd.expovariate(1 / mean_delay), subject))
        bucket = bucket_of(subject_key(subject))
        if bucket in lru:
            hits += follow_up
            lru.move_to_end(bucket)
        else:
            lru[bucket] = None
            if len(lru) > capacity:
                lru.popitem(last=False)
    return hits / follow_ups


def hit_rates() -> None:
    capacities = (256, 1024, 2048, 4096, 16384)
    print("follow-ups finding their bucket cached, by cache capacity (buckets)")
    print("mean delay  " + "".join(f"{c:>8}" for c in capacities))
    for delay in (100, 1000, 10000):
        rates = "".join(f"{follow_up_hit_rate(c, delay):>8.0%}" for c in capacities)
        print(f"{delay:>10}  {rates}")


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _store_url(store: str, tmp: str) -> str:
    if store == "sqlite":
        return f"sqlite:///{tmp}/bench.db"
    return f"{POSTGRES}?schema=bench_map_{uuid.uuid4().hex[:8]}"


def map_alone(store: str, variant: str, subjects: int, group: int) -> dict[str, object]:
    """One map's figures (run in a process of its own: `--isolated`)."""
    private, _ = generate_key("bench.test")
    with tempfile.TemporaryDirectory() as tmp:
        url = _store_url(store, tmp)
        opened = open_store(url)
        try:
            recorder = opened.log(AGENCY).recorder
            signer = CheckpointSigner("bench.test", private).for_log(AGENCY)
            return _map_figures(recorder, signer, variant, subjects, group)
        finally:
            opened.close()
            if store != "sqlite":
                drop_postgres_schema(url)


def _map_figures(
    recorder: LogRecorder, signer: CheckpointSigner, variant: str, subjects: int, group: int
) -> dict[str, object]:
    writer: LogSubjectMap | FullLogSubjectMap = (
        LogSubjectMap(recorder, signer)
        if variant == "bounded"
        else FullLogSubjectMap(recorder, signer)
    )
    inserting = [0.0]

    def commit(heads: list[SubjectHead], size: int) -> None:
        batch, change = writer.batch(heads, size)
        started = time.process_time()
        recorder.insert_subject_map(batch)
        inserting[0] += time.process_time() - started
        writer.committed(change)

    def leaf(subject: str, version: int) -> bytes:
        return hashlib.sha256(f"{subject}/{version}".encode()).digest()

    rss_before = _status_kb("VmRSS")
    size = 0
    started = time.process_time()
    for start in range(0, subjects, group):
        heads = [
            (f"m-{i}", 1, leaf(f"m-{i}", 1)) for i in range(start, min(subjects, start + group))
        ]
        size += len(heads)
        commit(heads, size)
    build = time.process_time() - started
    build_rows = inserting[0]
    rss_built = _status_kb("VmRSS")
    chosen = random.Random(10).sample(range(subjects), UPDATES)
    inserting[0] = 0.0
    started = time.process_time()
    for start in range(0, UPDATES, group):
        heads = [(f"m-{i}", 2, leaf(f"m-{i}", 2)) for i in chosen[start : start + group]]
        size += len(heads)
        commit(heads, size)
    update = time.process_time() - started
    update_rows = inserting[0]
    lookups = [f"m-{i}" for i in random.Random(11).sample(range(subjects), HEAD_LOOKUPS)]
    started = time.process_time()
    found = sum(writer.head(s) is not None for s in lookups)
    head_cold = time.process_time() - started
    started = time.process_time()
    found += sum(writer.head(s) is not None for s in lookups[-100:] * 20)
    head_warm = time.process_time() - started
    assert found == HEAD_LOOKUPS * 2
    figures: dict[str, object] = {
        "build_us": build / subjects * 1e6,
        "build_rows_us": build_rows / subjects * 1e6,
        "update_us": update / UPDATES * 1e6,
        "update_rows_us": update_rows / UPDATES * 1e6,
        "head_cold_us": head_cold / HEAD_LOOKUPS * 1e6,
        "head_warm_us": head_warm / HEAD_LOOKUPS * 1e6,
        "rss_added_mb": (rss_built - rss_before) / 1024,
    }
    if isinstance(writer, LogSubjectMap):
        figures["cached_bodies"] = len(writer.nodes)
        figures["cached_kb"] = writer.nodes.cached_bytes() / 1024
        started = time.process_time()
        opened = LogSubjectMap(recorder, signer)
        assert opened.resume(size)
        figures["open_ms"] = (time.process_time() - started) * 1e3
    else:
        heads = [(f"m-{i}", 1, leaf(f"m-{i}", 1)) for i in range(subjects)]
        started = time.process_time()
        SubjectMap().set_heads(heads)  # what opening replays into the map (entries apart)
        figures["open_ms"] = (time.process_time() - started) * 1e3
    return figures


def compare_maps(
    stores: list[str], subjects: int, group: int, variants: Sequence[str] = ("bounded", "full")
) -> None:
    print(
        f"the writer's map alone, {subjects} subjects in groups of {group}, then {UPDATES}"
        " updates of random earlier subjects (CPU µs per entry; rows: of it the insert)"
    )
    for store in stores:
        for variant in variants:
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.subject_map",
                    "--isolated",
                    variant,
                    "--stores",
                    store,
                    "--subjects",
                    str(subjects),
                    "--group",
                    str(group),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            f = json.loads(run.stdout.strip().splitlines()[-1])
            line = (
                f"{store:8} {variant:7}: build {f['build_us']:6.1f}"
                f" (rows {f['build_rows_us']:5.1f})"
                f"  update {f['update_us']:6.1f} (rows {f['update_rows_us']:5.1f})"
                f"  head cold {f['head_cold_us']:5.1f} warm {f['head_warm_us']:4.1f}"
                f"  RSS +{f['rss_added_mb']:5.1f} MB  open {f['open_ms']:6.1f} ms"
            )
            if variant == "bounded":
                line += f"  cache {f['cached_bodies']} bodies {f['cached_kb']:.0f} KB"
            print(line)


if __name__ == "__main__":
    main()
