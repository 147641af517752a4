"""Export a `jejak-bundle/2` (docs/bundle.md): plan it under the logs' read locks, then stream it
one record per line, entry chunk by chunk.

A bundle holds one agency log's entries (a period's contiguous range with its boundary entries,
or the whole chains of some subjects, or a complaint's) with what their replay needs, and the
registry-log entries that register the organisations and keys they use, each log against its
own signed checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.registry import RegistryState
from domain.state import LedgerState
from ledger.errors import LedgerError, NotFoundError, NotPermittedError
from ledger.export_select import OVERSIGHT, Selection
from ledger.ledger import Ledger
from ledger.logs import Logs
from ledger.placement import REGISTRY_LOG
from ledger.proofs import ImpossibleProofError
from ledger.records import CheckpointRow, EntryRecorded
from ledger.subject_map import stored_proofs
from ledger.tokens import Principal
from verification.ranges import range_nodes
from verification.write import BundleWriter, entry_record, head_record, log_record, range_record

CHUNK = 500
"""Entries read, proven and written per step: memory stays bounded whatever the bundle's size."""
RUN_GAP = 32
"""Selected indexes this close together are read as one range (fewer queries, a few extra rows)."""


class BundleQueryError(LedgerError):
    """The bundle parameters name no single selection, or an impossible one."""

    rule = "bad-bundle-query"


@dataclass(frozen=True)
class BundleQuery:
    """What to export: a subject of a log, an agency's log (with an optional period), or a
    complaint (in `log` when given, else looked up among the agency logs)."""

    subject: str | None = None
    agency: str | None = None
    start: date | None = None
    end: date | None = None
    complaint: str | None = None
    consistency_from: int | None = None
    log: str | None = None

    def check(self) -> None:
        given = [x for x in (self.subject, self.agency, self.complaint) if x]
        if len(given) != 1:
            raise BundleQueryError("give exactly one of subject, agency or complaint")
        if self.subject and not self.log:
            raise BundleQueryError("a subject is named within its log: give log and subject")
        if self.agency and self.log and self.log != self.agency:
            raise BundleQueryError("an agency's entries are in its own log")
        if (self.start or self.end) and not self.agency:
            raise BundleQueryError("from and to go with agency")
        if self.start and self.end and self.start > self.end:
            raise BundleQueryError("from is after to")
        if self.consistency_from is not None and self.consistency_from < 1:
            raise BundleQueryError("consistency_from must be at least 1")


@dataclass(frozen=True)
class LogPart:
    """One log's share of a bundle: its checkpoint, the entries, the range they form."""

    log: str
    origin: str
    checkpoint: CheckpointRow
    indexes: tuple[int, ...]
    span: tuple[int, int] | None = None  # a period's contiguous range [start, end)
    consistency: tuple[int, list[bytes]] | None = None
    heads: tuple[str, ...] = ()  # subjects whose whole chain is included, head proven


@dataclass(frozen=True)
class ExportPlan:
    """Everything fixed before the first byte is written."""

    log_key: str
    claim: dict[str, object]
    as_of: str
    reader: str
    registry: LogPart
    agency: LogPart
    reader_org: str | None

    @property
    def parts(self) -> tuple[LogPart, LogPart]:
        return (self.registry, self.agency)

    # the claim's log and entries, for callers that name the bundle
    @property
    def log(self) -> str:
        return self.agency.log

    @property
    def checkpoint(self) -> CheckpointRow:
        return self.agency.checkpoint


def _may_read(principal: Principal | None, agency: str, hidden: LedgerError | None = None) -> None:
    """An agency exports only its own log; `hidden`, when given, is raised instead of the
    refusal, so another agency's subject or complaint answers exactly as a missing one."""
    if principal is not None and principal.role == "agency" and agency != principal.org:
        raise hidden or NotPermittedError("an agency token may export only its own agency's data")


def _reader(principal: Principal | None) -> str:
    if principal is None:
        return "operator"
    if principal.role == "agency":
        return f"agency:{principal.org}"
    return principal.role


