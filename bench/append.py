"""Signed appends through HTTP vs plain eventsourcing saves, on SQLite and PostgreSQL.

(a) 32 concurrent clients sending single envelopes  vs  Application.save, one event per commit
(b) batches of 100 envelopes  vs  Application.save of 100 aggregates per commit

Run:  .venv/bin/python -m bench.append [--events 4000] [--stores sqlite,postgres]
          [--projections worker|external]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench.http_load import LoadResult, batch_body, run_load
from bench.proc_cpu import tree_cpu_seconds
from bench.table import print_results
from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema, store_environment
from ledger.store_postgres import ensure_schema
from tests.servers import Server
from tests.support import STAFF, World, payload, wfa_request

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = 32
BATCH = 100


class Arrangement(Aggregate):
    """A plain eventsourcing aggregate carrying a payload like a flexible-work request's."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request


def plain_env(url: str) -> dict[str, str]:
    """The same store as Jejak's, with eventsourcing's own recorder."""
    env = store_environment(url)
    env.pop("APPLICATION_RECORDER_TOPIC")
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        ensure_schema(env)
    return env


def plain_single(url: str, events: int, threads: int) -> float:
    """Events/s of Application.save, one new aggregate per commit, from `threads` threads."""
    app = Application[uuid.UUID](env=plain_env(url))
    data = payload("wfa.requested", "x", STAFF, wfa_request())
    per_thread = events // threads

    def work() -> None:
        for _ in range(per_thread):
            app.save(Arrangement(data))

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    rate = per_thread * threads / (time.perf_counter() - started)
    app.close()
    return rate


def plain_batches(url: str, events: int) -> float:
    """Events/s of Application.save of BATCH aggregates per commit."""
    app = Application[uuid.UUID](env=plain_env(url))
    data = payload("wfa.requested", "x", STAFF, wfa_request())
    started = time.perf_counter()
    for _ in range(events // BATCH):
        app.save(*[Arrangement(data) for _ in range(BATCH)])
    rate = events // BATCH * BATCH / (time.perf_counter() - started)
    app.close()
    return rate


def raw_ed25519_us(count: int = 2000) -> float:
    """CPU µs of one raw Ed25519 verification with `cryptography` (the CPU target's unit)."""
    key = Ed25519PrivateKey.generate()
    public, message = key.public_key(), b"x" * 400
    signature = key.sign(message)
    started = time.process_time()
    for _ in range(count):
        public.verify(signature, message)
    return (time.process_time() - started) / count * 1e6


def signed_requests(world: World, prefix: str, count: int) -> list[dict[str, object]]:
    return [
        world.agency_signer.sign(payload("wfa.requested", f"{prefix}-{i}", STAFF, wfa_request()))
        for i in range(count)
    ]


def jejak_runs(
    url: str, events: int, workdir: Path, projections: str
) -> tuple[LoadResult, LoadResult]:
    env = {"JEJAK_DATA_DIR": str(workdir / "data"), "JEJAK_DATABASE_URL": url}
    runtime = open_runtime(Settings.from_env(env))
    world = World(runtime).setup()
    token = world.tokens["agency"]
    runtime.close()
    single = signed_requests(world, "single", events)
    batched = signed_requests(world, "batch", events)
    server = Server(env, workdir / "server.log", "--projections", projections)
    try:
        warmup = signed_requests(world, "warm", 200)
        run_load(
            server.url,
            "/v1/entries",
            token,
            [[json.dumps(e).encode() for e in warmup[i::8]] for i in range(8)],
        )
        per_client = [[json.dumps(e).encode() for e in single[i::CLIENTS]] for i in range(CLIENTS)]
        cpu = tree_cpu_seconds(server.process.pid)
        a = run_load(server.url, "/v1/entries", token, per_client)
        a.server_cpu = tree_cpu_seconds(server.process.pid) - cpu
        bodies = [batch_body(batched[i : i + BATCH]) for i in range(0, len(batched), BATCH)]
        cpu = tree_cpu_seconds(server.process.pid)
        b = run_load(server.url, "/v1/entries/batch", token, [bodies[i::4] for i in range(4)])
        b.server_cpu = tree_cpu_seconds(server.process.pid) - cpu
        b.requests *= BATCH
    finally:
        server.stop()
    for result, expected in ((a, 201), (b, 201)):
        if set(result.statuses) != {expected}:
            raise SystemExit(f"unexpected statuses {result.statuses}; see {workdir}/server.log")
    return a, b


def bench_store(name: str, make_url: Any, events: int, projections: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        base_single = max(
            plain_single(make_url(workdir, "plain1"), events, 1),
            plain_single(make_url(workdir, "plain32"), events, CLIENTS),
        )
        base_batch = plain_batches(make_url(workdir, "plainb"), events * 2)
        a, b = jejak_runs(make_url(workdir, "jejak"), events, workdir, projections)
    rate_a, rate_b = a.requests / a.seconds, b.requests / b.seconds
    ed25519 = raw_ed25519_us()
    cpu_a, cpu_b = a.server_cpu / a.requests * 1e6, b.server_cpu / b.requests * 1e6
    return {
        "store": name,
        "plain_single_eps": round(base_single),
        "jejak_single_eps": round(rate_a),
        "ratio_single": round(rate_a / base_single, 2),
        "p50_ms": round(a.percentile(50) * 1000, 1),
        "p90_ms": round(a.percentile(90) * 1000, 1),
        "p99_ms": round(a.percentile(99) * 1000, 1),
        "plain_batch_eps": round(base_batch),
        "jejak_batch_eps": round(rate_b),
        "ratio_batch": round(rate_b / base_batch, 2),
        "ed25519_us": round(ed25519, 1),
        "cpu_us_single": round(cpu_a),
        "cpu_x_ed25519": round(cpu_a / ed25519, 2),
        "cpu_us_batch": round(cpu_b),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument(
        "--projections",
        choices=["worker", "external"],
        default="worker",
        help="serve with the read-model worker beside it on the same cores (default), or as an"
        " append-only node whose read models are kept elsewhere (not run during the bench)",
    )
    args = parser.parse_args()
    schemas: list[str] = []

    def sqlite_url(workdir: Path, label: str) -> str:
        return f"sqlite:///{workdir}/{label}.db"

    def postgres_url(_: Path, label: str) -> str:
        url = f"{POSTGRES}?schema=bench_{label}_{uuid.uuid4().hex[:8]}"
        schemas.append(url)
        return url

    rows = []
    try:
        for store in args.stores.split(","):
            maker = sqlite_url if store == "sqlite" else postgres_url
            rows.append(bench_store(store, maker, args.events, args.projections))
            print(f"done {store}", file=sys.stderr)
    finally:
        for url in schemas:
            drop_postgres_schema(url)
    print_results("append", rows, events=args.events, clients=CLIENTS, projections=args.projections)


if __name__ == "__main__":
    main()
