"""Verifying a jejak-bundle/2, against raw Ed25519 verify of the same signatures.

The bundle (default 100,000 agency entries) is what `GET /v1/bundles?agency=&from=&to=` gives
for an agency's period, built directly with `verification` (no ledger): the registry log
(genesis, the agency and an Ombudsman with their keys) by inclusion proofs; the agency's log
with its policy, a unit, a head and 199 staff as context by inclusion proofs, then the period as
one range from the boundary entry before it to the end: flexible-work requests, about half of
them approved by the head, four a minute. Real Ed25519 keys, trees, checkpoints, the line
layout written by `verification.write`.

In one run: raw verification of every entry's signature with `cryptography` and with PyNaCl
(the baseline), the layout read alone, then `verify_stream` (the records streamed from the
file) checks only (`replay=False`: every check, the agency log not replayed) and with the rule
replay, each in one process and with a worker per CPU (verification/pool.py). Targets (issue
14) against raw `cryptography` verify on one core x the CPUs, with the workers: checks only
>= 0.8 x, with the replay >= 0.5 x. CPU per entry counts the workers' CPU too.

Run:  .venv/bin/python -m bench.verify [--entries 100000] [--workers N]
      .venv/bin/python -m bench.verify --entries 1000000 --bundle /tmp/verify-1e6.bundle \
        [--workers N]
        (time and peak RSS per phase of the verifier in a process of its own, bench.verify_memory;
        the file is built once, streamed, and reused by later runs)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.signing import VerifyKey

from ledger.signing import EnvelopeSigner
from tests.support import policy_data
from verification.dsse import pae, parse_envelope
from verification.layout import read_header, stream_records
from verification.leaf import Leaf, format_instant
from verification.merkle import inclusion_proof_nodes
from verification.note import format_checkpoint, generate_key, sign_note
from verification.outcome import COMPLETE, PARTIAL, Outcome
from verification.pool import usable_cpus
from verification.ranges import range_nodes
from verification.verifier import NOT_REPLAYED, verify_stream
from verification.write import BundleWriter, entry_record, log_record, range_record

NAME = "bench.jejak"
REGISTRY = "operator"
AGENCY = "kab-bench"
OMBUDSMAN = "ombudsman-bench"
UNIT = "kab-bench/umum"
HEAD = "196501011990031001"
STAFF = 199
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
PERIOD_START = T0 + timedelta(days=1)


def _signer(name: str) -> EnvelopeSigner:
    return EnvelopeSigner(
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())
    )


Planned = tuple[EnvelopeSigner, dict[str, object], datetime]


def _event(
    kind: str, subject: str, data: Mapping[str, object], at: datetime, who: str = AGENCY
) -> dict[str, object]:
    return {
        "type": kind,
        "agency": who,
        "subject": subject,
        "actor": REGISTRY if who == REGISTRY else HEAD,
        "occurred_at": at.isoformat(),
        "data": dict(data),
    }


def _registry(operator: EnvelopeSigner, keys: dict[str, EnvelopeSigner]) -> list[Planned]:
    def key(signer: EnvelopeSigner, org: str) -> dict[str, object]:
        data = {
            "org": org,
            "public_key": signer.public_key_b64,
            "holder": None,
            "valid_from": "2026-01-01T00:00:00Z",
        }
        return _event("key.registered", f"key:{signer.keyid}", data, T0, REGISTRY)

    plan = [(operator, key(operator, REGISTRY), T0)]
    for org, kind in ((AGENCY, "agency"), (OMBUDSMAN, "ombudsman")):
        registered = _event("org.registered", org, {"kind": kind, "name": org}, T0, REGISTRY)
        plan += [(operator, registered, T0), (operator, key(keys[org], org), T0)]
    return plan


def _agency(count: int, agency: EnvelopeSigner) -> tuple[list[Planned], int]:
    """The agency log's entries, and the index of the period's first."""
    at = T0
    hours = {"start": "08:00", "end": "16:00"}
    unit = {"name": "Umum", "public_service": False, "service_hours": hours, "min_on_site": 0}
    plan: list[Planned] = [
        (agency, _event("policy.enacted", f"policy:{AGENCY}", policy_data(), at), at),
        (agency, _event("unit.registered", UNIT, unit, at), at),
    ]
    staff = [f"1990{n:014d}" for n in range(STAFF)]
    for nip, supervisor in [(HEAD, None), *((nip, HEAD) for nip in staff)]:
        data = {
            "name": nip,
            "unit": UNIT,
            "position": "Analis",
            "supervisor": supervisor,
            "placed_at": "2020-01-01",
            "discipline": "none",
        }
        plan.append((agency, _event("employee.enrolled", nip, data, at), at))
    start = len(plan)
    at, n = PERIOD_START, 0
    while len(plan) < count:
        at += timedelta(seconds=15)
        nip = staff[n % STAFF]
        day = date(2027, 1, 4) + timedelta(days=7 * (n // STAFF))
        request = {
            "employee": nip,
            "kind": "time",
            "dates": [day.isoformat()],
            "location": None,
            "time_pattern": "dynamic",
            "special": None,
            "reason": "Laporan",
            "targets": [{"id": "t1", "description": "Laporan selesai"}],
        }
        body = _event("wfa.requested", f"req-{n}", request, at)
        body["actor"] = nip
        plan.append((agency, body, at))
        if n % 2 == 0 and len(plan) < count:
            at += timedelta(seconds=15)
            approved = _event("wfa.approved", f"req-{n}", {"note": "disetujui"}, at)
            plan.append((agency, approved, at))
        n += 1
    return plan[:count], start


class _Tree:
    """Every perfect subtree hash of a log's tree, for inclusion proofs and range hashes."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.levels = [leaves]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([_node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def hash(self, start: int, end: int) -> bytes:
        """The hash of leaves [start, end): split at the largest power of two below."""
        size = end - start
        if size & (size - 1) == 0:
            level = size.bit_length() - 1
            return self.levels[level][start >> level]
        k = 1 << ((size - 1).bit_length() - 1)
        return _node(self.hash(start, start + k), self.hash(start + k, end))


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


