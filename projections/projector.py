"""The projector: folds entries through the domain and says which read-model rows changed."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import partial

from domain.aggregates import Request
from domain.entry import Entry
from domain.flags import Flag
from domain.registry import RegistryState
from domain.state import LedgerState
from projections import rows
from projections.failures import ProjectionFailure
from projections.schema import COMPLAINTS, EVALUATIONS, FLAGS, REQUESTS, UNIT_DAYS, WORK_DAYS
from projections.store import RowBatch

log = logging.getLogger("jejak.projections")

_REQUEST_EVENTS = ("wfa.", "attendance.", "work.")


class Projector:
    """One agency log's LedgerState plus the indexes that map an entry to the rows it changes.

    Rows are pure functions of the folded state, and every entry that changes a row's inputs
    marks that row dirty; so the tables are the same however the log is cut into batches.

    An entry the fold or a row cannot take (a bug: the writer accepted it) parks its agency:
    that agency's entries from there on are skipped, the failure is kept in `new_failures`
    for the runner to store, and every other agency's rows keep moving.
    """

    def __init__(self, log: str, registry: RegistryState) -> None:
        self.log = log
        self.registry = registry
        # parked entries leave gaps; rows read subject views, so the steps are kept
        self.state = LedgerState(log, registry, allow_gaps=True, keep_steps=True)
        self.position = 0  # entries consumed: applied or parked
        self.parked: dict[str, int] = {}  # agency -> the first of its entries not applied
        self.new_failures: list[ProjectionFailure] = []
        self.day_requests: dict[tuple[str, date], set[str]] = defaultdict(set)
        self.unit_days: dict[str, set[date]] = defaultdict(set)
        self.agency_units: dict[str, set[str]] = defaultdict(set)
        self.agency_requests: dict[str, set[str]] = defaultdict(set)
        self.flags: dict[str, list[Flag]] = defaultdict(list)
        self.entries: dict[str, list[int]] = defaultdict(list)
        self.eval_units: dict[str, tuple[str, str | None]] = {}
        self._dirty_requests: set[str] = set()
        self._dirty_days: set[tuple[str, date]] = set()
        self._dirty_evals: set[str] = set()
        self._dirty_complaints: set[str] = set()
        self._flag_rows: list[tuple[object, ...]] = []

    def park(self, failures: Iterable[ProjectionFailure]) -> None:
        """Skip the entries of agencies that failed before (as stored), from their failure on."""
        for failure in failures:
            self.parked[failure.agency] = failure.entry

    def fail(self, index: int, agency: str, error: BaseException) -> None:
        """Park `agency` from entry `index`: log the error with its traceback and keep it."""
        log.error(
            "the read models cannot apply entry %d of %s; its later entries are parked",
            index,
            agency,
            exc_info=error,
        )
        self.parked[agency] = min(index, self.parked.get(agency, index))
        text = "".join(  # one line, storable anywhere, harmless on a terminal
            c if c.isprintable() else f"\\x{ord(c):02x}" for c in f"{type(error).__name__}: {error}"
        )[:500]
        self.new_failures.append(ProjectionFailure(agency, index, text))
        self.position = max(self.position, index + 1)

    def apply(self, entry: Entry) -> None:
        """Fold one entry and mark the rows it changes (or park its agency if it cannot)."""
        agency = entry.event.agency
        parked = self.parked.get(agency)
        if parked is not None and entry.index >= parked:
            self.position = entry.index + 1
            return
        try:
            self._apply(entry)
        except Exception as error:  # a bug; recorded and shown by `jejak projections status`
            self.fail(entry.index, agency, error)
            return
        self.position = entry.index + 1

    def redacted(self, index: int, subject: str, agency: str, at: datetime) -> None:
        """An entry whose payload was erased: the fold marks its subject's state unknown
        from it (docs/rules.md); no row is derived from it."""
        parked = self.parked.get(agency)
        if parked is None or index < parked:
            try:
                self.state.record_redacted(index, subject, at)
            except Exception as error:  # a bug; recorded and shown by `jejak projections status`
                self.fail(index, agency, error)
                return
        self.position = index + 1

    def _apply(self, entry: Entry) -> None:
        event, state = entry.event, self.state
        before = state.employee(event.subject) if event.type.startswith("employee.") else None
        fork = state.fork()  # a record that raises halfway leaves the fold untouched
        recorded = fork.refold(entry)  # None: refused after a redaction, its effect unknown
        fork.commit()
        if recorded is None:
            return
        flags = recorded.flags
        subject = event.subject
        self.entries[subject].append(entry.index)
        if flags:
            self.flags[subject].extend(flags)
        unit = self._unit_of(subject)
        for flag in flags:
            self._flag_rows.append(
                (flag.entry, flag.rule, flag.detail, event.agency, subject, unit)
            )
        kind = event.type
        request = state.request(subject)
        if request is not None and (kind.startswith(_REQUEST_EVENTS) or kind == "entry.annotated"):
            self._touch_request(request.id)
        elif kind.startswith("employee."):
            after = state.employee(subject)
            for who in (before, after):
                if who is not None:
                    self._touch_unit(who.unit)
        elif kind == "policy.enacted":
            for unit_id in self.agency_units[event.agency]:
                self._touch_unit(unit_id)
            for rid in self.agency_requests[event.agency]:
                self._dirty_requests.add(rid)
        elif kind == "unit.registered":
            self.agency_units[event.agency].add(subject)
            self._touch_unit(subject)
        elif kind == "evaluation.recorded":
            self.eval_units[subject] = (event.agency, unit)
            self._dirty_evals.add(subject)
        elif state.complaint(subject) is not None:
            self._dirty_complaints.add(subject)

    def _unit_of(self, subject: str) -> str | None:
        state = self.state
        request = state.request(subject)
        if request is not None:
            return request.unit
        if state.unit(subject) is not None:
            return subject
        complaint = state.complaint(subject)
        if complaint is not None:
            return complaint.unit
        prefixed = subject.startswith(("eval:", "presence:"))
        nip = subject.split(":")[1] if prefixed else subject
        employee = state.employee(nip)
        return None if employee is None else employee.unit

    def _touch_request(self, rid: str) -> None:
        request = self.state.request(rid)
        if request is None:
            return
        self._dirty_requests.add(rid)
        self.agency_requests[request.agency].add(rid)
        if request.unit is not None:
            for day in request.dates:
                self.day_requests[(request.unit, day)].add(rid)
                self.unit_days[request.unit].add(day)
                self._dirty_days.add((request.unit, day))

    def _touch_unit(self, unit_id: str) -> None:
        self._dirty_days.update((unit_id, day) for day in self.unit_days.get(unit_id, ()))

    def flush(self, batch: RowBatch | None) -> None:
        """Write the dirty rows into `batch` (or drop them while warming up) and reset."""
        if batch is not None:
            self._write(batch)
        self._dirty_requests.clear()
        self._dirty_days.clear()
        self._dirty_evals.clear()
        self._dirty_complaints.clear()
        self._flag_rows.clear()

    def _write(self, batch: RowBatch) -> None:
        state = self.state
        for values in self._flag_rows:  # raised by applied entries only
            entry = values[0] if isinstance(values[0], int) else self.position - 1
            self._row(str(values[3]), [entry], partial(batch.put, FLAGS, values))
        for rid in sorted(self._dirty_requests):
            request = state.request(rid)
            if request is not None:
                self._row(request.agency, self.entries[rid], partial(self._request, batch, request))
        for unit_id, day in sorted(self._dirty_days):
            unit = state.unit(unit_id)
            ids = self.day_requests[(unit_id, day)]
            behind = [i for rid in ids for i in self.entries[rid][-1:]]
            write = partial(self._unit_day, batch, unit_id, day, ids)
            self._row(unit.agency if unit is not None else "", behind, write)
        for subject in sorted(self._dirty_evals):
            agency, unit_of = self.eval_units[subject]
            write = partial(self._evaluation, batch, subject, agency, unit_of)
            self._row(agency, self.entries[subject], write)
        for subject in sorted(self._dirty_complaints):
            complaint = state.complaint(subject)
            agency = complaint.agency if complaint is not None else ""
            self._row(agency, self.entries[subject], partial(self._complaint, batch, subject))

    def _row(self, agency: str, entries: list[int], write: Callable[[], None]) -> None:
        """Write one row unless its agency was parked at or before the latest entry behind
        it; a row that fails parks its agency from that entry."""
        parked = self.parked.get(agency)
        if parked is not None and max(entries, default=parked) >= parked:
            return
        try:
            write()
        except Exception as error:  # a bug; recorded and shown by `jejak projections status`
            self.fail(max(entries, default=self.position - 1), agency, error)

    def _request(self, batch: RowBatch, request: Request) -> None:
        rid = request.id
        batch.put(REQUESTS, rows.request_row(request, self.flags[rid], self.entries[rid]))
        batch.replace(WORK_DAYS, rid, rows.work_day_rows(self.state, request))

    def _unit_day(self, batch: RowBatch, unit_id: str, day: date, ids: set[str]) -> None:
        row = rows.unit_day_row(self.state, unit_id, day, ids)
        if row is not None:
            batch.put(UNIT_DAYS, row)

    def _evaluation(self, batch: RowBatch, subject: str, agency: str, unit: str | None) -> None:
        row = rows.evaluation_row(self.state, subject, agency, unit, self.flags[subject])
        if row is not None:
            batch.put(EVALUATIONS, row)

    def _complaint(self, batch: RowBatch, subject: str) -> None:
        row = rows.complaint_row(self.state, subject, self.entries[subject])
        if row is not None:
            batch.put(COMPLAINTS, row)
