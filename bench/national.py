"""The national load at reduced scale: many agency logs, a morning peak, read models behind it.

Run:  .venv/bin/python -m bench.national [--agencies 50] [--staff 60] [--clients 32]
          [--seconds 60] [--workers N] [--store sqlite|postgres|two-postgres]
          [--projections worker|external]

Set-up, all through the HTTP API of one `jejak serve` subprocess (progress on stderr): the
operator registers `--agencies` agency orgs, a key and a token each (POST /v1/orgs,
/v1/orgs/{org}/keys, /v1/tokens); each agency then enacts its policy and registers units of
~30 staff (a unit head, who supervises the unit, and staff; an agency head above them) in
batches, and its flexible workers' requests for the first week are requested and approved.

The morning peak: `--clients` keep-alive clients, each owning whole units of several agencies
(so one unit's events keep their order: a request is approved by the unit head after it was
made, attendance comes after the approval), send single envelopes to POST /v1/entries for
`--seconds`. Each client walks working day after working day; on each day every employee of its
units arrives once. Lag probes ask GET /v1/agencies/{a}/compliance?min_index=<the receipt's
index> for the newest receipt, over and over: the read-model lag is the time from the receipt
until that answer.

The national mix, per staff member and working day (DESIGN §3 events; PermenPANRB 4/2025):
- presence.recorded      1     every employee arrives once at the attendance system (the 07:30
                               peak is this: 5.6 M arrivals between 07:00 and 08:00);
- attendance.recorded    0.08  a fifth of the staff hold location flexibility, 2 days a week
                               (the cap): 0.2 × 2/5 of staff-days are flexible days;
- work.output_reported   0.08  one output report per flexible day;
- wfa.requested          0.04  one request a week per flexible worker, for next week's 2 days;
- wfa.approved           0.04  the unit head approves it the next working day.
That is 1.24 entries per staff-day: 81 % presence, 6.5 % attendance, 6.5 % outputs, 3 %
requests, 3 % approvals; 5.6 M staff × 1.24 × ~245 working days ≈ 1.7 B entries a year. The
peak here carries the whole day's non-presence events alongside the arrivals, which is
conservative: the fold and read models work harder per entry for requests and approvals than
for presence. Departures are not simulated (they fall in the afternoon, outside the peak); the
bench's policy therefore sets `weekly_hours: 0` so the weekly-hours rule, which still runs on
every presence record, does not flag every employee's week for the missing departures.

Output: one table row (entries/s, server CPU µs per entry from /proc for the server process
tree, PostgreSQL's own CPU excluded, p50/p99 append latency, read-model lag p50/p99, the time
after the peak until every agency's read models hold its last entry) and one JSON line; on
PostgreSQL also the bytes per entry of the stores' tables (pg_total_relation_size).
Exit 2 when an option needs a server feature not built yet (`--workers`, JEJAK_PLACEMENT).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.http_load import read_response, request_bytes
from bench.proc_cpu import tree_cpu_seconds
from bench.table import print_results
from ledger.signing import EnvelopeSigner
from tests.servers import ROOT, Server
from tests.support import policy_data

POSTGRES = os.environ.get("JEJAK_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
UNIT_SIZE = 30
FLEXIBLE_EVERY = 5  # one staff member in five holds location flexibility
BATCH = 500  # set-up envelopes per POST /v1/entries/batch
PRESIGN_RATE = 1500  # entries/s the peak is pre-signed for; beyond that clients sign as they go
LAG_PROBES = 2
PROBE_PAUSE = 0.05
ANSWER_SECONDS = 60  # a request unanswered this long ends the run
CATCH_UP_SECONDS = 120


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The population


@dataclass
class Unit:
    id: str
    agency: Agency
    head: str  # NIP of the unit head, the staff's supervisor
    staff: list[str]  # every member, the head first
    flexible: dict[str, tuple[int, int]] = field(default_factory=dict)  # NIP -> weekdays


@dataclass
class Agency:
    id: str
    number: int
    signer: EnvelopeSigner
    head: str = ""
    token: str = ""
    units: list[Unit] = field(default_factory=list)

    def sign(self, kind: str, subject: str, actor: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.signer.sign(
            {
                "type": kind,
                "agency": self.id,
                "subject": subject,
                "actor": actor,
                "occurred_at": datetime.now(UTC).isoformat(),
                "data": data,
            }
        )


def nip(agency: int, person: int) -> str:
    """An 18-digit NIP unique across agencies (subjects are unique in a single combined log)."""
    return f"1980{agency:05d}{person:05d}1001"


def agency_signer(agency_id: str) -> EnvelopeSigner:
    seed = hashlib.sha256(f"jejak-bench-national:{agency_id}".encode()).digest()
    return EnvelopeSigner(Ed25519PrivateKey.from_private_bytes(seed))


def population(agencies: int, staff: int) -> list[Agency]:
    """`agencies` agencies of `staff` staff each, in units of ~UNIT_SIZE, plus each agency head."""
    found = []
    units_per_agency = max(1, round(staff / UNIT_SIZE))
    for a in range(agencies):
        agency_id = f"kab-bench-{a:03d}"
        agency = Agency(agency_id, a, agency_signer(agency_id), head=nip(a, 0))
        person = 1
        for u in range(units_per_agency):
            size = staff // units_per_agency + (1 if u < staff % units_per_agency else 0)
            members = [nip(a, person + i) for i in range(size)]
            person += size
            unit = Unit(f"{agency_id}/unit-{u:02d}", agency, members[0], members)
            for i, member in enumerate(members[1:], start=1):
                if i % FLEXIBLE_EVERY == 0:
                    first = (i // FLEXIBLE_EVERY) % 5
                    unit.flexible[member] = (first, (first + 2) % 5)
            agency.units.append(unit)
        found.append(agency)
    return found


def first_monday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=14 - today.weekday())


BASE = first_monday()


def working_day(day: int) -> date:
    return BASE + timedelta(days=7 * (day // 5) + day % 5)


def week_days(unit: Unit, member: str, week: int) -> list[str]:
    return [working_day(5 * week + d).isoformat() for d in sorted(unit.flexible[member])]


def request_id(unit: Unit, member: str, week: int) -> str:
    return f"{unit.agency.id}/wfa/{member}/w{week}"


def policy(agency: Agency) -> dict[str, Any]:
    """The tests' policy, without the weekly-hours rule: departures are not simulated (see the
    module docstring)."""
    return policy_data(weekly_hours=0)


def employee(name: str, unit: str, supervisor: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "unit": unit,
        "position": "Analis Kebijakan",
        "supervisor": supervisor,
        "placed_at": "2020-01-01",
        "discipline": "none",
    }


def wfa_request(member: str, dates: list[str]) -> dict[str, Any]:
    return {
        "employee": member,
        "kind": "location",
        "dates": dates,
        "location": {"kind": "domicile", "description": "Rumah"},
        "time_pattern": None,
        "special": None,
        "reason": "Penyusunan laporan",
        "targets": [{"id": "t1", "description": "Draf laporan selesai"}],
    }


def organisation(agency: Agency) -> list[dict[str, Any]]:
    """Policy, units and employees of one agency, in log order."""
    out = [agency.sign("policy.enacted", f"policy:{agency.id}", agency.head, policy(agency))]
    first = agency.units[0].id
    out.append(
        agency.sign("employee.enrolled", agency.head, agency.head, employee("Kepala", first, None))
    )
    for unit in agency.units:
        data = {
            "name": unit.id.split("/", 1)[1],
            "public_service": True,
            "service_hours": {"start": "08:00", "end": "15:00"},
            "min_on_site": 2,
        }
        out.insert(1, agency.sign("unit.registered", unit.id, agency.head, data))
        for member in unit.staff:
            boss = agency.head if member == unit.head else unit.head
            data = employee(f"Pegawai {member[-9:-4]}", unit.id, boss)
            out.append(agency.sign("employee.enrolled", member, agency.head, data))
    return out


def first_week(agency: Agency) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The flexible workers' requests for week 0, and their unit heads' approvals."""
    requests, approvals = [], []
    for unit in agency.units:
        for member in unit.flexible:
            rid = request_id(unit, member, 0)
            data = wfa_request(member, week_days(unit, member, 0))
            requests.append(agency.sign("wfa.requested", rid, member, data))
            approvals.append(agency.sign("wfa.approved", rid, unit.head, {"note": "Disetujui"}))
    return requests, approvals


