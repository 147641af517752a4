"""One agency's failing stream beside other agencies' normal appends: does anyone else notice?

Run:  .venv/bin/python -m bench.isolation [--store sqlite|postgres] [--seconds 10]
          [--workers 2] [--clients 8] [--poison-clients 4]

One `jejak serve --workers N` on a new store with `--agencies` agencies (bench/append.py's
set-up: a policy, a unit, a head and a requester each). Agency 0 is the poisoned one; the others
are the bystanders. Three phases of `--seconds` each, in the same run:

  alone     `--clients` clients append valid `wfa.requested` to the bystanders (round robin);
  valid     the same, and `--poison-clients` clients append valid requests to agency 0: the
            cost of agency 0 being merely busy, the baseline the poison phase is compared with;
  poison    the same bystanders, and the `--poison-clients` clients send agency 0 a stream of
            envelopes that every one fail: decisions and outputs for requests that do not
            exist, an unknown actor, a signature by another agency's key, a flipped signature
            byte, a date out of bounds, a subject in another agency's namespace.

Printed per phase: the bystanders' entries/s, p50/p99 latency, their statuses, agency 0's
answers, agency 0's log size before and after (the poison phase must store nothing), server CPU
µs per request (all server processes, from /proc), and how long after the phase every
bystander's read models answered for its newest receipt (GET /v1/agencies/{a}/requests
?min_index=, which waits and answers 503 `projection-lag` while behind).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.append import POSTGRES, BenchAgency, set_up_agencies
from bench.http_load import read_response, request_bytes
from bench.proc_cpu import tree_cpu_seconds
from bench.table import print_results
from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from tests.servers import Server
from tests.support import payload, wfa_request

AGENCIES = 4
POISON_KINDS = (
    "decision-for-unknown-request",
    "output-for-unknown-request",
    "unknown-actor",
    "signed-by-another-agency",
    "flipped-signature-byte",
    "date-out-of-bounds",
    "subject-of-another-agency",
)


class ReadModelsStalledError(RuntimeError):
    """A bystander's read models did not answer for its newest receipt within 120 s."""


