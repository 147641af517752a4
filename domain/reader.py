"""The read interface event handlers see of the ledger state, and the changes they produce."""

from __future__ import annotations

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

    def requests_of_employee(self, nip: str) -> frozenset[str]: ...

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
    employee_requests: dict[str, frozenset[str]] = field(default_factory=dict)
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