# ---------------------------------------------------------------------------------------------
# The morning peak


@dataclass
class Send:
    kind: str
    agency: Agency
    body: bytes


def day_events(unit: Unit, member: str, day: int) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(type, subject, actor, data) of one employee's working day `day`."""
    when, week, weekday = working_day(day), day // 5, day % 5
    flexible = unit.flexible.get(member)
    away = flexible is not None and weekday in flexible
    yield (
        "presence.recorded",
        f"presence:{member}",
        member,
        {
            "date": when.isoformat(),
            "in": f"07:{(int(member[-6:-4]) * 7) % 50 + 5:02d}",
            "out": None,
            "location_kind": "domicile" if away else "office",
            "source": "aplikasi presensi" if away else "mesin sidik jari",
        },
    )
    if away:
        rid = request_id(unit, member, week)
        attendance = {
            "date": when.isoformat(),
            "start": "07:30",
            "end": "16:00",
            "location_kind": "domicile",
        }
        yield "attendance.recorded", rid, member, attendance
        outputs = [{"title": "Laporan harian", "target": "t1", "evidence_sha256": None}]
        yield "work.output_reported", rid, member, {"date": when.isoformat(), "outputs": outputs}
    if flexible is not None and weekday == 0:
        data = wfa_request(member, week_days(unit, member, week + 1))
        yield "wfa.requested", request_id(unit, member, week + 1), member, data
    if member == unit.head and weekday == 1:
        for worker in unit.flexible:
            rid = request_id(unit, worker, week + 1)
            yield "wfa.approved", rid, member, {"note": "Disetujui"}


