"""Genuine `jejak-bundle/2` files without a ledger: logs signed with real Ed25519 keys.

Envelopes are signed with `cryptography`, leaves hashed from their JCS bytes written here,
trees and proofs from `verification.merkle` and `verification.ranges`, checkpoints as C2SP notes
(`verification.note`). Tests damage the records (plain dicts) and write them out again.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.domain.builders import (
    AGENCY,
    HEAD,
    OMBUDSMAN,
    STAFF,
    STAFF2,
    UNIT,
    WIB,
    employee_data,
    payload,
    policy_data,
    request_data,
)
from verification.dsse import PAYLOAD_TYPE, pae
from verification.merkle import consistency_proof, inclusion_proof, root_hash
from verification.note import format_checkpoint, generate_key, sign_note
from verification.ranges import range_proof
from verification.subject_map import SubjectMap

NAME = "jejak.test"
ROOT = Path(__file__).resolve().parents[2]
OPERATOR = "operator"
Record = dict[str, Any]
DAY0 = datetime.fromisoformat("2026-11-30T01:00:00+00:00")  # context
PERIOD = ("2026-12-01", "2026-12-01")


@dataclass(frozen=True)
class Signer:
    """An Ed25519 key of the ledger's registry, derived from its name."""

    name: str

    @property
    def private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(self.name.encode()).digest())

    @property
    def raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def keyid(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def key_data(self, org: str, holder: str | None = None) -> dict[str, object]:
        return {
            "org": org,
            "public_key": base64.b64encode(self.raw).decode(),
            "holder": holder,
            "valid_from": "2026-01-01T00:00:00Z",
        }

    def sign(self, body: bytes) -> dict[str, str]:
        sig = self.private.sign(pae(PAYLOAD_TYPE, body))
        return {"keyid": self.keyid, "sig": base64.b64encode(sig).decode()}


def jcs(leaf: dict[str, object]) -> bytes:
    """RFC 8785 for a flat leaf of ASCII keys, strings, small integers and null."""
    return json.dumps(leaf, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def leaf_hash_of(leaf: dict[str, object]) -> str:
    return hashlib.sha256(b"\x00" + jcs(leaf)).hexdigest()


@dataclass
class Built:
    """One entry as the ledger would hold it."""

    log: str
    index: int
    leaf: dict[str, object]
    leaf_hash: str
    body: bytes


@dataclass
class Ledger2:
    """The registry log and agency logs of a ledger, built entry by entry."""

    note_private: str = ""
    log_key: str = ""
    logs: dict[str, list[Built]] = field(default_factory=dict)
    heads: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    now: datetime = DAY0

    def __post_init__(self) -> None:
        self.note_private, self.log_key = generate_key(NAME)
        self.logs[OPERATOR] = []

    def append(
        self,
        log: str,
        type: str,
        subject: str,
        data: dict[str, object],
        *,
        signers: list[Signer],
        actor: str = HEAD,
        registry_size: int | None = None,
        at: datetime | None = None,
    ) -> Built:
        at = at or self.now + timedelta(minutes=1)
        self.now = at
        agency = OPERATOR if log == OPERATOR else log
        body = payload(
            type,
            subject,
            data,
            agency=agency,
            actor=actor,
            occurred_at=at.astimezone(WIB).isoformat(),
        )
        entries = self.logs.setdefault(log, [])
        version, prev = self.heads.get((log, subject), (0, None))
        if registry_size is None:
            registry_size = 0 if log == OPERATOR else len(self.logs[OPERATOR])
        leaf: dict[str, object] = {
            "log": log,
            "payload_type": PAYLOAD_TYPE,
            "payload_sha256": hashlib.sha256(body).hexdigest(),
            "signatures": [s.sign(body) for s in signers],
            "subject": subject,
            "version": version + 1,
            "prev": prev,
            "registry_size": registry_size,
            "integrated_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        built = Built(log, len(entries), leaf, leaf_hash_of(leaf), body)
        entries.append(built)
        self.heads[(log, subject)] = (version + 1, built.leaf_hash)
        return built

    def hashes(self, log: str, size: int | None = None) -> list[bytes]:
        entries = self.logs[log]
        return [
            bytes.fromhex(e.leaf_hash) for e in entries[: len(entries) if size is None else size]
        ]

    def subject_map(self, log: str, size: int | None = None) -> SubjectMap:
        """The log's subject map at `size` (default: the whole log)."""
        built = SubjectMap()
        for entry in self.logs[log][:size]:
            leaf = entry.leaf
            built.set_heads(
                [(str(leaf["subject"]), int(str(leaf["version"])), bytes.fromhex(entry.leaf_hash))]
            )
        return built

    def subject_map_note(self, log: str, size: int | None = None) -> str:
        size = len(self.logs[log]) if size is None else size
        root = self.subject_map(log, size).root
        return sign_note(format_checkpoint(f"{NAME}/{log}/subjects", size, root), self.note_private)

    def head_record(self, log: str, subject: str, size: int | None = None) -> Record:
        """A head record: the subject's subject-map proof at `size` (default: the whole log)."""
        size = len(self.logs[log]) if size is None else size
        proof = self.subject_map(log, size).proof(subject, size)
        return {"record": "head", "log": log, "subject": subject, "proof": proof.as_json()}

    def checkpoint(self, log: str, size: int | None = None, origin: str | None = None) -> str:
        hashes = self.hashes(log, size)
        text = format_checkpoint(origin or f"{NAME}/{log}", len(hashes), root_hash(hashes))
        return sign_note(text, self.note_private)

    # -- records -------------------------------------------------------------------------

    def log_record(self, log: str, consistency_from: int | None = None) -> Record:
        record: Record = {
            "record": "log",
            "log": log,
            "origin": f"{NAME}/{log}",
            "checkpoint": self.checkpoint(log),
            "subject_map": self.subject_map_note(log),
            "consistency": None,
        }
        if consistency_from is not None:
            hashes = self.hashes(log)
            proof = consistency_proof(hashes, consistency_from, len(hashes))
            record["consistency"] = {
                "from_size": consistency_from,
                "hashes": [h.hex() for h in proof],
            }
        return record

    def entry_record(
        self, built: Built, *, proof: bool = True, missing: str | None = None
    ) -> Record:
        hashes = self.hashes(built.log)
        return {
            "record": "entry",
            "log": built.log,
            "index": built.index,
            "leaf_hash": built.leaf_hash,
            "leaf": copy.deepcopy(built.leaf),
            "payload": None if missing else base64.b64encode(built.body).decode(),
            "missing": missing,
            "proof": [h.hex() for h in inclusion_proof(hashes, built.index, len(hashes))]
            if proof
            else None,
        }

    def range_record(self, log: str, start: int, end: int) -> Record:
        hashes = range_proof(self.hashes(log), start, end)
        return {
            "record": "range",
            "log": log,
            "start": start,
            "end": end,
            "hashes": [h.hex() for h in hashes],
        }


@dataclass
class Bundle2:
    """A bundle's header and records, to damage and write out."""

    header: dict[str, object]
    records: list[Record]

    def lines(self) -> bytes:
        head = json.dumps({**self.header, "records": []}, separators=(",", ":"))
        assert head.endswith('"records":[]}')
        body = ",\n".join(
            json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in self.records
        )
        return (head[:-2] + "\n" + (body + "\n" if body else "") + "]}\n").encode()

    def write(self, path: Path) -> Path:
        path.write_bytes(self.lines())
        return path

    def entry(self, log: str, index: int) -> Record:
        for record in self.records:
            if record["record"] == "entry" and record["log"] == log and record["index"] == index:
                return record
        raise KeyError((log, index))

    def drop(self, log: str, index: int) -> Bundle2:
        self.records.remove(self.entry(log, index))
        return self

    def copy(self) -> Bundle2:
        return Bundle2(copy.deepcopy(self.header), copy.deepcopy(self.records))


OPERATOR_KEY, AGENCY_KEY, OMBUDSMAN_KEY = Signer("operator"), Signer(AGENCY), Signer(OMBUDSMAN)


def registry(ledger: Ledger2) -> None:
    """Registry entries 0-4: the operator's key, the agency and the ombudsman with their keys."""
    op = [OPERATOR_KEY]
    ledger.append(
        OPERATOR,
        "key.registered",
        f"key:{OPERATOR_KEY.keyid}",
        OPERATOR_KEY.key_data(OPERATOR),
        signers=op,
        actor=OPERATOR,
    )
    ledger.append(
        OPERATOR,
        "org.registered",
        AGENCY,
        {"kind": "agency", "name": "KAB A"},
        signers=op,
        actor=OPERATOR,
    )
    ledger.append(
        OPERATOR,
        "key.registered",
        f"key:{AGENCY_KEY.keyid}",
        AGENCY_KEY.key_data(AGENCY),
        signers=op,
        actor=OPERATOR,
    )
    ledger.append(
        OPERATOR,
        "org.registered",
        OMBUDSMAN,
        {"kind": "ombudsman", "name": "ORI"},
        signers=op,
        actor=OPERATOR,
    )
    ledger.append(
        OPERATOR,
        "key.registered",
        f"key:{OMBUDSMAN_KEY.keyid}",
        OMBUDSMAN_KEY.key_data(OMBUDSMAN),
        signers=op,
        actor=OPERATOR,
    )


def agency_log(ledger: Ledger2) -> None:
    """kab-a's log: 0-4 context on 2026-11-30, 5-10 on 2026-12-01 (the period), 11-12 after."""
    a = [AGENCY_KEY]
    hours = {"start": "08:00", "end": "16:00"}
    ledger.append(AGENCY, "policy.enacted", f"policy:{AGENCY}", policy_data(), signers=a)
    ledger.append(
        AGENCY,
        "unit.registered",
        UNIT,
        {"name": "Umum", "public_service": False, "service_hours": hours, "min_on_site": 0},
        signers=a,
    )
    ledger.append(
        AGENCY,
        "employee.enrolled",
        HEAD,
        employee_data(supervisor=None, position="kepala"),
        signers=a,
    )
    ledger.append(AGENCY, "employee.enrolled", STAFF, employee_data(), signers=a)
    ledger.append(AGENCY, "employee.enrolled", STAFF2, employee_data(), signers=a)
    ledger.now = datetime.fromisoformat("2026-12-01T01:00:00+00:00")
    ledger.append(AGENCY, "wfa.requested", "req-1", request_data(STAFF), signers=a, actor=STAFF)
    ledger.append(AGENCY, "wfa.approved", "req-1", {"note": "ok"}, signers=a)
    ledger.append(
        AGENCY,
        "wfa.requested",
        "req-2",
        request_data(STAFF2, ("2026-12-08",)),
        signers=a,
        actor=STAFF2,
    )
    ledger.append(AGENCY, "wfa.approved", "req-2", {"note": "ok"}, signers=a)
    ledger.append(
        AGENCY,
        "wfa.requested",
        "req-3",
        request_data(STAFF, ("2026-12-09",)),
        signers=a,
        actor=STAFF,
    )
    ledger.append(AGENCY, "wfa.rejected", "req-3", {"reason": "rapat"}, signers=a)
    ledger.now = datetime.fromisoformat("2026-12-02T01:00:00+00:00")
    ledger.append(AGENCY, "wfa.withdrawn", "req-1", {"reason": "batal"}, signers=a, actor=STAFF)
    ledger.append(
        AGENCY,
        "wfa.requested",
        "req-4",
        request_data(STAFF2, ("2026-12-10",)),
        signers=a,
        actor=STAFF2,
    )


def genuine_ledger() -> Ledger2:
    ledger = Ledger2()
    registry(ledger)
    agency_log(ledger)
    return ledger


OTHER_AGENCY = "kab-b"


def ledger_with_another_agency() -> Ledger2:
    """The genuine ledger whose registry also registers kab-b and its key (entries 5, 6), then
    revokes that key (7) before kab-a's entries: a bundle of kab-a may leave all three out."""
    ledger = Ledger2()
    registry(ledger)
    other, op = Signer(OTHER_AGENCY), [OPERATOR_KEY]
    data: dict[str, object] = {"kind": "agency", "name": "KAB B"}
    ledger.append(OPERATOR, "org.registered", OTHER_AGENCY, data, signers=op, actor=OPERATOR)
    key = f"key:{other.keyid}"
    ledger.append(
        OPERATOR, "key.registered", key, other.key_data(OTHER_AGENCY), signers=op, actor=OPERATOR
    )
    revoke: dict[str, object] = {"effective_at": "2026-11-30T01:00:00Z", "reason": "hilang"}
    ledger.append(OPERATOR, "key.revoked", key, revoke, signers=op, actor=OPERATOR)
    agency_log(ledger)
    return ledger


RANGE = (4, 12)
"""The period's range of kab-a's log: the boundary entries 4 (before) and 11 (after) included."""


def header(
    ledger: Ledger2, claim: Mapping[str, object], reader: str = "inspector"
) -> dict[str, object]:
    return {
        "format": "jejak-bundle/2",
        "log_key": ledger.log_key,
        "claim": dict(claim),
        "as_of": "2026-12-03T00:00:00.000000Z",
        "reader": reader,
    }


def period_bundle(
    ledger: Ledger2, *, registry_range: bool = False, registry_only: set[int] | None = None
) -> Bundle2:
    """kab-a's 2026-12-01: the registry (whole, or the entries `registry_only` names, as the
    exporter selects them), context 0-3 by proofs, range [4, 12)."""
    records: list[Record] = [ledger.log_record(OPERATOR)]
    registry_entries = [
        e for e in ledger.logs[OPERATOR] if registry_only is None or e.index in registry_only
    ]
    records += [ledger.entry_record(e, proof=not registry_range) for e in registry_entries]
    if registry_range:
        records.append(ledger.range_record(OPERATOR, 0, len(registry_entries)))
    records.append(ledger.log_record(AGENCY))
    start, end = RANGE
    for built in ledger.logs[AGENCY][:end]:
        records.append(ledger.entry_record(built, proof=built.index < start))
    records.append(ledger.range_record(AGENCY, start, end))
    claim = {"kind": "period", "log": AGENCY, "from": PERIOD[0], "to": PERIOD[1]}
    return Bundle2(header(ledger, claim), records)


def subject_bundle(ledger: Ledger2, subject: str, *, heads: bool = True) -> Bundle2:
    """A subject's history by inclusion proofs, with the context its replay needs (entries
    0-4, each its subject's whole chain) and, with `heads`, the head of every chain included."""
    records: list[Record] = [ledger.log_record(OPERATOR)]
    records += [ledger.entry_record(e) for e in ledger.logs[OPERATOR]]
    records.append(ledger.log_record(AGENCY))
    subjects: set[str] = set()
    for built in ledger.logs[AGENCY]:
        if built.index < 5 or built.leaf["subject"] == subject:
            records.append(ledger.entry_record(built))
            subjects.add(str(built.leaf["subject"]))
    if heads:
        records += [ledger.head_record(AGENCY, s) for s in sorted(subjects | {subject})]
    claim = {"kind": "subjects", "log": AGENCY, "subjects": [subject]}
    return Bundle2(header(ledger, claim), records)