def _instant_bound(day: date, end: bool) -> datetime:
    moment = datetime.combine(day, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def _first_at_or_after(ledger: Ledger, at: datetime, size: int) -> int:
    """The first index integrated at or after `at` (integration time never decreases in a
    log): O(log n) reads."""
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
        decoded = json.loads(base64.b64decode(event.payload_b64 or ""))
    except (ValueError, binascii.Error):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _find_complaint(logs: Logs, complaint: str) -> str | None:
    for log_id in logs.ids()[1:]:
        if logs.log(log_id).agency_state.complaint(complaint) is not None:
            return log_id
    return None


def plan_export(logs: Logs, query: BundleQuery, principal: Principal | None) -> ExportPlan:
    """Fix the checkpoints and the entries; raise before anything is streamed."""
    query.check()
    missing_complaint = NotFoundError(f"there is no complaint {query.complaint!r}")
    log_id = query.log or query.agency
    if log_id is None:
        log_id = _find_complaint(logs, str(query.complaint))
        if log_id is None:
            raise missing_complaint
    if log_id == REGISTRY_LOG:
        raise BundleQueryError("bundles hold an agency log's entries (the registry's come along)")
    if not logs.exists(log_id):
        raise NotFoundError(f"there is no log {log_id!r}")
    if query.agency is not None:
        _may_read(principal, log_id)
    ledger = logs.log(log_id)
    ledger.sync()
    for _ in range(20):
        with ledger.read_lock(), logs.registry.read_lock():
            checkpoint = ledger.latest_checkpoint()
            if checkpoint.size <= ledger.size:
                return _plan(logs, ledger, query, principal, checkpoint)
        ledger.sync()
    raise LedgerError("the log kept growing while the bundle was planned; try again")


def _plan(
    logs: Logs,
    ledger: Ledger,
    query: BundleQuery,
    principal: Principal | None,
    checkpoint: CheckpointRow,
) -> ExportPlan:
    state, size, log_id = ledger.agency_state, checkpoint.size, ledger.log_id
    selection = Selection(state, size)
    claim: dict[str, object]
    span: tuple[int, int] | None = None
    if query.subject is not None:
        missing = NotFoundError(f"log {log_id} has no subject {query.subject!r}")
        _may_read(principal, log_id, hidden=missing)
        view = state.subject_view(query.subject)
        if view is None or not any(i < size for i in view.indexes):
            raise missing
        selection.add_request_with_neighbours(query.subject)
        claim = {"kind": "subjects", "log": log_id, "subjects": [query.subject]}
    elif query.complaint is not None:
        complaint = state.complaint(query.complaint)
        missing = NotFoundError(f"there is no complaint {query.complaint!r}")
        _may_read(principal, log_id, hidden=missing)
        if complaint is None or complaint.filed_entry >= size:
            raise missing
        selection.add_complaint(query.complaint)
        for index in complaint.finding_entries:
            if index < size:
                selection.add(str(ledger.entry(index).leaf["subject"]))
        claim = {"kind": "complaint", "log": log_id, "complaint": query.complaint}
    else:
        span = _period(ledger, query, size)
        for stored in _entries(ledger, range(*span)):
            selection.add_request_with_neighbours(str(stored.leaf["subject"]))
        claim = {
            "kind": "period",
            "log": log_id,
            "from": None if query.start is None else query.start.isoformat(),
            "to": None if query.end is None else query.end.isoformat(),
        }
    indexes = set(selection.indexes())
    heads: tuple[str, ...] = ()
    if span is None:  # a subject or complaint claim: every whole chain of the log, proven
        heads = tuple(sorted(s for s in selection.subjects if _in_log(state, s, size)))
    if span is not None:
        indexes.update(range(*span))
    registry = _registry_part(
        logs, selection.agencies | {log_id}, _redactions(logs, log_id, indexes)
    )
    agency = LogPart(
        log_id,
        ledger.origin,
        checkpoint,
        tuple(sorted(indexes)),
        span,
        _consistency(ledger, query.consistency_from, size),
        heads,
    )
    reader_org = principal.org if principal is not None and principal.role == "agency" else None
    return ExportPlan(
        ledger.signer.verifier_key,
        claim,
        checkpoint.published_at,
        _reader(principal),
        registry,
        agency,
        reader_org,
    )


def _in_log(state: LedgerState, subject: str, size: int) -> bool:
    view = state.subject_view(subject)
    return view is not None and any(i < size for i in view.indexes)


def _period(ledger: Ledger, query: BundleQuery, size: int) -> tuple[int, int]:
    """The period's entries with the boundary entries around them: the last entry before the
    period and the first after it, where they exist (docs/bundle.md, `range`)."""
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
    return max(0, lo - 1), min(size, hi + 1)


def _redactions(logs: Logs, log_id: str, indexes: set[int]) -> set[int]:
    """The registry entries (`entry.redacted`, each its subject's whole chain) that redact
    entries of the bundle: the verifier tells a redacted payload from a forged null by them."""
    state = logs.registry_state
    found = (state.redaction(log_id, index) for index in indexes)
    return {redaction.entry for redaction in found if redaction is not None}


def _registry_part(
    logs: Logs, orgs: set[str], redactions: AbstractSet[int] = frozenset()
) -> LogPart:
    """The registry entries the agency entries' keys and organisations rest on: the genesis,
    the organisations involved and every oversight body, their keys and revocations, and the
    redactions of the bundle's entries."""
    registry = logs.registry
    state = registry.state
    assert isinstance(state, RegistryState)
    checkpoint = registry.latest_checkpoint()
    size = checkpoint.size
    wanted = {0, *redactions}
    involved = set(orgs) | {REGISTRY_LOG}
    involved.update(org.id for org in state.orgs() if org.kind in OVERSIGHT)
    for org_id in involved:
        found = state.org_entry(org_id)
        if found is not None:
            wanted.add(found)
    for record in state.keys():  # noqa: SIM118 (a list of key records, not a dict)
        if record.key.org in involved:
            wanted.add(record.registered)
            if record.revoked is not None:
                wanted.add(record.revoked)
    return LogPart(
        REGISTRY_LOG, registry.origin, checkpoint, tuple(sorted(i for i in wanted if i < size))
    )


def _consistency(ledger: Ledger, old: int | None, size: int) -> tuple[int, list[bytes]] | None:
    if old is None:
        return None
    if old > size:
        raise ImpossibleProofError(f"consistency_from {old} > size {size}")
    return old, [] if old == size else ledger.proofs.consistency_proof(old, size)


def _entries(ledger: Ledger, indexes: Sequence[int] | range) -> Iterator[EntryRecorded]:
    """The entries at `indexes` (ascending), reading nearby ones as one range, in chunks."""
    wanted = list(indexes)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found = _read(ledger, chunk)
        for index in chunk:
            yield found[index]


def _read(ledger: Ledger, indexes: Sequence[int]) -> dict[int, EntryRecorded]:
    found: dict[int, EntryRecorded] = {}
    if not indexes:
        return found
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
        raise NotFoundError(
            f"entries {sorted(missing)[:5]} of log {ledger.log_id} are missing from the store"
        )
    return found


def stream_bundle(logs: Logs, plan: ExportPlan) -> Iterator[str]:
    """The bundle's text, one record per line (`verification.write`'s layout); at most CHUNK
    entries are held at a time."""
    writer = BundleWriter()
    yield writer.head(log_key=plan.log_key, claim=plan.claim, as_of=plan.as_of, reader=plan.reader)
    for part in plan.parts:
        for record in _part_records(logs.log(part.log), part, plan.reader_org):
            yield writer.record(record)
    yield writer.tail()


def _part_records(ledger: Ledger, part: LogPart, reader_org: str | None) -> Iterator[str]:
    size = part.checkpoint.size
    recorder = ledger.store.recorder
    note = recorder.subject_note(size)
    subject_map = None if note is None else note.note
    yield log_record(part.log, part.origin, part.checkpoint.note, subject_map, part.consistency)
    span = part.span
    withheld = reader_org is not None and part.log not in (reader_org, REGISTRY_LOG)
    for start in range(0, len(part.indexes), CHUNK):
        chunk = part.indexes[start : start + CHUNK]
        events = _read(ledger, chunk)
        outside = [i for i in chunk if span is None or not span[0] <= i < span[1]]
        proofs = dict(zip(outside, ledger.proofs.inclusion_proofs(outside, size), strict=True))
        for index in chunk:
            event = events[index]
            payload = None if withheld else event.payload_b64
            missing = "withheld" if withheld else None if payload is not None else "redacted"
            yield entry_record(
                part.log,
                index,
                event.leaf_hash,
                event.leaf_json,  # the stored canonical leaf, byte for byte
                payload,
                missing,
                proofs.get(index),
            )
    if span is not None and span[0] < span[1]:
        ranges = [(lo, hi) for inside, lo, hi in range_nodes(size, *span) if not inside]
        hashes = ledger.proofs.subtree_hashes(ranges) if ranges else []
        yield range_record(part.log, span[0], span[1], hashes)
    if part.heads:
        for proof in stored_proofs(recorder, part.heads, size):
            yield head_record(part.log, proof.subject, proof.as_json())
