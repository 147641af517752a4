"""Named bundle/2 damages, each with the failure it must raise: (log, index, reason) or a verdict.

Built on `bundle2_builder` (no ledger); both verifiers, `jejak verify` and the page's verify.js,
are held to the same outcome on each (tests/verification/test_verify_js.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from tests.domain.builders import AGENCY, STAFF, request_data
from tests.verification.bundle2_builder import (
    AGENCY_KEY,
    NAME,
    OPERATOR,
    OPERATOR_KEY,
    RANGE,
    Bundle2,
    Ledger2,
    Signer,
    genuine_ledger,
    leaf_hash_of,
    period_bundle,
    subject_bundle,
)
from verification.note import format_checkpoint, sign_note


@dataclass
class Case:
    """A bundle, the trusted checkpoints handed beside it, and what the verdict must say."""

    ledger: Ledger2
    bundle: Bundle2
    verdict: str  # "complete", "partial", "failed"
    expect: tuple[str | None, int | None, str] | None = None
    trusted: tuple[str, ...] = ()


CASES: dict[str, Callable[[], Case]] = {}


def case(name: str) -> Callable[[Callable[[], Case]], Callable[[], Case]]:
    def register(build: Callable[[], Case]) -> Callable[[], Case]:
        CASES[name] = build
        return build

    return register


def _log_record(bundle: Bundle2, log: str) -> dict[str, object]:
    return next(r for r in bundle.records if r["record"] == "log" and r["log"] == log)


def _range(bundle: Bundle2) -> dict[str, list[str]]:
    return next(r for r in bundle.records if r["record"] == "range")


@case("genuine-period")
def _genuine() -> Case:
    ledger = genuine_ledger()
    return Case(ledger, period_bundle(ledger), "complete")


@case("genuine-subject")
def _subject() -> Case:
    ledger = genuine_ledger()
    return Case(ledger, subject_bundle(ledger, "req-1"), "complete")


@case("subject-head-unproven")
def _subject_unproven() -> Case:
    ledger = genuine_ledger()
    return Case(ledger, subject_bundle(ledger, "req-1", heads=False), "partial")


@case("chain-tail-dropped")
def _chain_tail() -> Case:
    """req-1's withdrawal (entry 11, version 3) left out: the chain ends at entry 6."""
    ledger = genuine_ledger()
    bundle = subject_bundle(ledger, "req-1").drop(AGENCY, 11)
    return Case(ledger, bundle, "failed", (AGENCY, 6, "missing-entry"))


@case("context-entry-dropped")
def _context_entry() -> Case:
    """STAFF2's enrolment (entry 4), a context chain whose head the bundle proves, left out."""
    ledger = genuine_ledger()
    bundle = subject_bundle(ledger, "req-1").drop(AGENCY, 4)
    return Case(ledger, bundle, "failed", (AGENCY, None, "missing-entry"))


@case("subject-map-proof-stale-size")
def _stale_head() -> Case:
    """req-1's head proven at size 11, before its withdrawal, against the note of size 13."""
    ledger = genuine_ledger()
    bundle = subject_bundle(ledger, "req-1")
    for n, record in enumerate(bundle.records):
        if record["record"] == "head" and record["subject"] == "req-1":
            bundle.records[n] = ledger.head_record(AGENCY, "req-1", 11)
    return Case(ledger, bundle, "partial")


@case("subject-map-proof-tampered")
def _tampered_head() -> Case:
    """req-1's head claimed at version 2 (its approval): the proof no longer rebuilds the root."""
    ledger = genuine_ledger()
    bundle = subject_bundle(ledger, "req-1").drop(AGENCY, 11)
    for record in bundle.records:
        if record["record"] == "head" and record["subject"] == "req-1":
            for item in record["proof"]["bucket"]:
                if item["version"] == 3:
                    item["version"], item["leaf_hash"] = 2, bundle.entry(AGENCY, 6)["leaf_hash"]
    return Case(ledger, bundle, "failed", (AGENCY, None, "head-proof"))


for _index in (RANGE[0], RANGE[0] + 1, 8, RANGE[1] - 1):

    def _dropped(index: int = _index) -> Case:
        ledger = genuine_ledger()
        bundle = period_bundle(ledger).drop(AGENCY, index)
        return Case(ledger, bundle, "failed", (AGENCY, index, "missing-entry"))

    CASES[f"range-entry-{_index}-dropped"] = _dropped


