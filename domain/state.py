"""LedgerState: one log's write-side state as a pure fold of its entries, with cheap forks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from domain.aggregates import (
    Aggregate,
    Complaint,
    Employee,
    Key,
    Org,
    Policy,
    PolicyVersion,
    Presence,
    Request,
    Unit,
)
from domain.entry import Entry, Recorded
from domain.errors import (
    DomainError,
    EntryOutOfOrderError,
    ForkConflictError,
    Refusal,
    StrictFlagRefused,
    UnknownOrganisation,
    WrongLog,
)
from domain.event_data import OPERATOR_EVENTS
from domain.events import OPERATOR
from domain.flags import Flag
from domain.handlers import HANDLERS
from domain.history import flag_order, missing_outputs, subject_view, value_of
from domain.reader import Changes, Month, MonthKey, WeekKey, WorkTime
from domain.registry import RegistryState, RegistryView
from domain.rules.keys import check_genesis, check_signing_keys
from domain.rules.subjects import (
    check_org_registered,
    check_subject_kind,
    check_subject_namespace,
    check_subject_owner,
    kind_of,
)
from domain.rules.timing import flag_backdated, flag_future_dated
from domain.store import (
    DEFAULT_CAPACITY,
    PERSISTED,
    WITH_STEPS,
    Chain,
    Loader,
    Step,
    Stores,
    SubjectLog,
)
from domain.views import SubjectView

__all__ = ["LedgerState", "Position", "SubjectView"]


@dataclass(frozen=True)
class Position:
    """Where a state stands, besides its maps: what a snapshot stores beside them."""

    size: int
    last_integrated_at: datetime | None
    unknown: tuple[tuple[str, int], ...] = ()  # subject -> the entry its state is unknown from
    redacted_since: int | None = None


class LedgerState:
    """Every aggregate and index of one agency's log, folded entry by entry.

    `LedgerState(log, registry)` folds the agency log `log`; each entry's key rules read the
    registry as its first `entry.registry_size` entries stood. With a `loader` the maps keep a
    bounded cache in memory and read what they miss from the store (the writer's working set);
    `keep_steps` then persists each subject's steps as well, and the whole-agency reads that
    need every subject in memory (`requests_of`, `complaints`, `compliance_flags`) are refused.

    Without a log (`LedgerState()`) it folds a single combined log of operator and agency
    events, keeping every subject's steps in memory for `subject_view` (the legacy mode).
    """

    def __init__(
        self,
        log: str | None = None,
        registry: RegistryState | None = None,
        *,
        allow_gaps: bool = False,
        loader: Loader | None = None,
        capacity: int = DEFAULT_CAPACITY,
        keep_steps: bool = False,
    ) -> None:
        """`allow_gaps` replays a subset of a log (a bundle): indexes rise but may skip.
        `keep_steps` keeps every subject's steps in memory for `subject_view` (always so in
        the legacy mode), until views are served from the store."""
        if (log is None) != (registry is None):
            raise DomainError("an agency log's state needs both its log id and the registry")
        self.log = log
        self._registry = registry
        self._view: RegistryView | None = None
        self._allow_gaps = allow_gaps
        self._keep_steps = keep_steps or registry is None
        self._loaded = loader is not None
        self._stores = Stores.empty(loader, capacity, WITH_STEPS if self._keep_steps else PERSISTED)
        self._parent: LedgerState | None = None
        self._size = 0
        self._last: datetime | None = None
        self._version = 0
        self._base_version = 0
        self._unknown: dict[str, int] = {}  # subject -> the entry its state is unknown from
        self._redacted_since: int | None = None  # the first redacted entry folded

    # -- the fold -------------------------------------------------------------------------

    def record(self, entry: Entry) -> Recorded:
        """Check every rule for the entry; if none refuses, apply it and say what it did."""
        self._check_order(entry)
        if self._registry is not None:
            return self._record_agency(entry, self._registry)
        event = entry.event
        if self._size == 0:
            check_genesis(entry)
        else:
            check_org_registered(event.agency, self.org(event.agency))
            check_signing_keys(entry, self.key, self.org)
            if event.agency != OPERATOR:
                check_subject_namespace(event.agency, event.subject, self.org)
        log = self._stores.subjects.get(event.subject)
        check_subject_owner(event.subject, log.agency if log else None, event.agency)
        check_subject_kind(event.subject, log.kind if log else None, event.type)
        changes = self._changes(entry)
        return self._apply(entry, changes, log)

    def _record_agency(self, entry: Entry, registry: RegistryState) -> Recorded:
        event = entry.event
        if event.agency != self.log or event.type in OPERATOR_EVENTS:
            raise WrongLog(f"a {event.type} event of {event.agency!r} is not for log {self.log!r}")
        view = registry.view(entry.registry_size)
        org = check_org_registered(event.agency, view.org(event.agency))
        if org.kind != "agency":
            raise UnknownOrganisation(f"{event.agency!r} is a {org.kind}, not an agency")
        check_signing_keys(entry, view.key, view.org)
        check_subject_namespace(event.agency, event.subject, view.org)
        kinds = self._stores.kinds
        check_subject_kind(event.subject, kinds.get(event.subject), event.type)
        self._view = view
        try:
            changes = self._changes(entry)
        finally:
            self._view = None
        if self._keep_steps:
            if kinds.get(event.subject) is None:
                kinds[event.subject] = kind_of(event.type)
            return self._apply(entry, changes, self._stores.subjects.get(event.subject))
        self._stores.apply(changes)
        kind = kinds.get(event.subject)
        if kind is None:
            kind = kinds[event.subject] = kind_of(event.type)
        self._advance(entry)
        flags = tuple(flag for flag, _ in changes.flags)
        return Recorded(kind, changes.value, flags, changes.annotation)

    def _changes(self, entry: Entry) -> Changes:
        """Run the event's handler and the flags every event may raise; refuse strict flags."""
        event = entry.event
        changes = Changes()
        HANDLERS[event.type](self, entry, changes)
        if event.agency != OPERATOR:
            policy = self._policy_at(event.agency, entry.integrated_at, event.occurred_at)
            if policy is not None:
                backdated = flag_backdated(
                    entry.index, event.occurred_at, entry.integrated_at, policy
                )
                changes.flag(backdated, policy)
                future = flag_future_dated(
                    entry.index, event.occurred_at, entry.integrated_at, policy
                )
                changes.flag(future, policy)
        for flag, strict_under in changes.flags:
            if strict_under is not None and flag.rule in strict_under.strict:
                raise StrictFlagRefused(flag)
        return changes

    def _check_order(self, entry: Entry) -> None:
        self._check_position(entry.index, entry.integrated_at)

    def _check_position(self, index: int, at: datetime) -> None:
        if self._allow_gaps and index > self._size:
            self._size = index
        if index != self._size:
            raise EntryOutOfOrderError(f"entry {index} recorded at log size {self._size}")
        if at.tzinfo is None:
            raise EntryOutOfOrderError(f"entry {index} has a naive integrated_at")
        if self._last is not None and at < self._last:
            raise EntryOutOfOrderError(f"entry {index} integrated before its predecessor")

    # -- redacted entries (docs/rules.md, "Redacted entries") -----------------------------

    def record_redacted(self, index: int, subject: str, integrated_at: datetime) -> None:
        """Entry `index` of `subject` lost its payload to a redaction: the log (and the
        subject's chain, which the caller keeps) advance past it, nothing else changes; what
        it did is unknown, so the subject's state is unknown from it on."""
        self._check_position(index, integrated_at)
        if self._redacted_since is None:
            self._redacted_since = index
        self._mark_unknown(index, subject, integrated_at)

    def refold(self, entry: Entry) -> Recorded | None:
        """Fold an entry the ledger accepted before (a restart, the read models, a replay).

        Before any redaction in the log this is `record`. After one, an entry the rules now
        refuse (it rested on what was erased) is not applied: like the redacted entry, it
        advances the log and leaves its subject's state unknown, and None is returned."""
        if self._redacted_since is None:
            return self.record(entry)
        fork = self.fork()
        try:
            recorded = fork.record(entry)
        except Refusal:
            self._check_position(entry.index, entry.integrated_at)
            self._mark_unknown(entry.index, entry.event.subject, entry.integrated_at)
            return None
        fork.commit()
        return recorded

    def _mark_unknown(self, index: int, subject: str, at: datetime) -> None:
        self._unknown.setdefault(subject, index)
        self._size += 1
        self._last = at
        self._version += 1

    @property
    def redacted_since(self) -> int | None:
        """The first redacted entry of the log folded so far (None: none was)."""
        return self._redacted_since

    def unknown_from(self, subject: str) -> int | None:
        """The entry (a redacted one, or one refused after a redaction) from which the
        subject's state is unknown; None while everything it did is known."""
        return self._unknown.get(subject)

    def _policy_at(self, agency: str, at: datetime, local: datetime) -> PolicyVersion | None:
        policy = self.policy(agency)
        if policy is None:
            return None
        return policy.in_force(at.astimezone(local.tzinfo).date())

    def _apply(self, entry: Entry, changes: Changes, log: SubjectLog | None) -> Recorded:
        event, stores = entry.event, self._stores
        stores.apply(changes)
        flags = tuple(flag for flag, _ in changes.flags)
        step = Step(entry.index, entry.integrated_at, changes.value, flags, changes.annotation)
        if log is None:
            log = SubjectLog(kind_of(event.type), event.agency, 0)
            if log.kind == "request" and not self._loaded:
                chain = stores.agency_requests.get(event.agency)
                stores.agency_requests[event.agency] = Chain(event.subject, chain)
        stores.subject_steps[(event.subject, log.count)] = step
        stores.subjects[event.subject] = SubjectLog(log.kind, log.agency, log.count + 1)
        for flag in () if self._loaded else flags:
            chain_f = stores.agency_flags.get(event.agency)
            stores.agency_flags[event.agency] = Chain((flag, entry.integrated_at), chain_f)
        self._advance(entry)
        return Recorded(log.kind, changes.value, flags, changes.annotation)

    def _advance(self, entry: Entry) -> None:
        self._size += 1
        self._last = entry.integrated_at
        self._version += 1

    # -- forks ----------------------------------------------------------------------------

    def fork(self) -> LedgerState:
        """A cheap child layered on this state; its records reach this state only on commit.

        Do not record into this state while a fork of it is live: the fork would see those
        records, and its commit is refused (ForkConflictError).
        """
        child = LedgerState.__new__(LedgerState)
        child.log = self.log
        child._registry = self._registry
        child._view = None
        child._allow_gaps = self._allow_gaps
        child._keep_steps = self._keep_steps
        child._loaded = self._loaded
        child._stores = self._stores.fork()
        child._parent = self
        child._size = self._size
        child._last = self._last
        child._version = self._version
        child._base_version = self._version
        child._unknown = dict(self._unknown)
        child._redacted_since = self._redacted_since
        return child

    def commit(self) -> None:
        """Merge this fork's records into its parent (which must not have changed since)."""
        parent = self._parent
        if parent is None:
            raise DomainError("only a fork can be committed")
        if parent._version != self._base_version:
            raise ForkConflictError("the parent recorded entries after this fork was taken")
        self._stores.merge_into(parent._stores)
        parent._size, parent._last, parent._version = self._size, self._last, self._version
        parent._unknown, parent._redacted_since = dict(self._unknown), self._redacted_since
        self._base_version = self._version

    # -- the working set (a writer with a loader) -----------------------------------------

    def dirty(self) -> dict[str, dict[object, object]]:
        """The persisted maps' changes held in this state's own layer, by map name."""
        return self._stores.dirty()

    def settle(self) -> None:
        """The changes are stored: move them into the bounded caches below."""
        self._stores.settle()

    def forget(self, size: int, last_integrated_at: datetime | None) -> None:
        """Another process appended: drop every cached value and stand at its size."""
        self._stores.forget()
        self._size, self._last = size, last_integrated_at
        self._version += 1

    def known_absent(self, subject: str) -> None:
        """The caller knows no entry of `subject` was folded yet (a writer asks its subject
        map): its kind and steps, written only by its own entries, are absent without asking
        the loader, so a new subject costs no read of them."""
        for layer in (self._stores.kinds, self._stores.subjects):
            if layer.base is not None:
                layer.base.absent(subject)

    def position(self) -> Position:
        """Where this state stands (with `dirty()`, what a snapshot of it stores)."""
        return Position(
            self._size, self._last, tuple(sorted(self._unknown.items())), self._redacted_since
        )

    @classmethod
    def resumed(
        cls,
        position: Position,
        log: str,
        registry: RegistryState,
        *,
        loader: Loader,
        capacity: int = DEFAULT_CAPACITY,
        keep_steps: bool = False,
        allow_gaps: bool = False,
    ) -> LedgerState:
        """An agency log's state standing at a snapshot's `position`, its maps read from the
        snapshot through `loader`: folding the entries after it continues the same fold."""
        state = cls(
            log,
            registry,
            allow_gaps=allow_gaps,
            loader=loader,
            capacity=capacity,
            keep_steps=keep_steps,
        )
        state._size, state._last = position.size, position.last_integrated_at
        state._unknown = dict(position.unknown)
        state._redacted_since = position.redacted_since
        return state

    def cached(self) -> int:
        """Values this state holds in its bounded caches (0 without a loader)."""
        return self._stores.cached()

    def _whole_log(self, what: str) -> None:
        if self._loaded:
            raise DomainError(f"{what} needs every subject in memory: read it from the read models")

    def kind(self, subject: str) -> str | None:
        """The kind of an existing subject of this log."""
        if self._registry is None:
            found = self._stores.subjects.get(subject)
            return None if found is None else found.kind
        return self._stores.kinds.get(subject)

    # -- reads ----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The number of entries recorded, i.e. the next index."""
        return self._size

    @property
    def last_integrated_at(self) -> datetime | None:
        return self._last

    def public_key(self, keyid: str) -> bytes | None:
        """The 32 raw bytes of a registered key, revoked or not."""
        if self._registry is not None:
            return self._registry.public_key(keyid)
        key = self._stores.keys.get(keyid)
        return None if key is None else key.public_key

    def org(self, org_id: str) -> Org | None:
        if self._registry is not None:
            return (self._view or self._registry.view()).org(org_id)
        return self._stores.orgs.get(org_id)

    def key(self, keyid: str) -> Key | None:
        if self._registry is not None:
            return (self._view or self._registry.view()).key(keyid)
        return self._stores.keys.get(keyid)

    def policy(self, agency: str) -> Policy | None:
        return self._stores.policies.get(agency)

    def unit(self, unit_id: str) -> Unit | None:
        return self._stores.units.get(unit_id)

    def employee(self, nip: str) -> Employee | None:
        return self._stores.employees.get(nip)

    def request(self, subject: str) -> Request | None:
        return self._stores.requests.get(subject)

    def complaint(self, subject: str) -> Complaint | None:
        return self._stores.complaints.get(subject)

    def complaints(self) -> list[Complaint]:
        """Every complaint about the log's agency held in memory, in filing order."""
        self._whole_log("the list of complaints")
        return sorted(self._stores.complaints.values(), key=lambda c: c.filed_entry)

    def requests_of(self, agency: str) -> list[Request]:
        """Every request of the agency, newest first."""
        self._whole_log("the list of an agency's requests")
        chain = self._stores.agency_requests.get(agency)
        found = (self._stores.requests.get(subject) for subject in chain or ())
        return [request for request in found if request is not None]

    def all_keys(self) -> list[Key]:
        """Every key ever registered, revoked or not."""
        return list(self._stores.keys.values())

    def staff_of(self, unit: str) -> frozenset[str]:
        return self._stores.unit_staff.get(unit, frozenset())

    def members_of(self, unit: str) -> frozenset[str]:
        """Everyone the log ever placed in the unit, whether still there or not."""
        return self._stores.unit_members.get(unit, frozenset())

    def staff_at(self, unit: str, at: datetime) -> frozenset[str]:
        """The unit's staff as the log stood at instant `at`."""
        return self._members_placed(unit, lambda employee: employee.unit_at(at))

    def staff_on(self, unit: str, day: date) -> frozenset[str]:
        """The unit's staff by the end of `day`, as the agency dated the placements."""
        return self._members_placed(unit, lambda employee: employee.unit_on(day))

    def _members_placed(
        self, unit: str, unit_then: Callable[[Employee], str | None]
    ) -> frozenset[str]:
        """The unit's members past and present whose unit back then was this one."""
        return frozenset(
            nip
            for nip in self.members_of(unit)
            if (employee := self.employee(nip)) is not None and unit_then(employee) == unit
        )

    def location_day(self, unit: str, day: date) -> frozenset[tuple[str, str]]:
        return self._stores.location_days.get((unit, day), frozenset())

    def employee_week(self, key: WeekKey) -> frozenset[tuple[date, str]]:
        return self._stores.employee_weeks.get(key, frozenset())

    def presence_on(self, nip: str, day: date) -> Presence | None:
        """The employee's presence record of that day (the latest recorded)."""
        return self._stores.presence_days.get((nip, day))

    def work_time(self, key: WeekKey) -> frozenset[WorkTime]:
        return self._stores.work_times.get(key, frozenset())

    def last_work_week(self, nip: str) -> tuple[int, int] | None:
        return self._stores.last_work_weeks.get(nip)

    def requests_in_month(self, key: MonthKey) -> frozenset[str]:
        """The employee's requests with a date in that month."""
        return self._stores.employee_months.get(key, frozenset())

    def request_months(self, nip: str) -> tuple[Month, Month] | None:
        """The first and last month the employee's requests have dates in."""
        return self._stores.request_spans.get(nip)

    def evaluated_periods(self, nip: str) -> frozenset[str]:
        """The cadence periods the employee's recorded evaluations cover."""
        return self._stores.evaluated.get(nip, frozenset())

    def evaluation_judged(self, nip: str) -> date | None:
        """The first day of the last cadence period judged for a missing evaluation."""
        return self._stores.evaluations_judged.get(nip)

    def unit_staff(self, agency: str, unit: str) -> frozenset[str]:
        """NIPs currently enrolled in the agency's unit."""
        found = self.unit(unit)
        return self.staff_of(unit) if found is not None and found.agency == agency else frozenset()

    def flexible_on(self, agency: str, unit: str, day: date) -> frozenset[tuple[str, str]]:
        """(NIP, request) pairs of the unit on approved location flexibility on that day."""
        found = self.unit(unit)
        if found is None or found.agency != agency:
            return frozenset()
        return self.location_day(unit, day)

    # -- views (legacy mode: every subject's steps are in memory) ------------------------

    def _steps(self, subject: str) -> tuple[str, tuple[Step, ...]] | None:
        """The subject's kind and steps (each a value of its own, read in order)."""
        if not self._keep_steps:
            raise DomainError("this agency log's state keeps no steps: read them from the store")
        log = self._stores.subjects.get(subject)
        if log is None:
            return None
        keys = [(subject, n) for n in range(log.count)]
        steps = tuple(self._stores.subject_steps.get_many(keys))
        if None in steps:
            raise DomainError(f"a step of subject {subject!r} is missing from the state")
        return log.kind, steps  # type: ignore[return-value]

    def _value_at(self, subject: str, at: datetime) -> Aggregate | None:
        found = self._steps(subject)
        return None if found is None else value_of([s for s in found[1] if s.integrated_at <= at])

    def subject_view(self, subject: str, as_of: datetime | None = None) -> SubjectView | None:
        """The subject as of `as_of` (default: the last entry), time-dependent flags included."""
        at = as_of or self._last
        found = self._steps(subject)
        if at is None or found is None:
            return None
        kind, steps = found
        value = value_of([step for step in steps if step.integrated_at <= at])
        agency = getattr(value, "agency", None)
        policy = None
        if isinstance(agency, str):
            enacted = self._value_at(f"policy:{agency}", at)
            policy = enacted if isinstance(enacted, Policy) else None
        return subject_view(subject, kind, steps, at, policy)

    def compliance_flags(self, agency: str, as_of: datetime | None = None) -> tuple[Flag, ...]:
        """Every flag of the agency as of `as_of`, recorded or time-dependent, in entry order."""
        self._whole_log("an agency's flags")
        at = as_of or self._last
        if at is None:
            return ()
        stores = self._stores
        found = [flag for flag, when in stores.agency_flags.get(agency) or () if when <= at]
        policy = self._value_at(f"policy:{agency}", at)
        for subject in stores.agency_requests.get(agency) or ():
            value = self._value_at(subject, at)
            found.extend(missing_outputs(value, at, policy if isinstance(policy, Policy) else None))
        return tuple(sorted(found, key=flag_order))
