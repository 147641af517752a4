"""Bundle verification rate vs raw Ed25519 verification of the same signatures on one core.

The bundle (default 100,000 entries: genesis, an agency, its key, policy, unit, 200 employees,
then flexible-work requests) is built directly with `verification` and the signing helpers,
with a real tree, inclusion proofs and a signed checkpoint. Target: the verifier's rate with
W signature threads >= 0.8 x the raw single-core rate x W.

Run:  .venv/bin/python -m bench.verify [--entries 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.signing import EnvelopeSigner
from tests.support import policy_data
from verification.bundle import BUNDLE_TAIL, bundle_entry, bundle_head, load_bundle
from verification.dsse import pae
from verification.leaf import Leaf, format_instant
from verification.merkle import fold_subtrees, inclusion_proof_nodes, node_hash, perfect_subtrees
from verification.note import format_checkpoint, generate_key, sign_note
from verification.verifier import verify_bundle

ORIGIN = "bench.jejak/log"
AGENCY = "kab-bench"
UNIT = "kab-bench/umum"
STAFF = 200
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _signer(name: str) -> EnvelopeSigner:
    return EnvelopeSigner(
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())
    )


def _payloads(
    count: int, operator: EnvelopeSigner, agency: EnvelopeSigner
) -> list[tuple[EnvelopeSigner, dict[str, object]]]:
    def event(
        kind: str, subject: str, data: dict[str, object], who: str = AGENCY
    ) -> dict[str, object]:
        return {
            "type": kind,
            "agency": who,
            "subject": subject,
            "actor": "196501011990031001",
            "occurred_at": "2026-12-01T08:00:00+07:00",
            "data": data,
        }

    def key(signer: EnvelopeSigner, org: str) -> dict[str, object]:
        data = {
            "org": org,
            "public_key": signer.public_key_b64,
            "holder": None,
            "valid_from": "2026-01-01T00:00:00Z",
        }
        return event("key.registered", f"key:{signer.keyid}", data, "operator")

    plan = [
        (operator, key(operator, "operator")),
        (
            operator,
            event("org.registered", AGENCY, {"kind": "agency", "name": "Bench"}, "operator"),
        ),
        (operator, key(agency, AGENCY)),
        (
            agency,
            event("policy.enacted", f"policy:{AGENCY}", policy_data(effective_from="2026-01-01")),
        ),
        (
            agency,
            event(
                "unit.registered",
                UNIT,
                {
                    "name": "Umum",
                    "public_service": False,
                    "service_hours": {"start": "08:00", "end": "16:00"},
                    "min_on_site": 0,
                },
            ),
        ),
    ]
    staff = [f"1990{n:014d}" for n in range(STAFF)]
    for nip in staff:
        plan.append(
            (
                agency,
                event(
                    "employee.enrolled",
                    nip,
                    {
                        "name": nip,
                        "unit": UNIT,
                        "position": "Analis",
                        "supervisor": None,
                        "placed_at": "2020-01-01",
                        "discipline": "none",
                    },
                ),
            )
        )
    n = 0
    while len(plan) < count:
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
        body = event("wfa.requested", f"req-{n}", request)
        body["actor"] = nip
        plan.append((agency, body))
        n += 1
    return plan[:count]


class _Levels:
    """Every perfect subtree hash of a tree, level by level, for proofs by range."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.levels = [leaves]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def range_hash(self, start: int, end: int) -> bytes:
        return fold_subtrees([self.levels[lv][i] for lv, i in perfect_subtrees(start, end)])


