"""Export a `jejak-bundle/1`: plan it under the read lock, then stream it entry chunk by chunk."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.events import OPERATOR
from ledger.errors import LedgerError, NotFoundError, NotPermittedError
from ledger.export_select import Selection
from ledger.ledger import Ledger
from ledger.proofs import ImpossibleProofError
from ledger.records import CheckpointRow, EntryRecorded
from ledger.tokens import Principal
from verification.bundle import BUNDLE_TAIL, bundle_entry, bundle_head

CHUNK = 500
"""Entries read, proven and written per step: memory stays bounded whatever the bundle's size."""
RUN_GAP = 32
"""Selected indexes this close together are read as one range (fewer queries, a few extra rows)."""


class BundleQueryError(LedgerError):
    """The bundle parameters name no single selection, or an impossible one."""

    rule = "bad-bundle-query"


@dataclass(frozen=True)
class BundleQuery:
    """What to export: one of a subject, an agency (with an optional period), a complaint."""

    subject: str | None = None
    agency: str | None = None
    start: date | None = None
    end: date | None = None
    complaint: str | None = None
    consistency_from: int | None = None

    def check(self) -> None:
        given = [x for x in (self.subject, self.agency, self.complaint) if x]
        if len(given) != 1:
            raise BundleQueryError("give exactly one of subject, agency or complaint")
        if (self.start or self.end) and not self.agency:
            raise BundleQueryError("from and to go with agency")
        if self.start and self.end and self.start > self.end:
            raise BundleQueryError("from is after to")
        if self.consistency_from is not None and self.consistency_from < 1:
            raise BundleQueryError("consistency_from must be at least 1")


@dataclass(frozen=True)
class ExportPlan:
    """Everything fixed before the first byte is written."""

    checkpoint: CheckpointRow
    origin: str
    log_key: str
    subjects: tuple[str, ...]
    indexes: tuple[int, ...]
    consistency: tuple[int, list[bytes]] | None
    reader_org: str | None


def _may_read(principal: Principal | None, agency: str, hidden: LedgerError | None = None) -> None:
    """An agency exports only its own data; `hidden`, when given, is raised instead of the
    refusal, so another agency's subject or complaint answers exactly as a missing one."""
    if principal is not None and principal.role == "agency" and agency != principal.org:
        raise hidden or NotPermittedError("an agency token may export only its own agency's data")


def _instant_bound(day: date, end: bool) -> datetime:
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def _first_at_or_after(ledger: Ledger, at: datetime, size: int) -> int:
    """The first index integrated at or after `at` (integration time never decreases)."""
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) // 2
        if datetime.fromisoformat(str(ledger.entry(mid).leaf["integrated_at"])) < at:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _payload(event: EntryRecorded) -> dict[str, object]:
    try:
        decoded = json.loads(base64.b64decode(str(event.envelope["payload"])))
    except (ValueError, binascii.Error):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _agency_subjects(ledger: Ledger, query: BundleQuery, size: int) -> list[str]:
    """Subjects of the agency with an entry integrated in [from, to] (UTC days)."""
    lo = (
        0
        if query.start is None
        else _first_at_or_after(ledger, _instant_bound(query.start, False), size)
    )
    hi = (
        size
        if query.end is None
        else _first_at_or_after(ledger, _instant_bound(query.end, True), size)
    )
    found: dict[str, None] = {}
    recorder = ledger.store.recorder
    for start in range(lo, hi, 2000):
        for stored in recorder.entries(start, min(hi, start + 2000)):
            event = ledger.store.decode(stored)
            payload = _payload(event)
            if payload.get("agency") == query.agency:
                found[str(event.leaf["subject"])] = None
    return list(found)


def plan_export(ledger: Ledger, query: BundleQuery, principal: Principal | None) -> ExportPlan:
    """Fix the checkpoint and the entries; raise before anything is streamed."""
    query.check()
    ledger.sync()
    for _ in range(20):
        with ledger.read_lock():
            checkpoint = ledger.latest_checkpoint()
            if checkpoint.size <= ledger.state.size:
                return _plan(ledger, query, principal, checkpoint)
        ledger.sync()
    raise LedgerError("the log kept growing while the bundle was planned; try again")