@case("leaf-altered")
def _leaf() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    bundle.entry(AGENCY, 6)["leaf"]["integrated_at"] = "2026-12-01T01:02:30.000000Z"
    return Case(ledger, bundle, "failed", (AGENCY, 6, "leaf-hash-mismatch"))


@case("payload-byte-changed")
def _payload() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 7)
    body = bytearray(base64.b64decode(record["payload"]))
    body[body.index(b"rumah")] = ord("R")
    record["payload"] = base64.b64encode(bytes(body)).decode()
    return Case(ledger, bundle, "failed", (AGENCY, 7, "payload-hash-mismatch"))


@case("signature-from-another-entry")
def _signature() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 2)
    record["leaf"]["signatures"][0]["sig"] = bundle.entry(AGENCY, 3)["leaf"]["signatures"][0]["sig"]
    record["leaf_hash"] = leaf_hash_of(record["leaf"])
    return Case(ledger, bundle, "failed", (AGENCY, 2, "bad-signature"))


@case("inclusion-proof-altered")
def _proof() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    bundle.entry(AGENCY, 1)["proof"][0] = "00" * 32
    return Case(ledger, bundle, "failed", (AGENCY, 1, "inclusion"))


@case("range-hash-altered")
def _range_hash() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    _range(bundle)["hashes"][0] = "00" * 32
    return Case(ledger, bundle, "failed", (AGENCY, RANGE[0], "range"))


@case("key-registered-after-registry-size")
def _late_key() -> Case:
    ledger = genuine_ledger()
    late = Signer("late-key")
    size = len(ledger.logs[OPERATOR])
    data = late.key_data(AGENCY)
    ledger.append(
        OPERATOR,
        "key.registered",
        f"key:{late.keyid}",
        data,
        signers=[OPERATOR_KEY],
        actor=OPERATOR,
    )
    built = ledger.append(
        AGENCY,
        "wfa.requested",
        "req-9",
        request_data(STAFF),
        signers=[late],
        actor=STAFF,
        registry_size=size,
    )
    bundle = subject_bundle(ledger, "req-9")
    return Case(ledger, bundle, "failed", (AGENCY, built.index, "key-registered-later"))


@case("checkpoint-origin-without-log")
def _origin() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    _log_record(bundle, AGENCY)["checkpoint"] = ledger.checkpoint(AGENCY, origin=NAME)
    return Case(ledger, bundle, "failed", (AGENCY, None, "checkpoint"))


@case("checkpoint-of-another-log")
def _other_log() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    _log_record(bundle, AGENCY)["checkpoint"] = ledger.checkpoint(AGENCY, origin=f"{NAME}/kab-b")
    return Case(ledger, bundle, "failed", (AGENCY, None, "checkpoint"))


@case("payload-withheld")
def _withheld() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 8)
    record["payload"], record["missing"] = None, "withheld"
    return Case(ledger, bundle, "partial")


def _redact(ledger: Ledger2, index: int) -> None:
    data = {"log": AGENCY, "index": index, "basis": "UU 27/2022 Pasal 43", "reason": "permintaan"}
    ledger.append(
        OPERATOR,
        "entry.redacted",
        f"redaction:{AGENCY}:{index}",
        data,
        signers=[OPERATOR_KEY],
        actor=OPERATOR,
    )


@case("payload-redacted-by-entry-redacted")
def _redacted() -> Case:
    ledger = genuine_ledger()
    _redact(ledger, 8)
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 8)
    record["payload"], record["missing"] = None, "redacted"
    return Case(ledger, bundle, "complete")


@case("payload-redacted-without-entry-redacted")
def _unproven() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 8)
    record["payload"], record["missing"] = None, "redacted"
    return Case(ledger, bundle, "failed", (AGENCY, 8, "redaction-unproven"))


@case("consistent-with-trusted")
def _consistent() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    _log_record(bundle, AGENCY)["consistency"] = ledger.log_record(AGENCY, 9)["consistency"]
    return Case(ledger, bundle, "complete", trusted=(ledger.checkpoint(AGENCY, size=9),))