def client_stream(units: list[Unit]) -> Iterator[Send]:
    """A client's envelopes, day after day; employees of its units interleaved."""
    day = 0
    longest = max(len(u.staff) for u in units)
    while True:
        for position in range(longest):
            for unit in units:
                if position < len(unit.staff):
                    member = unit.staff[position]
                    for kind, subject, actor, data in day_events(unit, member, day):
                        envelope = unit.agency.sign(kind, subject, actor, data)
                        yield Send(kind, unit.agency, json.dumps(envelope).encode())
        day += 1


@dataclass
class Peak:
    """What the peak achieved, measured by the clients and the lag probes."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    lag_timeouts: int = 0
    seconds: float = 0.0
    newest: tuple[str, bytes, float] | None = None  # (agency, receipt, received at)
    last: dict[str, bytes] = field(default_factory=dict)  # agency -> its newest receipt

    def accepted(self) -> int:
        return sum(n for status, n in self.statuses.items() if status == 201)


async def run_client(
    host: str, port: int, sends: Iterator[Send], deadline: float, peak: Peak
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            send = next(sends)
            started = time.perf_counter()
            writer.write(request_bytes("POST", host, "/v1/entries", send.agency.token, send.body))
            await writer.drain()
            status, body = await asyncio.wait_for(read_response(reader), ANSWER_SECONDS)
            done = time.perf_counter()
            peak.latencies.append(done - started)
            peak.statuses[status] = peak.statuses.get(status, 0) + 1
            if status == 201:
                peak.kinds[send.kind] = peak.kinds.get(send.kind, 0) + 1
                peak.newest = (send.agency.id, body, done)
                peak.last[send.agency.id] = body
            elif len(peak.errors) < 5:
                peak.errors.append(f"{status} {send.kind}: {body[:300]!r}")
    finally:
        writer.close()


def read_model_path(agency: str, receipt: bytes) -> str:
    """The compliance read model of the receipt's log, asked to hold the receipt's entry."""
    found = json.loads(receipt)
    log_id = found.get("log", agency)  # the per-log server names the log; main's is combined
    return f"/v1/agencies/{log_id}/compliance?limit=1&min_index={found['index']}"


async def run_probe(
    host: str, port: int, tokens: dict[str, str], deadline: float, peak: Peak
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            newest = peak.newest
            if newest is None:
                await asyncio.sleep(PROBE_PAUSE)
                continue
            agency, receipt, received = newest
            path = read_model_path(agency, receipt)
            writer.write(request_bytes("GET", host, path, tokens[agency]))
            await writer.drain()
            status, body = await asyncio.wait_for(read_response(reader), ANSWER_SECONDS)
            if status == 200:
                peak.lags.append(time.perf_counter() - received)
            elif status == 503:
                peak.lag_timeouts += 1
            elif len(peak.errors) < 5:
                peak.errors.append(f"probe {status}: {body[:300]!r}")
            await asyncio.sleep(PROBE_PAUSE)
    finally:
        writer.close()


def run_peak(
    url: str, clients: list[Iterator[Send]], seconds: float, agencies: list[Agency], probes: int
) -> Peak:
    host, _, port_text = url.removeprefix("http://").partition(":")
    port, peak = int(port_text), Peak()
    tokens = {a.id: a.token for a in agencies}

    async def main() -> None:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(run_client(host, port, sends, deadline, peak) for sends in clients),
            *(run_probe(host, port, tokens, deadline, peak) for _ in range(probes)),
        )
        peak.seconds = time.perf_counter() - started

    asyncio.run(main())
    return peak


def presigned(stream: Iterator[Send], count: int) -> Iterator[Send]:
    """The first `count` envelopes of a stream signed now, the rest as they are asked for."""
    ready = [next(stream) for _ in range(count)]
    return itertools.chain(ready, stream)


def catch_up(http: httpx.Client, peak: Peak, agencies: list[Agency]) -> float:
    """Seconds after the peak until each agency's read models hold its last receipt's entry."""
    started = time.perf_counter()
    by_id = {a.id: a for a in agencies}
    for agency, receipt in peak.last.items():
        path = read_model_path(agency, receipt)
        while True:  # each ask waits up to 10 s on the server, then answers 503
            answer = http.get(path, headers={"Authorization": f"Bearer {by_id[agency].token}"})
            if answer.status_code == 200:
                break
            if answer.status_code != 503 or time.perf_counter() - started > CATCH_UP_SECONDS:
                raise SystemExit(
                    f"the read models of {agency} did not catch up: GET {path}:"
                    f" {answer.status_code} {answer.text[:500]}"
                )
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------
# Set-up through the operator and append routes


def operator_token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "token", "create", "--role", "operator"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"jejak token create failed: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()[-1]


def post(http: httpx.Client, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    if answer.status_code != 201:
        raise SystemExit(f"POST {path}: {answer.status_code} {answer.text[:500]}")
    found: dict[str, Any] = answer.json()
    return found


def register(http: httpx.Client, operator: str, agencies: list[Agency]) -> None:
    valid_from = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    for n, agency in enumerate(agencies, start=1):
        name = f"Kabupaten Bench {agency.number}"
        post(http, "/v1/orgs", operator, {"id": agency.id, "kind": "agency", "name": name})
        key = {"public_key": agency.signer.public_key_b64, "valid_from": valid_from}
        post(http, f"/v1/orgs/{agency.id}/keys", operator, key)
        role = {"role": "agency", "org": agency.id, "label": "bench"}
        agency.token = post(http, "/v1/tokens", operator, role)["token"]
        if n % 10 == 0 or n == len(agencies):
            log(f"  registered {n}/{len(agencies)} agencies (org, key, token)")


def load_agency(http: httpx.Client, agency: Agency) -> int:
    requests, approvals = first_week(agency)
    appended = 0
    for part in (organisation(agency), requests, approvals):
        for i in range(0, len(part), BATCH):
            chunk = part[i : i + BATCH]
            post(http, "/v1/entries/batch", agency.token, {"envelopes": chunk})
            appended += len(chunk)
    return appended


def set_up(url: str, operator: str, agencies: list[Agency]) -> int:
    with httpx.Client(base_url=url, timeout=120) as http:
        register(http, operator, agencies)
        started, appended = time.perf_counter(), 0
        with ThreadPoolExecutor(4) as pool:
            for n, count in enumerate(pool.map(lambda a: load_agency(http, a), agencies), 1):
                appended += count
                if n % 10 == 0 or n == len(agencies):
                    log(f"  loaded {n}/{len(agencies)} agencies: {appended} entries")
        log(f"  set-up appends: {appended / (time.perf_counter() - started):.0f} entries/s")
    return appended


# ---------------------------------------------------------------------------------------------
# Stores


def serve_supports(option: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return option in done.stdout


def placement_supported() -> bool:
    """Whether the server's code reads JEJAK_PLACEMENT at all (checked again after set-up)."""
    return any(
        "JEJAK_PLACEMENT" in path.read_text()
        for package in ("ledger", "api")
        for path in (ROOT / package).rglob("*.py")
    )


