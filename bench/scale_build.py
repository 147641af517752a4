"""The workload of bench/scale.py: bench/workload.py's requests spread over several agencies.

Each agency has its own key and policy, and bench/workload.py's people: by default units of 30
staff, at most 30 % of a unit away a day (`heavy`: one unit of two staff piling up bookings on
300 days). Request n goes to agency n % agencies and is three events (asked, approved by the
head, output reported). The events come out of one endless, signed stream, so the log can be
grown in steps (in-process, in large batches) and then by HTTP, and each step continues where the
last one stopped.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.workload import Staffing
from ledger.bootstrap import Runtime
from ledger.signing import EnvelopeSigner
from ledger.tokens import issue_token
from projections.runner import ProjectionRunner
from tests.support import payload, policy_data
from verification.leaf import format_instant

BUILD_BATCH = 1000  # envelopes per in-process append (one log each)


def log(message: str, end: str = "\n") -> None:
    print(message, file=sys.stderr, end=end, flush=True)


@dataclass
class Agency:
    """One agency of the workload: its id, signer, people and (once registered) token."""

    number: int
    id: str
    signer: EnvelopeSigner
    people: Staffing
    token: str = ""

    def sign(self, kind: str, subject: str, actor: str, data: dict[str, object]) -> dict[str, Any]:
        signed: dict[str, Any] = self.signer.sign(payload(kind, subject, actor, data, self.id))
        return signed


def agencies(count: int, units: int = 20, heavy: bool = False) -> list[Agency]:
    """`count` agencies with deterministic keys and NIPs unique across agencies."""
    found = []
    for number in range(count):
        agency_id = f"kab-scale-{number:02d}"
        seed = hashlib.sha256(f"jejak-bench-scale:{agency_id}".encode()).digest()
        signer = EnvelopeSigner(Ed25519PrivateKey.from_private_bytes(seed))
        people = Staffing(agency_id, number, units=units, heavy=heavy)
        found.append(Agency(number, agency_id, signer, people))
    return found


def organisation(agency: Agency) -> list[dict[str, Any]]:
    """Policy, units, head and staff of one agency."""
    head = agency.people.head
    events = [("policy.enacted", f"policy:{agency.id}", head, policy_data())]
    return [agency.sign(*event) for event in events + agency.people.organisation()]


def request(agency: Agency, k: int) -> list[dict[str, Any]]:
    """The agency's k-th request (bench/workload.py), signed."""
    return [agency.sign(*event) for event in agency.people.request(k)]


def _stream(found: list[Agency]) -> Iterator[tuple[Agency, dict[str, Any]]]:
    n = 0
    while True:
        agency = found[n % len(found)]
        for envelope in request(agency, n // len(found)):
            yield agency, envelope
        n += 1


@dataclass
class Workload:
    """The agencies and the one stream of their signed envelopes, drawn from step by step."""

    agencies: list[Agency]
    _events: Iterator[tuple[Agency, dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self._events = _stream(self.agencies)

    def take(self, count: int) -> list[tuple[Agency, dict[str, Any]]]:
        return [next(self._events) for _ in range(count)]

    def register(self, runtime: Runtime) -> None:
        """Register each agency (org, key, token) and enact its organisation, in-process."""
        operator, logs = runtime.operator, runtime.logs
        valid_from = datetime.now(UTC) - timedelta(days=1)
        for agency in self.agencies:
            operator.add_org(agency.id, "agency", f"Kabupaten Scale {agency.number}")
            operator.add_key(agency.id, agency.signer.public_key_b64, None, valid_from)
            agency.token = issue_token(
                logs.registry.store.recorder,
                logs.registry_state,
                "agency",
                agency.id,
                "bench-scale",
                format_instant(datetime.now(UTC)),
            )
            logs.append([logs.prepare(e) for e in organisation(agency)])

    def extend(self, runtime: Runtime, target: int) -> None:
        """Append in-process until the agency logs hold `target` entries in all."""
        logs = runtime.logs
        remaining = target - entries(runtime, self.agencies)
        pending: dict[str, list[dict[str, Any]]] = {}
        done = 0

        def flush(agency_id: str) -> None:
            nonlocal done
            batch = pending.pop(agency_id, [])
            if batch:
                logs.append([logs.prepare(e) for e in batch])
                done += len(batch)
                log(f"\r  log: {target - remaining + done}/{target} entries", end="")

        for agency, envelope in self.take(max(0, remaining)):
            pending.setdefault(agency.id, []).append(envelope)
            if len(pending[agency.id]) >= BUILD_BATCH:
                flush(agency.id)
        for agency_id in list(pending):
            flush(agency_id)
        if done:
            log("")


def entries(runtime: Runtime, found: list[Agency]) -> int:
    """Entries in the agency logs (the registry log's few are not counted)."""
    return sum(runtime.logs.log(a.id).size for a in found)


def sizes(runtime: Runtime, found: list[Agency]) -> dict[str, int]:
    return {a.id: runtime.logs.log(a.id).size for a in found}


def catch_up_read_models(runtime: Runtime) -> int:
    """Bring every agency log's read models up to date in-process (before the server starts,
    so its projection worker starts on caught-up read models, as after a restart)."""
    runner = ProjectionRunner(runtime.logs.stores)
    try:

        def progress(position: int, size: int) -> None:
            if position % 10_000 < runner.batch or position == size:
                log(f"\r  read models: {position}/{size} of a log", end="")

        folded = runner.catch_up(progress=progress)
        if folded:
            log("")
        return folded
    finally:
        runner.close()