def _plan(
    ledger: Ledger, query: BundleQuery, principal: Principal | None, checkpoint: CheckpointRow
) -> ExportPlan:
    state, size = ledger.state, checkpoint.size
    selection = Selection(state, size)
    subjects: list[str]
    if query.subject is not None:
        view = state.subject_view(query.subject)
        missing = NotFoundError(f"there is no subject {query.subject!r}")
        if view is None or not any(i < size for i in view.indexes):
            raise missing
        owner = view.state.get("agency") or _owner(ledger, view.indexes[0])
        _may_read(principal, str(owner), hidden=missing)
        selection.add_request_with_neighbours(query.subject)
        subjects = [query.subject]
    elif query.complaint is not None:
        complaint = state.complaint(query.complaint)
        missing = NotFoundError(f"there is no complaint {query.complaint!r}")
        if complaint is None or complaint.filed_entry >= size:
            raise missing
        _may_read(principal, complaint.agency, hidden=missing)
        around = selection.add_complaint(query.complaint)
        for index in complaint.finding_entries:
            if index < size:
                selection.add(str(ledger.entry(index).leaf["subject"]))
        subjects = [query.complaint, complaint.unit, *around]
    else:
        agency = str(query.agency)
        if state.org(agency) is None:
            raise NotFoundError(f"there is no organisation {agency!r}")
        _may_read(principal, agency)
        subjects = _agency_subjects(ledger, query, size)
        for subject in subjects:
            selection.add_request_with_neighbours(subject)
    consistency = None
    if query.consistency_from is not None:
        if query.consistency_from > size:
            raise ImpossibleProofError(f"consistency_from {query.consistency_from} > size {size}")
        hashes = (
            []
            if query.consistency_from == size
            else ledger.proofs.consistency_proof(query.consistency_from, size)
        )
        consistency = (query.consistency_from, hashes)
    reader = principal.org if principal is not None and principal.role == "agency" else None
    return ExportPlan(
        checkpoint,
        ledger.signer.origin,
        ledger.signer.verifier_key,
        tuple(subjects),
        tuple(selection.indexes()),
        consistency,
        reader,
    )


def _owner(ledger: Ledger, index: int) -> str:
    return str(_payload(ledger.entry(index)).get("agency", ""))


def _read(ledger: Ledger, indexes: Sequence[int]) -> dict[int, EntryRecorded]:
    """The entries at `indexes`, reading nearby ones as one range."""
    found: dict[int, EntryRecorded] = {}
    wanted = set(indexes)
    run_start = previous = indexes[0]
    for index in [*indexes[1:], None]:
        if index is not None and index - previous <= RUN_GAP:
            previous = index
            continue
        for stored in ledger.store.recorder.entries(run_start, previous + 1):
            if stored.index in wanted:
                found[stored.index] = ledger.store.decode(stored)
        if index is not None:
            run_start = previous = index
    missing = wanted - found.keys()
    if missing:
        raise NotFoundError(f"entries {sorted(missing)[:5]} are missing from the store")
    return found


def stream_bundle(ledger: Ledger, plan: ExportPlan) -> Iterator[str]:
    """The bundle's JSON text in pieces; at most CHUNK entries are held at a time."""
    yield bundle_head(
        origin=plan.origin,
        log_key=plan.log_key,
        checkpoint=plan.checkpoint.note,
        subjects=plan.subjects,
        as_of=plan.checkpoint.published_at,
        consistency=plan.consistency,
    )
    size = plan.checkpoint.size
    for start in range(0, len(plan.indexes), CHUNK):
        chunk = plan.indexes[start : start + CHUNK]
        events = _read(ledger, chunk)
        proofs = ledger.proofs.inclusion_proofs(chunk, size)
        pieces = []
        for index, proof in zip(chunk, proofs, strict=True):
            event = events[index]
            payload_b64: str | None = str(event.envelope["payload"])
            if plan.reader_org is not None:
                agency = _payload(event).get("agency")
                if agency not in (plan.reader_org, OPERATOR):
                    payload_b64 = None
            pieces.append(bundle_entry(index, event.leaf_hash, event.leaf_json, payload_b64, proof))
        yield ("," if start else "") + ",".join(pieces)
    yield BUNDLE_TAIL