def schema_url(server: str, schema: str) -> str:
    return f"{server}?schema={schema}"


def drop_schema(server: str, schema: str) -> None:
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    except psycopg.Error as error:
        log(f"could not drop schema {schema}: {error}")


def table_bytes(server: str, schema: str) -> dict[str, tuple[int, int]]:
    """Each table of `schema`: (rows, pg_total_relation_size: heap, indexes and TOAST)."""
    query = (
        "SELECT c.relname, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind = 'r'"
    )
    sizes: dict[str, tuple[int, int]] = {}
    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        for name, oid in conn.execute(query, [schema]).fetchall():
            rows = conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()
            size = conn.execute("SELECT pg_total_relation_size(%s)", [oid]).fetchone()
            sizes[str(name)] = (int(rows[0]) if rows else 0, int(size[0]) if size else 0)
    return sizes


class ServerMeter:
    """WAL bytes written and CPU seconds used by one PostgreSQL server (its postmaster's process
    tree, backends included; read from /proc through the data directory's postmaster.pid).
    Both count everything the server does, other clients' work included."""

    def __init__(self, server: str, schema: str) -> None:
        self.server, self.schema = server, schema
        with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        self.pid: int | None = None
        try:
            pid_file = Path(str(row[0] if row else "")) / "postmaster.pid"
            self.pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            log(f"  cannot read the postmaster pid of {server}: its CPU is not measured")

    def reading(self) -> tuple[int, float | None, int]:
        """(WAL position in bytes, CPU seconds, entries in this server's tables)."""
        with psycopg.connect(self.server, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')").fetchone()
            try:
                held = conn.execute(
                    f'SELECT count(*) FROM "{self.schema}".jejak_entries'
                ).fetchone()
            except psycopg.Error:
                held = None  # no log on this server yet
        cpu = tree_cpu_seconds(self.pid) if self.pid is not None else None
        return int(row[0]) if row else 0, cpu, int(held[0]) if held else 0


def bundle_size(http: httpx.Client, agency: Agency) -> dict[str, object]:
    """The bytes of one agency's period bundle (today ± 1 day), raw and gzipped, per entry."""
    today = datetime.now(UTC).date()
    params = {
        "agency": agency.id,
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    auth = {"Authorization": f"Bearer {agency.token}"}
    answer = http.get("/v1/bundles", params=params, headers=auth, timeout=300)
    if answer.status_code != 200:
        log(f"  bundle of {agency.id}: {answer.status_code} {answer.text[:300]}")
        return {}
    body = answer.content
    entries = int(answer.headers.get("X-Jejak-Entries", "0"))
    if not entries:
        return {}
    return {
        "bundle_entries": entries,
        "bundle_bytes_per_entry": round(len(body) / entries),
        "bundle_gzip_bytes_per_entry": round(len(gzip.compress(body, 6)) / entries),
    }


@dataclass
class Store:
    """Where the logs live for one run: the env for `jejak serve`, and what to measure."""

    env: dict[str, str]
    measured: list[tuple[str, str]]  # (server URL, schema) whose tables are sized afterwards


def open_store(kind: str, workdir: Path, stack: ExitStack, agencies: list[Agency]) -> Store:
    env = {"JEJAK_DATA_DIR": str(workdir / "data")}
    if kind == "sqlite":
        env["JEJAK_DATABASE_URL"] = f"sqlite:///{workdir}/national.db"
        return Store(env, [])
    schema = f"bench_national_{uuid.uuid4().hex[:8]}"
    stack.callback(drop_schema, POSTGRES, schema)
    env["JEJAK_DATABASE_URL"] = schema_url(POSTGRES, schema)
    if kind == "postgres":
        return Store(env, [(POSTGRES, schema)])
    from tests.pg_cluster import running_cluster

    log("starting the second PostgreSQL cluster (tests/pg_cluster.py)")
    second = stack.enter_context(running_cluster())
    placement = {
        "servers": {"pg1": env["JEJAK_DATABASE_URL"], "pg2": schema_url(second, schema)},
        "logs": {a.id: "pg2" for a in agencies if a.number % 2 == 1},
        "default": "pg1",
    }
    path = workdir / "placement.json"
    path.write_text(json.dumps(placement, indent=2))
    env["JEJAK_PLACEMENT"] = str(path)
    return Store(env, [(POSTGRES, schema), (second, schema)])


def storage(store: Store) -> dict[str, object]:
    """Bytes per log entry in the stores' tables: the logs' (jejak_*, eventsourcing's) and the
    read models' (jp_*), over every server; and how the entries fell on each server."""
    log_bytes = read_bytes = entries = 0
    per_server = []
    tables: dict[str, list[int]] = {}
    for server, schema in store.measured:
        sizes = table_bytes(server, schema)
        here = sizes.get("jejak_entries", (0, 0))[0]
        per_server.append(here)
        entries += here
        for name, (rows, size) in sizes.items():
            if name.startswith("jp_"):
                read_bytes += size
            else:
                log_bytes += size
            held = tables.setdefault(name, [0, 0])
            held[0] += rows
            held[1] += size
    if not entries:
        return {}
    return {
        "entries_per_server": per_server,
        "log_bytes_per_entry": round(log_bytes / entries),
        "read_model_bytes_per_entry": round(read_bytes / entries),
        "tables_rows_bytes": dict(sorted(tables.items())),
    }


# ---------------------------------------------------------------------------------------------


def assign(agencies: list[Agency], clients: int) -> list[list[Unit]]:
    """Units dealt to clients round-robin, agency by agency within each unit position, so a
    client's units belong to different agencies and every agency is served by several clients."""
    units = [
        a.units[u]
        for u in range(max(len(a.units) for a in agencies))
        for a in agencies
        if u < len(a.units)
    ]
    if clients > len(units):
        log(f"  {clients} clients but only {len(units)} units: using {len(units)} clients")
        clients = len(units)
    return [units[i::clients] for i in range(clients)]


def run(args: argparse.Namespace) -> dict[str, object]:
    options = ["--projections", args.projections]
    follow = args.projections == "worker"  # read models kept by this server: measure their lag
    if args.workers is not None:
        if not serve_supports("--workers"):
            print(
                "jejak serve has no --workers option yet (one process per server)", file=sys.stderr
            )
            raise SystemExit(2)
        options += ["--workers", str(args.workers)]
    if args.store == "two-postgres" and not placement_supported():
        print(
            "this server does not read JEJAK_PLACEMENT yet: every log would stay on one server",
            file=sys.stderr,
        )
        raise SystemExit(2)
    agencies = population(args.agencies, args.staff)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        store = open_store(args.store, workdir, stack, agencies)
        log(f"store {args.store}: {store.env['JEJAK_DATABASE_URL']}")
        operator = operator_token(store.env)
        server = Server(store.env, workdir / "server.log", *options)
        stack.callback(server.stop)
        log(f"serving at {server.url} ({' '.join(options)}); setting up {args.agencies} agencies")
        appended = set_up(server.url, operator, agencies)
        if args.store == "two-postgres":
            second = storage(store).get("entries_per_server", [0, 0])
            if not isinstance(second, list) or len(second) < 2 or not second[1]:
                print(
                    "JEJAK_PLACEMENT was ignored: no entry is on the second server", file=sys.stderr
                )
                raise SystemExit(2)
        plans = assign(agencies, args.clients)
        per_client = math.ceil(PRESIGN_RATE * args.seconds / len(plans))
        log(f"pre-signing {per_client * len(plans)} envelopes for {len(plans)} clients")
        clients = [presigned(client_stream(units), per_client) for units in plans]
        log(f"morning peak: {len(plans)} clients for {args.seconds:.0f} s")
        meters = [ServerMeter(url, schema) for url, schema in store.measured]
        before = [m.reading() for m in meters]
        cpu, own = tree_cpu_seconds(server.process.pid), time.process_time()
        peak = run_peak(server.url, clients, args.seconds, agencies, LAG_PROBES if follow else 0)
        cpu, own = tree_cpu_seconds(server.process.pid) - cpu, time.process_time() - own
        after = [m.reading() for m in meters]
        with httpx.Client(base_url=server.url, timeout=60) as http:
            drained = catch_up(http, peak, agencies) if follow else None
            bundle = bundle_size(http, agencies[0])
        sizes = storage(store) if store.measured else {}
        if meters:  # per server: its WAL and CPU over the entries it took during the peak
            took = [max(1, a[2] - b[2]) for a, b in zip(after, before, strict=True)]
            sizes["db_cpu_us_entry"] = [
                None if a[1] is None or b[1] is None else round((a[1] - b[1]) / n * 1e6)
                for a, b, n in zip(after, before, took, strict=True)
            ]
            sizes["wal_bytes_entry"] = [
                round((a[0] - b[0]) / n) for a, b, n in zip(after, before, took, strict=True)
            ]
        sizes.update(bundle)
        log(f"server log: {workdir / 'server.log'} (removed at exit)")
        if peak.errors:
            log("errors:\n  " + "\n  ".join(peak.errors))
            log((workdir / "server.log").read_text()[-3000:])
    accepted = peak.accepted()
    lags = sorted(peak.lags)
    latencies = sorted(peak.latencies)

    def pct(values: list[float], p: float) -> float | None:
        if not values:
            return None  # nothing measured (no read models kept: --projections external)
        return round(values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000, 1)

    row: dict[str, object] = {
        "store": args.store,
        "workers": "-" if args.workers is None else args.workers,
        "agencies": args.agencies,
        "clients": len(plans),
        "entries": accepted,
        "entries_per_s": round(accepted / peak.seconds),
        "cpu_us_entry": round(cpu / accepted * 1e6) if accepted else 0,
        "p50_ms": pct(latencies, 50),
        "p99_ms": pct(latencies, 99),
        "lag_p50_ms": pct(lags, 50),
        "lag_p99_ms": pct(lags, 99),
        "lag_over_10s": peak.lag_timeouts,
        "catch_up_s": None if drained is None else round(drained, 1),
        "refused": sum(n for s, n in peak.statuses.items() if s != 201),
    }
    row["_context"] = {
        "staff_per_agency": args.staff,
        "seconds": round(peak.seconds, 1),
        "set_up_entries": appended,
        "mix": {k: round(v / accepted, 3) for k, v in sorted(peak.kinds.items())}
        if accepted
        else {},
        "statuses": peak.statuses,
        "lag_samples": len(lags),
        "client_cpu_us_entry": round(own / accepted * 1e6) if accepted else 0,
        **sizes,
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--staff", type=int, default=60, help="staff per agency (default 60)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=None, help="jejak serve --workers N")
    parser.add_argument("--store", choices=["sqlite", "postgres", "two-postgres"], default="sqlite")
    parser.add_argument(
        "--projections",
        choices=["worker", "external"],
        default="worker",
        help="serve with the read-model worker (default; lag measured), or as an append-only"
        " node (no read models kept during the run, no lag measured)",
    )
    args = parser.parse_args()
    row = run(args)
    context = row.pop("_context")
    assert isinstance(context, dict)
    print_results("national", [row], **context)
    if row["refused"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
