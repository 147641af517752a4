"""The read interface event handlers see of the ledger state, and the changes they produce."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from domain.aggregates import (
    Aggregate,
    Annotation,
    Complaint,
    Employee,
    Evaluation,
    Key,
    Org,
    Policy,
    PolicyVersion,
    Presence,
    Request,
    Unit,
)
from domain.flags import Flag

DayKey = tuple[str, date]  # (unit, day)
WeekKey = tuple[str, int, int]  # (employee, ISO year, ISO week)
PresenceKey = tuple[str, date]  # (employee, day)
MonthKey = tuple[str, int, int]  # (employee, year, month)
Month = tuple[int, int]  # (year, month)
WorkTime = tuple[date, str, int]  # (day, source: "presence" or a request id, minutes)


class StateReader(Protocol):
    """What a handler may read: current aggregates and the location-day indexes."""

    @property
    def size(self) -> int: ...

    def org(self, org_id: str) -> Org | None: ...

    def key(self, keyid: str) -> Key | None: ...

    def policy(self, agency: str) -> Policy | None: ...

    def unit(self, unit_id: str) -> Unit | None: ...

    def employee(self, nip: str) -> Employee | None: ...

    def request(self, subject: str) -> Request | None: ...

    def complaint(self, subject: str) -> Complaint | None: ...

    def staff_of(self, unit: str) -> frozenset[str]: ...

    def members_of(self, unit: str) -> frozenset[str]: ...

    def location_day(self, unit: str, day: date) -> frozenset[tuple[str, str]]: ...

    def employee_week(self, key: WeekKey) -> frozenset[tuple[date, str]]: ...

    def presence_on(self, nip: str, day: date) -> Presence | None: ...

    def work_time(self, key: WeekKey) -> frozenset[WorkTime]: ...

    def last_work_week(self, nip: str) -> tuple[int, int] | None: ...

    def requests_in_month(self, key: MonthKey) -> frozenset[str]: ...

    def request_months(self, nip: str) -> tuple[Month, Month] | None: ...

    def evaluated_periods(self, nip: str) -> frozenset[str]: ...

    def evaluation_judged(self, nip: str) -> date | None: ...


@dataclass
class Changes:
    """Everything one entry would change, computed before anything is applied."""

    orgs: dict[str, Org] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    employees: dict[str, Employee] = field(default_factory=dict)
    requests: dict[str, Request] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    complaints: dict[str, Complaint] = field(default_factory=dict)
    unit_staff: dict[str, frozenset[str]] = field(default_factory=dict)
    unit_members: dict[str, frozenset[str]] = field(default_factory=dict)
    location_days: dict[DayKey, frozenset[tuple[str, str]]] = field(default_factory=dict)
    employee_weeks: dict[WeekKey, frozenset[tuple[date, str]]] = field(default_factory=dict)
    presence_days: dict[PresenceKey, Presence] = field(default_factory=dict)
    work_times: dict[WeekKey, frozenset[WorkTime]] = field(default_factory=dict)
    last_work_weeks: dict[str, tuple[int, int]] = field(default_factory=dict)
    employee_months: dict[MonthKey, frozenset[str]] = field(default_factory=dict)
    request_spans: dict[str, tuple[Month, Month]] = field(default_factory=dict)
    evaluated: dict[str, frozenset[str]] = field(default_factory=dict)
    evaluations_judged: dict[str, date] = field(default_factory=dict)
    value: Aggregate | None = None
    annotation: Annotation | None = None
    flags: list[tuple[Flag, PolicyVersion | None]] = field(default_factory=list)

    def flag(self, flag: Flag | None, policy: PolicyVersion | None) -> None:
        """Keep a raised flag with the policy version whose strict list applies to it."""
        if flag is not None:
            self.flags.append((flag, policy))

    def staff(self, reader: StateReader, unit: str) -> frozenset[str]:
        return self.unit_staff.get(unit, reader.staff_of(unit))

    def place(self, reader: StateReader, nip: str, unit: str) -> None:
        """Move `nip` into `unit`'s current staff and its members past and present."""
        self.unit_staff[unit] = self.staff(reader, unit) | {nip}
        self.unit_members[unit] = self.unit_members.get(unit, reader.members_of(unit)) | {nip}

    def day(self, reader: StateReader, key: DayKey) -> frozenset[tuple[str, str]]:
        return self.location_days.get(key, reader.location_day(*key))

    def week(self, reader: StateReader, key: WeekKey) -> frozenset[tuple[date, str]]:
        return self.employee_weeks.get(key, reader.employee_week(key))

    def file_request(
        self, reader: StateReader, nip: str, rid: str, dates: tuple[date, ...]
    ) -> None:
        """Index a request under each calendar month its dates touch, and widen the span of
        months the employee's requests cover."""
        touched = sorted({(day.year, day.month) for day in dates})
        for year, month in touched:
            key = (nip, year, month)
            held = self.employee_months.get(key, reader.requests_in_month(key))
            self.employee_months[key] = held | {rid}
        span = self.request_spans.get(nip, reader.request_months(nip))
        first, last = touched[0], touched[-1]
        if span is not None:
            first, last = min(span[0], first), max(span[1], last)
        if span != (first, last):
            self.request_spans[nip] = (first, last)


def months_between(first: Month, last: Month) -> list[Month]:
    """The calendar months from `first` to `last`, both included."""
    found = []
    year, month = first
    while (year, month) <= last:
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def requests_dated_in(reader: StateReader, nip: str, days: Iterable[date]) -> frozenset[str]:
    """The employee's requests with a date in the month of one of `days` (filter by day)."""
    months = {(day.year, day.month) for day in days}
    return frozenset().union(*(reader.requests_in_month((nip, *month)) for month in months))


def requests_dated_from(reader: StateReader, nip: str, first: date | None) -> frozenset[str]:
    """The employee's requests with a date in `first`'s month or later (all of them for None):
    read month by month, so a rule looking ahead reads the months ahead, not the history."""
    span = reader.request_months(nip)
    if span is None:
        return frozenset()
    start = span[0] if first is None else max(span[0], (first.year, first.month))
    found: set[str] = set()
    for year, month in months_between(start, span[1]):
        found |= reader.requests_in_month((nip, year, month))
    return frozenset(found)