@dataclass
class Phase:
    """What one phase measured: the bystanders' appends and agency 0's answers."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    newest: dict[str, int] = field(default_factory=dict)  # bystander -> newest receipt index
    target_statuses: dict[str, dict[int, int]] = field(default_factory=dict)  # kind -> statuses
    target_size: tuple[int, int] = (0, 0)  # agency 0's log size before and after
    server_cpu: float = 0.0
    caught_up_s: float = 0.0

    @property
    def accepted(self) -> int:
        return self.statuses.get(201, 0)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0

    def row(self) -> dict[str, object]:
        target = sum(sum(s.values()) for s in self.target_statuses.values())
        requests = self.accepted + target
        return {
            "phase": self.name,
            "bystander_eps": round(self.accepted / self.seconds),
            "p50_ms": round(self.percentile(50) * 1000, 1),
            "p99_ms": round(self.percentile(99) * 1000, 1),
            "bystander_201": self.accepted,
            "bystander_other": sum(n for s, n in self.statuses.items() if s != 201),
            "agency0_requests": target,
            "agency0_stored": self.target_size[1] - self.target_size[0],
            "cpu_us_per_req": round(self.server_cpu / max(requests, 1) * 1e6),
            "caught_up_s": round(self.caught_up_s, 2),
        }


class Streams:
    """Endless streams of signed envelopes (as request bodies), made as they are sent."""

    def __init__(self, agencies: list[BenchAgency]) -> None:
        self.target, self.bystanders = agencies[0], agencies[1:]
        self.serial = 0
        self.run = uuid.uuid4().hex[:6]

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def request(self, agency: BenchAgency) -> tuple[str, bytes]:
        body = payload(
            "wfa.requested",
            f"{agency.id}/iso-{self.run}-{self._next()}",
            agency.staff,
            wfa_request(agency.staff),
            agency.id,
        )
        return "valid", json.dumps(agency.signer.sign(body)).encode()

    def bystander(self, client: int) -> Iterator[tuple[str, bytes]]:
        agency = self.bystanders[client % len(self.bystanders)]
        while True:
            yield self.request(agency)

    def valid_target(self) -> Iterator[tuple[str, bytes]]:
        while True:
            yield self.request(self.target)

    def poison(self, client: int) -> Iterator[tuple[str, bytes]]:
        makers: dict[str, Callable[[], bytes]] = {
            "decision-for-unknown-request": self._decision,
            "output-for-unknown-request": self._output,
            "unknown-actor": self._unknown_actor,
            "signed-by-another-agency": self._foreign_key,
            "flipped-signature-byte": self._flipped,
            "date-out-of-bounds": self._out_of_bounds,
            "subject-of-another-agency": self._foreign_subject,
        }
        kinds = list(POISON_KINDS)
        turn = client
        while True:
            kind = kinds[turn % len(kinds)]
            turn += 1
            yield kind, makers[kind]()

    def _signed(self, body: dict[str, Any], by: BenchAgency | None = None) -> bytes:
        return json.dumps((by or self.target).signer.sign(body)).encode()

    def _missing_request(self) -> str:
        return f"{self.target.id}/no-such-request-{self.run}-{self._next()}"

    def _decision(self) -> bytes:
        t = self.target
        return self._signed(payload("wfa.approved", self._missing_request(), t.staff, {}, t.id))

    def _output(self) -> bytes:
        t = self.target
        data: dict[str, object] = {
            "date": date.today().isoformat(),
            "outputs": [{"title": "Draf", "target": "t1"}],
        }
        return self._signed(
            payload("work.output_reported", self._missing_request(), t.staff, data, t.id)
        )

    def _unknown_actor(self) -> bytes:
        t = self.target
        subject = f"{t.id}/iso-{self.run}-{self._next()}"
        return self._signed(
            payload("wfa.requested", subject, "199912312099121999", wfa_request(t.staff), t.id)
        )

    def _foreign_key(self) -> bytes:
        t = self.target
        subject = f"{t.id}/iso-{self.run}-{self._next()}"
        body = payload("wfa.requested", subject, t.staff, wfa_request(t.staff), t.id)
        return self._signed(body, by=self.bystanders[0])

    def _flipped(self) -> bytes:
        envelope = json.loads(self.request(self.target)[1])
        signature = envelope["signatures"][0]["sig"]
        envelope["signatures"][0]["sig"] = ("B" if signature[0] != "B" else "C") + signature[1:]
        return json.dumps(envelope).encode()

    def _out_of_bounds(self) -> bytes:
        t = self.target
        data = wfa_request(t.staff)
        data["dates"] = ["2150-01-05"]
        subject = f"{t.id}/iso-{self.run}-{self._next()}"
        return self._signed(payload("wfa.requested", subject, t.staff, data, t.id))

    def _foreign_subject(self) -> bytes:
        t = self.target
        subject = f"{self.bystanders[0].id}/iso-{self.run}-{self._next()}"
        return self._signed(payload("wfa.requested", subject, t.staff, wfa_request(t.staff), t.id))


async def _client(
    url: str,
    token: str,
    stream: Iterator[tuple[str, bytes]],
    until: float,
    answer: Callable[[str, int, float, bytes], None],
) -> None:
    host, _, port = url.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        while time.perf_counter() < until:
            kind, body = next(stream)
            started = time.perf_counter()
            writer.write(request_bytes("POST", host, "/v1/entries", token, body))
            await writer.drain()
            status, content = await read_response(reader)
            answer(kind, status, time.perf_counter() - started, content)
    finally:
        writer.close()


def log_size(url: str, log: str) -> int:
    note = httpx.get(f"{url}/v1/logs/{log}/checkpoint", timeout=30).text
    return int(note.splitlines()[1])


def caught_up(url: str, agencies: list[BenchAgency], newest: dict[str, int]) -> float:
    """Seconds until every bystander's read models answer for its newest receipt (≤ 120 s)."""
    started = time.monotonic()
    for agency in agencies:
        if agency.id not in newest:
            continue
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {agency.token}"}, timeout=30
        ) as http:
            while True:
                response = http.get(
                    f"/v1/agencies/{agency.id}/requests", params={"min_index": newest[agency.id]}
                )
                if response.status_code == 200:
                    break
                if response.status_code != 503 or time.monotonic() - started > 120:
                    raise ReadModelsStalledError(f"{agency.id}: {response.text[:300]}")
    return time.monotonic() - started