@case("forked-log")
def _forked() -> Case:
    ledger = genuine_ledger()
    size = len(ledger.logs[AGENCY])
    note = sign_note(format_checkpoint(f"{NAME}/{AGENCY}", size, b"\x07" * 32), ledger.note_private)
    return Case(ledger, period_bundle(ledger), "failed", (AGENCY, None, "consistency"), (note,))


@case("range-short-of-the-boundary-before")
def _short() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    start, end = RANGE
    bundle.records = [r for r in bundle.records if r["record"] != "range" or r["log"] != AGENCY]
    bundle.entry(AGENCY, start)["proof"] = ledger.entry_record(ledger.logs[AGENCY][start])["proof"]
    bundle.records.append(ledger.range_record(AGENCY, start + 1, end))
    return Case(ledger, bundle, "failed", (AGENCY, start, "missing-entry"))


@case("range-short-of-the-boundary-after")
def _short_after() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    start, end = RANGE
    bundle.records = [r for r in bundle.records if r["record"] != "range" or r["log"] != AGENCY]
    bundle.drop(AGENCY, end - 1)
    bundle.records.append(ledger.range_record(AGENCY, start, end - 1))
    return Case(ledger, bundle, "failed", (AGENCY, end - 1, "missing-entry"))


@case("registry-entry-signed-by-an-agency-key")
def _wrong_signer() -> Case:
    ledger = genuine_ledger()
    bundle = subject_bundle(ledger, "req-1")
    record = bundle.entry(OPERATOR, 1)
    record["leaf"]["signatures"] = [AGENCY_KEY.sign(base64.b64decode(record["payload"]))]
    record["leaf_hash"] = leaf_hash_of(record["leaf"])
    return Case(ledger, bundle, "failed", (OPERATOR, 1, "key-not-registered"))


@case("chain-version-gap")
def _gap() -> Case:
    ledger = genuine_ledger()
    bundle = subject_bundle(ledger, "req-1").drop(AGENCY, 6)
    return Case(ledger, bundle, "failed", (AGENCY, 11, "chain-version"))


@case("claimed-chain-without-its-first-version")
def _first() -> Case:
    ledger = genuine_ledger()
    bundle = subject_bundle(ledger, "req-1").drop(AGENCY, 5)
    return Case(ledger, bundle, "failed", (AGENCY, 6, "missing-entry"))


@case("leaf-of-another-log")
def _leaf_log() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    record = bundle.entry(AGENCY, 1)
    record["leaf"]["log"] = "kab-b"
    record["leaf_hash"] = leaf_hash_of(record["leaf"])
    return Case(ledger, bundle, "failed", (AGENCY, 1, "leaf-log"))


@case("registry-as-one-range")
def _registry_range() -> Case:
    ledger = genuine_ledger()
    return Case(ledger, period_bundle(ledger, registry_range=True), "complete")


def _subject_map(ledger: Ledger2, origin: str, size: int) -> str:
    return sign_note(format_checkpoint(origin, size, b"\x05" * 32), ledger.note_private)


@case("subject-map-note-beside-the-checkpoint")
def _subject_map_ok() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    size = len(ledger.logs[AGENCY])
    note = _subject_map(ledger, f"{NAME}/{AGENCY}/subjects", size)
    _log_record(bundle, AGENCY)["subject_map"] = note
    return Case(ledger, bundle, "complete")


@case("subject-map-note-of-another-size")
def _subject_map_size() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    note = _subject_map(ledger, f"{NAME}/{AGENCY}/subjects", 3)
    _log_record(bundle, AGENCY)["subject_map"] = note
    return Case(ledger, bundle, "failed", (AGENCY, None, "checkpoint"))


@case("subject-map-note-of-another-origin")
def _subject_map_origin() -> Case:
    ledger = genuine_ledger()
    bundle = period_bundle(ledger)
    size = len(ledger.logs[AGENCY])
    _log_record(bundle, AGENCY)["subject_map"] = _subject_map(ledger, f"{NAME}/{AGENCY}", size)
    return Case(ledger, bundle, "failed", (AGENCY, None, "checkpoint"))


@case("trusted-checkpoint-of-a-log-not-in-the-bundle")
def _trusted_elsewhere() -> Case:
    ledger = genuine_ledger()
    note = sign_note(format_checkpoint(f"{NAME}/kab-z", 1, b"\x01" * 32), ledger.note_private)
    return Case(ledger, period_bundle(ledger), "partial", trusted=(note,))