Raw = list[tuple[Ed25519PublicKey, bytes, bytes]]


def _leaves(
    log: str, plan: list[Planned], registry_size: int, raw: Raw | None
) -> Iterator[tuple[int, bytes, Leaf, str]]:
    """Each entry of `plan` signed and chained: (index, leaf hash, leaf, payload base64).

    Signing is deterministic, so a second walk over the plan gives the same leaves: the
    builder walks it twice (the tree, then the records) instead of holding every record."""
    chains: dict[str, tuple[int, str]] = {}
    for index, (signer, body, at) in enumerate(plan):
        envelope = signer.sign(body)
        subject = str(body["subject"])
        version, prev = chains.get(subject, (0, None))
        leaf = Leaf.for_envelope(
            parse_envelope(envelope),
            log=log,
            registry_size=registry_size,
            subject=subject,
            version=version + 1,
            prev=prev,
            integrated_at=at + timedelta(microseconds=index),
        )
        digest = leaf.hash()
        chains[subject] = (version + 1, digest.hex())
        if raw is not None:
            message = pae(leaf.payload_type, base64.b64decode(str(envelope["payload"])))
            sig = base64.b64decode(leaf.signatures[0].sig)
            raw.append((Ed25519PublicKey.from_public_bytes(signer.public_key), sig, message))
        yield index, digest, leaf, str(envelope["payload"])


def _log(
    log: str,
    plan: list[Planned],
    registry_size: int,
    note_key: str,
    span: tuple[int, int] | None,
    raw: Raw | None,
) -> Iterator[str]:
    """The records of one log: its `log` record, its entries, the range of `span`."""
    leaves = [digest for _, digest, _, _ in _leaves(log, plan, registry_size, raw)]
    tree, size = _Tree(leaves), len(leaves)
    del leaves
    origin = f"{NAME}/{log}"
    yield log_record(
        log, origin, sign_note(format_checkpoint(origin, size, tree.hash(0, size)), note_key)
    )
    for index, digest, leaf, payload in _leaves(log, plan, registry_size, None):
        proof = None
        if span is None or not span[0] <= index < span[1]:
            proof = [tree.hash(s, e) for s, e in inclusion_proof_nodes(index, size)]
        leaf_json = leaf.canonical().decode()
        yield entry_record(log, index, digest.hex(), leaf_json, payload, None, proof)
    if span is not None:
        outside = [tree.hash(lo, hi) for inside, lo, hi in range_nodes(size, *span) if not inside]
        yield range_record(log, span[0], span[1], outside)


