"""The projector: folds entries through the domain and says which read-model rows changed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import partial
from typing import Any

from domain.aggregates import Evaluation, Request
from domain.entry import Entry
from domain.flags import Flag
from domain.registry import RegistryState
from domain.state import LedgerState
from domain.store import Base, Layered
from projections import rows
from projections.failures import ProjectionFailure
from projections.schema import COMPLAINTS, EVALUATIONS, FLAGS, REQUESTS, UNIT_DAYS, WORK_DAYS
from projections.state_rows import (
    FORMAT,
    Snapshot,
    StateDamaged,
    StateRows,
    encode_rows,
    encode_snapshot,
)
from projections.store import RowBatch, SnapshotWrite

log = logging.getLogger("jejak.projections")

_REQUEST_EVENTS = ("wfa.", "attendance.", "work.")
_ROW_KINDS = frozenset({"request", "evaluation", "complaint"})  # subjects that have a row
CAPACITY = 4096
"""Values each map keeps in memory (the rest stay in `jp_state`): the working set of a log's
recent requests, units and employees, not the whole log."""


class Indexes:
    """The projector's own indexes: which rows an entry changes, each map a bounded cache
    over the log's `jp_state` rows (as the fold's maps are)."""

    # (unit, day) -> each request naming it, as the day's row reads it (None: not in effect)
    day_requests: Layered[tuple[str, date], dict[str, rows.DayRequest | None]]
    unit_days: Layered[str, frozenset[date]]  # unit -> days its requests named
    agency_units: Layered[str, frozenset[str]]  # agency -> units registered
    entries: Layered[str, tuple[int, ...]]  # subject of a row -> its entries applied
    flags: Layered[str, tuple[Flag, ...]]  # subject of a row -> the flags those raised
    evaluations: Layered[str, Evaluation]  # evaluation subject -> the evaluation it holds
    NAMES = ("day_requests", "unit_days", "agency_units", "entries", "flags", "evaluations")

    def __init__(self, loader: StateRows, capacity: int) -> None:
        for name in self.NAMES:
            base = Base[Any, Any](f"p.{name}", loader, capacity)
            setattr(self, name, Layered[Any, Any](base=base))

    def _maps(self) -> Iterable[Layered[Any, Any]]:
        return (getattr(self, name) for name in self.NAMES)

    def dirty(self) -> dict[str, dict[object, object]]:
        return {m.base.name: m.own for m in self._maps() if m.own and m.base is not None}

    def settle(self) -> None:
        for layer in self._maps():
            if layer.own and layer.base is not None:
                layer.base.put(layer.own)
                layer.own = {}

    def cached(self) -> int:
        return sum(len(m.base.cache) for m in self._maps() if m.base is not None)


def _added(layer: Layered[Any, frozenset[Any]], key: object, item: object) -> None:
    """Add `item` to the set `layer` holds at `key` (a new frozenset only when it grows)."""
    held = layer.get(key, frozenset())
    if item not in held:
        layer[key] = held | {item}


class Projector:
    """One agency log's LedgerState plus the indexes that map an entry to the rows it changes.

    Rows are pure functions of the folded state, and every entry that changes a row's inputs
    marks that row dirty; so the tables are the same however the log is cut into batches.
    The state and the indexes live in the read store (`StateRows`) behind bounded caches:
    `save` puts what a step changed into its batch, `settle` once it is committed, and
    `resume` continues from a stored snapshot.

    An entry the fold or a row cannot take (a bug: the writer accepted it) parks its agency:
    that agency's entries from there on are skipped, the failure is kept in `new_failures`
    for the runner to store, and every other agency's rows keep moving.
    """

    def __init__(self, log: str, registry: RegistryState, stored: StateRows) -> None:
        self.log = log
        self.registry = registry
        self.stored = stored
        self.capacity = capacity = stored.capacity
        self.state = self._state()
        self.position = 0  # entries consumed: applied or parked
        self.folded_on: int | None = None  # the stored snapshot's position (None: none)
        self.parked: dict[str, int] = {}  # agency -> the first of its entries not applied
        self.new_failures: list[ProjectionFailure] = []
        self.index = Indexes(stored, capacity)
        self.eval_units: dict[str, tuple[str, str | None]] = {}  # this step's evaluations
        self._dirty_requests: set[str] = set()
        self._dirty_days: set[tuple[str, date]] = set()
        self._dirty_evals: set[str] = set()
        self._dirty_complaints: set[str] = set()
        self._flag_rows: list[tuple[object, ...]] = []

    def _state(self, snapshot: Snapshot | None = None) -> LedgerState:
        # parked entries leave gaps; no row reads a subject's steps (an evaluation's row reads
        # the projector's own `evaluations`), so the fold keeps none, as the writer's does
        if snapshot is None:
            return LedgerState(
                self.log,
                self.registry,
                allow_gaps=True,
                loader=self.stored,
                capacity=self.capacity,
            )
        return LedgerState.resumed(
            snapshot.state,
            self.log,
            self.registry,
            loader=self.stored,
            capacity=self.capacity,
            allow_gaps=True,
        )

    def resume(self, snapshot: Snapshot) -> None:
        """Stand where the stored state stands: the next entry is `snapshot.position`."""
        self.state = self._state(snapshot)
        self.position = self.folded_on = snapshot.position

    def save(self, batch: RowBatch) -> None:
        """Put the state's and the indexes' changed values, and the snapshot of where they
        stand, into `batch` (committed with its rows and positions; then `settle`)."""
        batch.state = encode_rows(self.state.dirty()) + encode_rows(self.index.dirty())
        snapshot = Snapshot(FORMAT, self.position, self.state.position())
        batch.snapshot = SnapshotWrite(self.folded_on, self.position, encode_snapshot(snapshot))

    def settle(self, batch: RowBatch) -> None:
        """`batch` is committed: its values move into the bounded caches."""
        self.state.settle()
        self.index.settle()
        self.stored.wrote(batch.state)
        if batch.snapshot is not None:
            self.folded_on = batch.snapshot.position

    def cached(self) -> int:
        """Values held in memory (bounded by the capacity of each map)."""
        return self.state.cached() + self.index.cached()

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
        except StateDamaged:
            raise  # the stored state, not the entry: the follower rebuilds the log
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
            except StateDamaged:
                raise
            except Exception as error:  # a bug; recorded and shown by `jejak projections status`
                self.fail(index, agency, error)
                return
        self.position = index + 1

    def _apply(self, entry: Entry) -> None:
        event, state = entry.event, self.state
        before = state.employee(event.subject) if event.type.startswith("employee.") else None
        # No fork per entry: a record computes all it changes before it applies any of it
        # (domain.reader.Changes), so an entry refused leaves the fold as it was.
        recorded = state.refold(entry)  # None: refused after a redaction, its effect unknown
        if recorded is None:
            return
        flags = recorded.flags
        subject = event.subject
        index = self.index
        if recorded.kind in _ROW_KINDS:
            index.entries[subject] = (*index.entries.get(subject, ()), entry.index)
            if flags:
                index.flags[subject] = (*index.flags.get(subject, ()), *flags)
            if isinstance(recorded.value, Evaluation):  # what its steps' last value holds
                index.evaluations[subject] = recorded.value
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
        elif kind == "policy.enacted":  # deadlines and quotas: every unit day and request
            for unit_id in index.agency_units.get(event.agency, ()):
                self._touch_unit(unit_id)
            self._dirty_requests.update(self._requests_of(event.agency))
        elif kind == "unit.registered":
            _added(index.agency_units, event.agency, subject)
            self._touch_unit(subject)
        elif kind == "evaluation.recorded":
            self.eval_units[subject] = (event.agency, unit)
            self._dirty_evals.add(subject)
        elif state.complaint(subject) is not None:
            self._dirty_complaints.add(subject)

    def _requests_of(self, agency: str) -> list[str]:
        """The agency's requests with a stored row (a log holds one agency's events, so its
        rows are the agency's); those of this step are marked dirty already. O(requests):
        one query, and each request's row computed again (its work days' deadlines)."""
        if agency != self.log:
            return []
        return self.stored.request_ids()

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
        if request.unit is not None:
            index = self.index
            days, own = index.day_requests, index.day_requests.own
            for day in request.dates:
                key = (request.unit, day)
                seen = rows.day_request(request, day)
                mine = own.get(key)
                if mine is not None:  # this step's own copy: changed in place, not copied again
                    mine[rid] = seen
                else:
                    held = days.get(key, {})
                    if rid not in held or held[rid] != seen:
                        own[key] = {**held, rid: seen}  # one copy per day and step
                _added(index.unit_days, request.unit, day)
                self._dirty_days.add(key)

    def _touch_unit(self, unit_id: str) -> None:
        days = self.index.unit_days.get(unit_id, ())
        self._dirty_days.update((unit_id, day) for day in days)

    def flush(self, batch: RowBatch | None) -> None:
        """Write the dirty rows into `batch` (or drop them while warming up) and reset."""
        if batch is not None:
            self._write(batch)
        self._dirty_requests.clear()
        self._dirty_days.clear()
        self._dirty_evals.clear()
        self._dirty_complaints.clear()
        self._flag_rows.clear()
        self.eval_units.clear()

    def _write(self, batch: RowBatch) -> None:
        state, index = self.state, self.index
        entries, flags = index.entries, index.flags
        for values in self._flag_rows:  # raised by applied entries only
            entry = values[0] if isinstance(values[0], int) else self.position - 1
            self._row(str(values[3]), [entry], partial(batch.put, FLAGS, values))
        for rid in sorted(self._dirty_requests):
            request = state.request(rid)
            if request is not None:
                behind = entries.get(rid, ())
                write = partial(self._request, batch, request, flags.get(rid, ()), behind)
                self._row(request.agency, behind, write)
        for unit_id, day in sorted(self._dirty_days):
            unit = state.unit(unit_id)
            held = index.day_requests.get((unit_id, day), {})
            in_effect = [seen for _, seen in sorted(held.items()) if seen is not None]
            write = partial(self._unit_day, batch, unit_id, day, in_effect)
            latest = partial(self._latest, list(held))  # read if the agency is parked or fails
            self._row(unit.agency if unit is not None else "", latest, write)
        for subject in sorted(self._dirty_evals):
            agency, unit_of = self.eval_units[subject]
            behind = entries.get(subject, ())
            raised = flags.get(subject, ())
            write = partial(self._evaluation, batch, subject, agency, unit_of, raised)
            self._row(agency, behind, write)
        for subject in sorted(self._dirty_complaints):
            complaint = state.complaint(subject)
            agency = complaint.agency if complaint is not None else ""
            behind = entries.get(subject, ())
            self._row(agency, behind, partial(self._complaint, batch, subject, behind))

    def _latest(self, ids: Iterable[str]) -> list[int]:
        """The latest entry of each of these requests."""
        entries = self.index.entries
        return [i for rid in ids for i in entries.get(rid, ())[-1:]]

    def _row(
        self,
        agency: str,
        entries: Iterable[int] | Callable[[], Iterable[int]],
        write: Callable[[], None],
    ) -> None:
        """Write one row unless its agency was parked at or before the latest entry behind
        it; a row that fails parks its agency from that entry."""
        parked = self.parked.get(agency)
        if parked is not None:
            behind = entries() if callable(entries) else entries
            if max(behind, default=parked) >= parked:
                return
        try:
            write()
        except StateDamaged:
            raise
        except Exception as error:  # a bug; recorded and shown by `jejak projections status`
            behind = entries() if callable(entries) else entries
            self.fail(max(behind, default=self.position - 1), agency, error)

    def _request(
        self, batch: RowBatch, request: Request, flags: Iterable[Flag], entries: Iterable[int]
    ) -> None:
        batch.put(REQUESTS, rows.request_row(request, flags, entries))
        batch.replace(WORK_DAYS, request.id, rows.work_day_rows(self.state, request))

    def _unit_day(
        self, batch: RowBatch, unit_id: str, day: date, requests: list[rows.DayRequest]
    ) -> None:
        row = rows.unit_day_row(self.state, unit_id, day, requests)
        if row is not None:
            batch.put(UNIT_DAYS, row)

    def _evaluation(
        self,
        batch: RowBatch,
        subject: str,
        agency: str,
        unit: str | None,
        flags: Iterable[Flag],
    ) -> None:
        row = rows.evaluation_row(self.index.evaluations.get(subject), subject, agency, unit, flags)
        if row is not None:
            batch.put(EVALUATIONS, row)

    def _complaint(self, batch: RowBatch, subject: str, entries: Iterable[int]) -> None:
        row = rows.complaint_row(self.state, subject, entries)
        if row is not None:
            batch.put(COMPLAINTS, row)
