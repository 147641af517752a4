"""Redaction (UU 27/2022): an operator-signed `entry.redacted`, then the payload erased.

`jejak redact LOG INDEX --basis TEXT` and `POST /v1/redactions` come here. The order makes a
crash harmless: the registry entry is appended first (the verifiable statement), then the
agency log's writer erases the payload (`Ledger.apply_redactions`: a writer that finds a
redaction whose payload its store still holds erases it, at open and before each group)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.aggregates import Complaint
from ledger.errors import (
    AlreadyRedactedError,
    LegalHoldError,
    NotFoundError,
    RedactionRefusedError,
)
from ledger.ledger import Ledger, Receipt
from ledger.logs import Logs
from ledger.operator import Operator
from ledger.placement import REGISTRY_LOG


@dataclass(frozen=True)
class Redacted:
    """What a redaction did: the entry, its basis, and the registry entry that records it."""

    log: str
    index: int
    basis: str
    reason: str
    receipt: Receipt

    def as_json(self) -> dict[str, object]:
        return {
            "log": self.log,
            "index": self.index,
            "basis": self.basis,
            "reason": self.reason,
            "receipt": self.receipt.as_json(),
        }


def redact(
    logs: Logs, operator: Operator, log: str, index: int, basis: str, reason: str
) -> Redacted:
    """Redact entry `index` of agency log `log`, or raise before anything is stored."""
    if log == REGISTRY_LOG:
        raise RedactionRefusedError(
            "registry entries are never redacted: they are the key registry every proof rests on"
        )
    if not logs.exists(log):
        raise NotFoundError(f"there is no log {log!r}")
    ledger = logs.log(log)
    ledger.sync()
    registry = logs.registry_state
    with ledger.read_lock():
        if not 0 <= index < ledger.size:
            raise NotFoundError(f"log {log} has no entry {index}")
        if registry.redaction(log, index) is not None:
            raise AlreadyRedactedError(f"entry {index} of log {log} is redacted already")
        _check_payload_apart(ledger, index)
        holding = complaints_citing(ledger, index)
    if holding:
        raise LegalHoldError(
            f"entry {index} of log {log} is cited by open complaint(s) {', '.join(holding)}:"
            " it is under legal hold until they are closed",
            holding,
        )
    receipt = operator.redact(log, index, basis, reason)
    ledger.redacted()
    return Redacted(log, index, basis, reason, receipt)


def _check_payload_apart(ledger: Ledger, index: int) -> None:
    stored = ledger.store.recorder.entries(index, index + 1)[0]
    if stored.payload is None and ledger.store.decode(stored).payload_b64 is not None:
        raise RedactionRefusedError(
            f"entry {index} was stored with its payload inside its event (before payloads were"
            " kept apart): it cannot be erased"
        )


def complaints_citing(ledger: Ledger, index: int) -> tuple[str, ...]:
    """The open complaints that cite entry `index` (docs/rules.md, "Legal hold"): one of
    the complaint's own entries, an entry its findings name, or any entry of a subject whose
    entry its findings name (the complaint's bundle carries those chains whole)."""
    subject = str(ledger.entry(index).leaf["subject"])
    found: list[str] = []
    for complaint in ledger.complaints():
        if complaint.status != "closed" and _cites(ledger, complaint, index, subject):
            found.append(complaint.id)
    return tuple(found)


def _cites(ledger: Ledger, complaint: Complaint, index: int, subject: str) -> bool:
    if subject == complaint.id or index == complaint.filed_entry:
        return True
    if index in complaint.finding_entries:
        return True
    size = ledger.size
    return any(
        str(ledger.entry(cited).leaf["subject"]) == subject
        for cited in complaint.finding_entries
        if 0 <= cited < size
    )