def write_bundle(count: int, out: IO[str], raw: Raw | None = None) -> str:
    """Write the bundle to `out` record by record; the ledger's verifier key. With `raw`, add
    (key, signature, message) per entry to it."""
    operator, agency, ombudsman = (_signer(f"bench-{n}") for n in ("operator", "agency", "ori"))
    note_key, verifier = generate_key(NAME)
    registry = _registry(operator, {AGENCY: agency, OMBUDSMAN: ombudsman})
    entries, start = _agency(count, agency)
    writer = BundleWriter()
    claim = {"kind": "period", "log": AGENCY, "from": PERIOD_START.date().isoformat(), "to": None}
    as_of = format_instant(entries[-1][2] + timedelta(hours=1))
    out.write(writer.head(log_key=verifier, claim=claim, as_of=as_of, reader="inspector"))
    for text in _log(REGISTRY, registry, 0, note_key, None, raw):
        out.write(writer.record(text))
    span = (start - 1, count)
    for text in _log(AGENCY, entries, len(registry), note_key, span, raw):
        out.write(writer.record(text))
    out.write(writer.tail())
    return verifier


def build_bundle(count: int) -> tuple[bytes, str, Raw]:
    """The bundle's bytes, the ledger's verifier key, and (key, signature, message) per entry."""
    raw: Raw = []
    out = io.StringIO()
    verifier = write_bundle(count, out, raw)
    return out.getvalue().encode(), verifier, raw


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (the pool's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(function: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds and the result."""
    cpu, start = _cpu(), time.perf_counter()
    result = function()
    return time.perf_counter() - start, _cpu() - cpu, result


_RAW: Raw = []
"""The raw jobs, inherited by the forked processes of `raw_parallel`."""


def _raw_slice(start: int, end: int) -> int:
    jobs = _RAW[start:end]
    for key, sig, message in jobs:
        key.verify(sig, message)
    return len(jobs)


def raw_parallel(raw: Raw, processes: int) -> None:
    """The raw `cryptography` verifications split over `processes` forked processes: how much
    parallel CPU this run really got (a loaded machine, or a scheduler sharing CPU between
    sessions, gives less than the cores)."""
    global _RAW
    _RAW = raw
    step = -(-len(raw) // processes)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        starts = range(0, len(raw), step)
        assert sum(pool.map(_raw_slice, starts, [s + step for s in starts])) == len(raw)
    _RAW = []


def _read_only(data: bytes) -> int:
    stream = io.BytesIO(data)
    read_header(stream)
    return sum(1 for _ in stream_records(stream))


def memory(path: str, count: int, workers: int = 1) -> None:
    """Build `path` once (streamed to the file), then measure its verification in a child."""
    key_file = path + ".key"
    if not (os.path.exists(path) and os.path.exists(key_file)):
        start = time.perf_counter()
        with open(path + ".part", "w", encoding="utf-8") as out:
            key = write_bundle(count, out)
        os.replace(path + ".part", path)
        with open(key_file, "w", encoding="utf-8") as out:
            out.write(key + "\n")
        took = time.perf_counter() - start
        print(f"built {path} ({count} entries) in {took:.0f} s", file=sys.stderr)
    child = [sys.executable, "-m", "bench.verify_memory", path, key_file, str(workers)]
    found = json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
    print(f"{found['entries']} entries, {found['bytes'] / 1e6:.1f} MB: {found['verdict']}")
    print(f"{'phase':>10} | {'seconds':>8} | {'cpu_s':>8} | {'peak RSS MB':>11}")
    for phase in found["phases"]:
        print(
            f"{phase['phase']:>10} | {phase['seconds']:>8} | {phase['cpu_s']:>8} | "
            f"{phase['peak_rss_mb']:>11}"
        )
    print("within the pass, seconds by part:", found["pass_split_s"])
    if workers > 1:
        peak = found["workers_peak_rss_mb"]
        print(f"{workers} workers, the largest peak RSS of theirs: {peak} MB")
    print(json.dumps({"bench": "verify-memory", **found, "load_average": os.getloadavg()}))


def _expect(outcome: object, replay: bool) -> None:
    """The bench bundle verifies: complete with the replay, partial by its absence alone."""
    if not isinstance(outcome, Outcome):
        raise SystemExit(f"verify_stream gave {outcome!r}")
    expected = (COMPLETE, []) if replay else (PARTIAL, [NOT_REPLAYED])
    if (outcome.verdict, outcome.partial) != expected:
        failures = outcome.failures[:3]
        raise SystemExit(f"the bench bundle is {outcome.verdict}: {failures} {outcome.partial}")
    outcome.replay.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument(
        "--workers", type=int, default=None, help="the pool's workers (default: one per CPU)"
    )
    parser.add_argument(
        "--bundle",
        help="time and peak RSS per phase of verifying this file, in a process of its own "
        "(built first if absent, its key beside it in FILE.key; reused as is if present)",
    )
    args = parser.parse_args()
    n = args.entries
    if n < 2 + 1 + STAFF + 1:
        raise SystemExit(f"--entries must be at least {2 + 1 + STAFF + 1} (the context and one)")
    if args.bundle:
        memory(args.bundle, n, args.workers or 1)
        return
    start = time.perf_counter()
    data, log_key, raw = build_bundle(n)
    built = time.perf_counter() - start
    total = len(raw)  # every entry's signature, the registry's too
    print(
        f"built a {len(data) / 1e6:.1f} MB bundle of {total} entries in {built:.1f} s",
        file=sys.stderr,
    )
    sodium = [(VerifyKey(key.public_bytes_raw()), sig, message) for key, sig, message in raw]

    def raw_openssl() -> None:
        for key, sig, message in raw:
            key.verify(sig, message)

    def raw_sodium() -> None:
        for key, sig, message in sodium:
            key.verify(message, sig)

    cpus = usable_cpus()
    rows: list[dict[str, object]] = []
    workers = args.workers or cpus
    for label, function in (
        ("raw Ed25519, cryptography", raw_openssl),
        (f"raw cryptography, {cpus} procs", lambda: raw_parallel(raw, cpus)),
        ("raw Ed25519, PyNaCl", raw_sodium),
        ("layout read only", lambda: _read_only(data)),
    ):
        wall, cpu, _ = _timed(function)
        rows.append({"what": label, "seconds": wall, "cpu_s": cpu})
    targets = {"checks only": 0.8, "with replay": 0.5}  # issue 14, with the workers
    for replay, what in ((False, "checks only"), (True, "with replay")):
        for count in sorted({1, workers}):
            wall, cpu, outcome = _timed(
                lambda c=count, r=replay: verify_stream(  # type: ignore[misc]
                    io.BytesIO(data), log_key, workers=c, replay=r
                )
            )
            _expect(outcome, replay)
            label = f"{what}, {'1 process' if count == 1 else f'{count} workers'}"
            rows.append({"what": label, "seconds": wall, "cpu_s": cpu, "workers": count})
    openssl_rate = total / float(rows[0]["seconds"])  # type: ignore[arg-type]
    budget = openssl_rate * cpus
    got = total / float(rows[1]["seconds"]) / openssl_rate  # type: ignore[arg-type]
    for row in rows:
        seconds, cpu_s = float(row["seconds"]), float(row.pop("cpu_s"))  # type: ignore[arg-type]
        rate = total / seconds
        row["entries_per_s"] = round(rate)
        row["cpu_us_per_entry"] = round(cpu_s / total * 1e6, 1)
        row["seconds"] = round(seconds, 2)
        row["vs_budget"] = round(rate / budget, 2) if "workers" in row else ""
        factor = next((f for k, f in targets.items() if str(row["what"]).startswith(k)), None)
        row["target"] = ""
        if factor is not None and row.get("workers") == workers:
            row["target"] = f">= {factor}: {'PASS' if rate >= factor * budget else 'MISS'}"
    header = ["what", "seconds", "entries_per_s", "cpu_us_per_entry", "vs_budget", "target"]
    print(" | ".join(f"{h:>28}" if h == "what" else f"{h:>16}" for h in header))
    for row in rows:
        print(" | ".join(f"{row[h]!s:>28}" if h == "what" else f"{row[h]!s:>16}" for h in header))
    print(
        f"vs_budget: entries/s over {cpus} CPUs x raw cryptography ({round(openssl_rate)}/s on "
        f"one core); the same verifications in {cpus} processes ran {got:.2f} x as fast as in "
        "one (the parallel CPU this run got); load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(
        json.dumps(
            {
                "bench": "verify",
                "format": "jejak-bundle/2",
                "entries": total,
                "bytes": len(data),
                "cpus": cpus,
                "load_average": os.getloadavg(),
                "raw_single_core_per_s": round(openssl_rate),
                "raw_parallel_speedup": round(got, 2),
                "results": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
