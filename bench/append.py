"""Signed appends through HTTP vs plain eventsourcing saves, on SQLite and PostgreSQL.

The requests of (a) and (b) are bench/workload.py's realistic agency (20 units of 30 staff, each
member a few location days a week): one employee piling up thousands of requests on one day made
the domain's per-employee and per-day sets, and so each append, grow with the run.

(a) 32 concurrent clients sending single envelopes to one agency  vs  Application.save, one
    event per commit; meanwhile how far the read models trail the log is sampled
    (bench/read_lag.py, `lag_p99_s`; target p99 <= 1 s)
(b) batches of 100 envelopes  vs  Application.save of 100 aggregates per commit
(c) 32 clients spread over 8 agencies (8 logs), `jejak serve --workers 1` and `--workers 2` in
    the same run: the logs commit in parallel, so two processes use both cores

Run:  .venv/bin/python -m bench.append [--events 4000] [--stores sqlite,postgres]
          [--projections worker|external] [--runs single,agencies] [--writers 0,1]

With JEJAK_BENCH_SUBJECT_MAP=off the server runs without the subject map
(bench/without_subject_map.py), to measure what the map adds per append.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench.http_load import LoadResult, batch_body, run_load
from bench.proc_cpu import tree_cpu_seconds
from bench.read_lag import LagSampler
from bench.table import print_results
from bench.workload import Staffing
from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from ledger.signing import EnvelopeSigner
from ledger.store import drop_postgres_schema, store_environment
from ledger.store_postgres import ensure_schema
from ledger.tokens import issue_token
from tests.servers import Server
from tests.support import AGENCY, STAFF, World, now, payload, policy_data, signer, wfa_request

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = 32
BATCH = 100
SERVER_MODULE = (
    "bench.without_subject_map" if os.environ.get("JEJAK_BENCH_SUBJECT_MAP") == "off" else "api.cli"
)
"""The CLI module the bench serves through: JEJAK_BENCH_SUBJECT_MAP=off measures without the map."""


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


def signed_requests(
    world: World, people: Staffing, first: int, count: int
) -> list[dict[str, object]]:
    """The agency's requests `first` .. `first + count - 1` of the realistic workload (each
    staff member a few location days a week, at most 9 of a unit's 30 away a day)."""
    found = []
    for k in range(first, first + count):
        kind, subject, actor, data = people.request(k)[0]
        found.append(world.agency_signer.sign(payload(kind, subject, actor, data)))
    return found


def jejak_runs(
    url: str, events: int, workdir: Path, projections: str, writers: int = 0
) -> tuple[LoadResult, LoadResult]:
    env = {"JEJAK_DATA_DIR": str(workdir / "data"), "JEJAK_DATABASE_URL": url}
    runtime = open_runtime(Settings.from_env(env))
    world = World(runtime).setup()
    people = Staffing(AGENCY, 1)
    world.append(*(payload(*event) for event in people.organisation()))
    token = world.tokens["agency"]
    runtime.close()
    single = signed_requests(world, people, 0, events)
    batched = signed_requests(world, people, events, events)
    options = ("--projections", projections, "--writers", str(writers))
    server = Server(env, workdir / "server.log", *options, module=SERVER_MODULE)
    try:
        warmup = signed_requests(world, people, 2 * events, 200)
        run_load(
            server.url,
            "/v1/entries",
            token,
            [[json.dumps(e).encode() for e in warmup[i::8]] for i in range(8)],
        )
        per_client = [[json.dumps(e).encode() for e in single[i::CLIENTS]] for i in range(CLIENTS)]
        cpu = tree_cpu_seconds(server.process.pid)
        with LagSampler(server.url, AGENCY, token) as lag:
            a = run_load(server.url, "/v1/entries", token, per_client)
        a.server_cpu = tree_cpu_seconds(server.process.pid) - cpu
        a.lag_p99 = lag.p99()
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


AGENCIES = 8


@dataclass
class BenchAgency:
    """One agency of the multi-log run: its signer, token and the staff who request."""

    id: str
    signer: EnvelopeSigner
    token: str = ""
    staff: str = ""


def _agency_payloads(agency: BenchAgency) -> list[dict[str, object]]:
    unit, head = f"{agency.id}/unit", f"19750101200003{int(agency.id[-2:]):04d}"
    agency.staff = f"19870312201001{int(agency.id[-2:]):04d}"

    def person(name: str, supervisor: str | None) -> dict[str, object]:
        return {
            "name": name,
            "unit": unit,
            "position": "Analis",
            "supervisor": supervisor,
            "placed_at": "2020-01-01",
            "discipline": "none",
        }

    unit_data = {
        "name": "Unit",
        "public_service": False,
        "service_hours": {"start": "08:00", "end": "16:00"},
        "min_on_site": 0,
    }
    return [
        payload("policy.enacted", f"policy:{agency.id}", head, policy_data(), agency.id),
        payload("unit.registered", unit, head, unit_data, agency.id),
        payload("employee.enrolled", head, head, person("Kepala", None), agency.id),
        payload("employee.enrolled", agency.staff, head, person("Staf", head), agency.id),
    ]


def set_up_agencies(runtime: Runtime, count: int) -> list[BenchAgency]:
    """`count` agencies with a key, a token, a policy, a unit, a head and one requester."""
    agencies = [
        BenchAgency(f"kab-bench-{i:02d}", signer(f"kab-bench-{i:02d}")) for i in range(count)
    ]
    operator, logs = runtime.operator, runtime.logs
    for agency in agencies:
        operator.add_org(agency.id, "agency", agency.id)
        operator.add_key(agency.id, agency.signer.public_key_b64, None, now() - timedelta(days=1))
        agency.token = issue_token(
            runtime.registry.store.recorder, logs.registry_state, "agency", agency.id, "bench", "t"
        )
        logs.append([logs.prepare(agency.signer.sign(p)) for p in _agency_payloads(agency)])
    return agencies


