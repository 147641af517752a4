"""The projector: folds entries through the domain and says which read-model rows changed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from domain.entry import Entry
from domain.flags import Flag
from domain.state import LedgerState
from projections import rows
from projections.schema import COMPLAINTS, EVALUATIONS, FLAGS, REQUESTS, UNIT_DAYS, WORK_DAYS
from projections.store import RowBatch

_REQUEST_EVENTS = ("wfa.", "attendance.", "work.")


class Projector:
    """A LedgerState plus the indexes that map an entry to the rows it changes.

    Rows are pure functions of the folded state, and every entry that changes a row's inputs
    marks that row dirty; so the tables are the same however the log is cut into batches.
    """

    def __init__(self) -> None:
        self.state = LedgerState()
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

    @property
    def size(self) -> int:
        return self.state.size

    def apply(self, entry: Entry) -> None:
        """Fold one entry and mark the rows it changes."""
        event, state = entry.event, self.state
        before = state.employee(event.subject) if event.type.startswith("employee.") else None
        flags = state.record(entry).flags
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
        for values in self._flag_rows:
            batch.put(FLAGS, values)
        for rid in sorted(self._dirty_requests):
            request = state.request(rid)
            if request is None:
                continue
            batch.put(REQUESTS, rows.request_row(request, self.flags[rid], self.entries[rid]))
            batch.replace(WORK_DAYS, rid, rows.work_day_rows(state, request))
        for unit_id, day in sorted(self._dirty_days):
            row = rows.unit_day_row(state, unit_id, day, self.day_requests[(unit_id, day)])
            if row is not None:
                batch.put(UNIT_DAYS, row)
        for subject in sorted(self._dirty_evals):
            agency, unit = self.eval_units[subject]
            row = rows.evaluation_row(state, subject, agency, unit, self.flags[subject])
            if row is not None:
                batch.put(EVALUATIONS, row)
        for subject in sorted(self._dirty_complaints):
            row = rows.complaint_row(state, subject, self.entries[subject])
            if row is not None:
                batch.put(COMPLAINTS, row)