def build_bundle(count: int) -> tuple[bytes, str, list[tuple[Ed25519PublicKey, bytes, bytes]]]:
    """The bundle's bytes, the log's verifier key, and (key, signature, message) per entry."""
    operator, agency = _signer("bench-operator"), _signer("bench-agency")
    leaves, rows, raw = [], [], []
    chains: dict[str, tuple[int, str]] = {}
    for index, (signer, body) in enumerate(_payloads(count, operator, agency)):
        envelope = signer.sign(body)
        payload = base64.b64decode(str(envelope["payload"]))
        subject = str(body["subject"])
        version, prev = chains.get(subject, (0, None))
        leaf = Leaf.for_envelope(
            _parse(envelope),
            subject=subject,
            version=version + 1,
            prev=prev,
            integrated_at=T0 + timedelta(milliseconds=index),
        )
        digest = leaf.hash()
        chains[subject] = (version + 1, digest.hex())
        leaves.append(digest)
        rows.append((index, digest.hex(), leaf.canonical().decode(), str(envelope["payload"])))
        sig = base64.b64decode(leaf.signatures[0].sig)
        raw.append(
            (
                Ed25519PublicKey.from_public_bytes(signer.public_key),
                sig,
                pae(leaf.payload_type, payload),
            )
        )
    levels = _Levels(leaves)
    private, verifier = generate_key(ORIGIN)
    size = len(leaves)
    note = sign_note(format_checkpoint(ORIGIN, size, levels.range_hash(0, size)), private)
    parts = [
        bundle_head(
            origin=ORIGIN,
            log_key=verifier,
            checkpoint=note,
            subjects=[],
            as_of=format_instant(T0),
            consistency=None,
        )
    ]
    pieces = []
    for index, leaf_hash, leaf_json, payload in rows:
        proof = [levels.range_hash(s, e) for s, e in inclusion_proof_nodes(index, size)]
        pieces.append(bundle_entry(index, leaf_hash, leaf_json, payload, proof))
    parts.append(",".join(pieces))
    parts.append(BUNDLE_TAIL)
    return "".join(parts).encode(), verifier, raw


def _parse(envelope: dict[str, object]):  # type: ignore[no-untyped-def]
    from verification.dsse import parse_envelope

    return parse_envelope(envelope)


def _timed(function: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    built, (data, log_key, raw) = _timed(lambda: build_bundle(args.entries))
    print(
        f"built a {len(data) / 1e6:.1f} MB bundle of {args.entries} entries in {built:.1f} s",
        file=sys.stderr,
    )

    def raw_verify() -> None:
        for key, sig, message in raw:
            key.verify(sig, message)

    raw_s, _ = _timed(raw_verify)
    parse_s, _ = _timed(lambda: load_bundle(data))
    rows = [{"what": "raw Ed25519 verify, 1 core", "workers": 1, "seconds": raw_s}]
    for label, workers, replay in (
        ("verify_bundle, checks only", 1, False),
        ("verify_bundle, checks only", args.workers, False),
        ("verify_bundle with rule replay", args.workers, True),
    ):
        seconds, result = _timed(
            lambda w=workers, r=replay: verify_bundle(
                load_bundle(data), log_key, workers=w, replay=r
            )
        )
        if not result.ok:  # type: ignore[attr-defined]
            raise SystemExit(f"the bench bundle did not verify: {result.failures[:3]}")  # type: ignore[attr-defined]
        rows.append({"what": label, "workers": workers, "seconds": seconds})
    raw_rate = args.entries / raw_s
    for row in rows:
        row["entries_per_s"] = round(args.entries / float(row["seconds"]))
        row["vs_target"] = round(row["entries_per_s"] / (0.8 * raw_rate * int(row["workers"])), 2)
        row["seconds"] = round(float(row["seconds"]), 2)
    signature_us = raw_s / args.entries * 1e6
    checks_us = float(rows[1]["seconds"]) / args.entries * 1e6
    # At the target, W cores spend W / (0.8 * W * raw) per entry: one signature plus a quarter
    # of one for everything else, whatever W is.
    budget_us = 0.25 * signature_us
    breakdown = {
        "signature_us": round(signature_us, 1),
        "parse_bundle_us": round(parse_s / args.entries * 1e6, 1),
        "other_checks_us": round(checks_us - signature_us, 1),
        "non_signature_budget_us": round(budget_us, 1),
    }
    header = ["what", "workers", "seconds", "entries_per_s", "vs_target"]
    print(" | ".join(f"{h:>30}" if h == "what" else f"{h:>13}" for h in header))
    for row in rows:
        print(" | ".join(f"{row[h]!s:>30}" if h == "what" else f"{row[h]!s:>13}" for h in header))
    print(
        "per entry: {signature_us} µs Ed25519; {other_checks_us} µs of other checks, of which "
        "{parse_bundle_us} µs parsing the bundle; the target leaves "
        "{non_signature_budget_us} µs for all non-signature work".format(**breakdown)
    )
    print(
        json.dumps(
            {
                "bench": "verify",
                "entries": args.entries,
                "cpus": os.cpu_count(),
                "raw_single_core_per_s": round(raw_rate),
                "per_entry": breakdown,
                "results": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