def agencies_run(
    url: str, events: int, workdir: Path, workers: int, projections: str
) -> LoadResult:
    """32 clients, client i appending to agency i mod 8, against `jejak serve --workers N`."""
    env = {"JEJAK_DATA_DIR": str(workdir / "data"), "JEJAK_DATABASE_URL": url}
    runtime = open_runtime(Settings.from_env(env))
    agencies = set_up_agencies(runtime, AGENCIES)
    runtime.close()
    prefix = f"w{workers}"
    per_client: list[list[bytes]] = []
    tokens: list[str] = []
    for client in range(CLIENTS):
        agency = agencies[client % AGENCIES]
        tokens.append(agency.token)
        per_client.append(
            [
                json.dumps(
                    agency.signer.sign(
                        payload(
                            "wfa.requested",
                            f"{agency.id}/{prefix}-{client}-{i}",
                            agency.staff,
                            wfa_request(agency.staff),
                            agency.id,
                        )
                    )
                ).encode()
                for i in range(events // CLIENTS)
            ]
        )
    server = Server(
        env,
        workdir / f"server-{prefix}.log",
        "--workers",
        str(workers),
        "--projections",
        projections,
        module=SERVER_MODULE,
    )
    try:
        warm = [bodies[:4] for bodies in per_client]
        run_load(server.url, "/v1/entries", tokens, warm)
        rest = [bodies[4:] for bodies in per_client]
        cpu = tree_cpu_seconds(server.process.pid)
        result = run_load(server.url, "/v1/entries", tokens, rest)
        result.server_cpu = tree_cpu_seconds(server.process.pid) - cpu
    finally:
        server.stop()
    if set(result.statuses) != {201}:
        raise SystemExit(f"unexpected statuses {result.statuses}; see {workdir}")
    return result


def bench_agencies(name: str, make_url: Any, events: int, projections: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        one = agencies_run(make_url(workdir, "w1"), events, workdir / "w1", 1, projections)
        two = agencies_run(make_url(workdir, "w2"), events, workdir / "w2", 2, projections)
    ed25519 = raw_ed25519_us()
    rate1, rate2 = one.requests / one.seconds, two.requests / two.seconds
    return {
        "store": name,
        "agencies": AGENCIES,
        "workers1_eps": round(rate1),
        "w1_p99_ms": round(one.percentile(99) * 1000, 1),
        "w1_cpu_us": round(one.server_cpu / one.requests * 1e6),
        "workers2_eps": round(rate2),
        "w2_p99_ms": round(two.percentile(99) * 1000, 1),
        "w2_cpu_us": round(two.server_cpu / two.requests * 1e6),
        "ratio_2_to_1": round(rate2 / rate1, 2),
        "ed25519_us": round(ed25519, 1),
    }


def bench_store(
    name: str, make_url: Any, events: int, projections: str, writers: int = 0
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        base_single = max(
            plain_single(make_url(workdir, "plain1"), events, 1),
            plain_single(make_url(workdir, "plain32"), events, CLIENTS),
        )
        base_batch = plain_batches(make_url(workdir, "plainb"), events * 2)
        a, b = jejak_runs(make_url(workdir, "jejak"), events, workdir, projections, writers)
    rate_a, rate_b = a.requests / a.seconds, b.requests / b.seconds
    ed25519 = raw_ed25519_us()
    cpu_a, cpu_b = a.server_cpu / a.requests * 1e6, b.server_cpu / b.requests * 1e6
    return {
        "store": name,
        "writers": writers,
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
        "lag_p99_s": round(a.lag_p99, 2) if projections == "worker" else None,
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
    parser.add_argument(
        "--runs",
        default="single,agencies",
        help="single: (a) and (b), one agency; agencies: (c), 8 agencies, 1 and 2 workers",
    )
    parser.add_argument(
        "--writers",
        default="0",
        help="runs (a) and (b) against `jejak serve --writers W` for each W of this list: 0,"
        " the worker writes the log itself; 1, a writer process of its own (HTTP on one core,"
        " the log's writer on the other)",
    )
    args = parser.parse_args()
    runs = set(args.runs.split(","))
    schemas: list[str] = []

    def sqlite_url(workdir: Path, label: str) -> str:
        return f"sqlite:///{workdir}/{label}.db"

    def postgres_url(_: Path, label: str) -> str:
        url = f"{POSTGRES}?schema=bench_{label}_{uuid.uuid4().hex[:8]}"
        schemas.append(url)
        return url

    rows, multi = [], []
    try:
        for store in args.stores.split(","):
            maker = sqlite_url if store == "sqlite" else postgres_url
            if "single" in runs:
                for writers in (int(w) for w in args.writers.split(",")):
                    rows.append(bench_store(store, maker, args.events, args.projections, writers))
            if "agencies" in runs:
                multi.append(bench_agencies(store, maker, args.events, args.projections))
            print(f"done {store}", file=sys.stderr)
    finally:
        for url in schemas:
            drop_postgres_schema(url)
    if rows:
        print_results(
            "append", rows, events=args.events, clients=CLIENTS, projections=args.projections
        )
    if multi:
        print_results(
            "append-agencies",
            multi,
            events=args.events,
            clients=CLIENTS,
            projections=args.projections,
        )


if __name__ == "__main__":
    main()