def run_phase(
    name: str, server: Server, streams: Streams, clients: int, target_clients: int, seconds: float
) -> Phase:
    phase = Phase(name)
    agency_of = {a.id: a for a in streams.bystanders}
    phase.target_size = (log_size(server.url, streams.target.id), 0)

    def bystander_answer(_: str, status: int, latency: float, content: bytes) -> None:
        phase.latencies.append(latency)
        phase.statuses[status] = phase.statuses.get(status, 0) + 1
        if status == 201:
            receipt = json.loads(content)
            log = receipt["log"]
            phase.newest[log] = max(phase.newest.get(log, 0), receipt["index"])

    def target_answer(kind: str, status: int, _: float, __: bytes) -> None:
        counts = phase.target_statuses.setdefault(kind, {})
        counts[status] = counts.get(status, 0) + 1

    async def main() -> None:
        until = time.perf_counter() + seconds
        tasks = [
            _client(
                server.url,
                streams.bystanders[i % len(streams.bystanders)].token,
                streams.bystander(i),
                until,
                bystander_answer,
            )
            for i in range(clients)
        ]
        if name != "alone":
            tasks += [
                _client(
                    server.url,
                    streams.target.token,
                    streams.poison(i) if name == "poison" else streams.valid_target(),
                    until,
                    target_answer,
                )
                for i in range(target_clients)
            ]
        started = time.perf_counter()
        await asyncio.gather(*tasks)
        phase.seconds = time.perf_counter() - started

    cpu = tree_cpu_seconds(server.process.pid)
    asyncio.run(main())
    phase.server_cpu = tree_cpu_seconds(server.process.pid) - cpu
    phase.target_size = (phase.target_size[0], log_size(server.url, streams.target.id))
    assert set(phase.newest) <= set(agency_of)
    phase.caught_up_s = caught_up(server.url, streams.bystanders, phase.newest)
    return phase


def run(
    database_url: str,
    workdir: Path,
    *,
    seconds: float = 10.0,
    alone_seconds: float | None = None,
    workers: int = 2,
    clients: int = 8,
    poison_clients: int = 4,
) -> list[Phase]:
    """The three phases against one new server; `alone_seconds` shortens the first two."""
    env = {"JEJAK_DATA_DIR": str(workdir / "data"), "JEJAK_DATABASE_URL": database_url}
    runtime = open_runtime(Settings.from_env(env))
    agencies = set_up_agencies(runtime, AGENCIES)
    runtime.close()
    streams = Streams(agencies)
    server = Server(env, workdir / "server.log", "--workers", str(workers))
    short = seconds if alone_seconds is None else alone_seconds
    try:
        warm = run_phase("warm-up", server, streams, clients, 0, 1.0)
        del warm
        return [
            run_phase("alone", server, streams, clients, 0, short),
            run_phase("valid", server, streams, clients, poison_clients, short),
            run_phase("poison", server, streams, clients, poison_clients, seconds),
        ]
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--poison-clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = (
            f"sqlite:///{workdir}/bench.db"
            if args.store == "sqlite"
            else f"{POSTGRES}?schema=bench_iso_{uuid.uuid4().hex[:8]}"
        )
        try:
            phases = run(
                url,
                workdir,
                seconds=args.seconds,
                workers=args.workers,
                clients=args.clients,
                poison_clients=args.poison_clients,
            )
        finally:
            if args.store == "postgres":
                drop_postgres_schema(url)
    print_results(
        "isolation",
        [p.row() for p in phases],
        store=args.store,
        workers=args.workers,
        clients=args.clients,
        poison_clients=args.poison_clients,
        poison_answers={k: v for k, v in phases[-1].target_statuses.items()},
    )
    print(f"done {args.store}", file=sys.stderr)


if __name__ == "__main__":
    main()
