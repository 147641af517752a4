"""Immutable aggregate values folded from events: orgs, keys, policies, units, people, requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Org:
    id: str
    kind: str
    name: str


@dataclass(frozen=True)
class Key:
    keyid: str
    org: str
    public_key: bytes
    holder: str | None
    valid_from: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None


@dataclass(frozen=True)
class PolicyVersion:
    version: int | str
    effective_from: date
    max_location_days_per_week: int
    unit_quota_pct: int
    probation_days: int
    core_hours: tuple[str, str]
    eligible_positions: frozenset[str] | None
    decision_window_days: int
    output_report_deadline_days: int
    backdating_limit_hours: int
    strict: frozenset[str]
    entry: int
    weekly_hours: float = 37.5
    ramadan: tuple[date, date, float] | None = None  # (from, to, weekly hours)
    evaluation_cadence: str | None = None
    evaluation_deadline_days: int = 10
    designated_locations: frozenset[str] = frozenset()  # ids and descriptions
    future_tolerance_minutes: int = 5
    approvers: frozenset[str] = frozenset()  # officials the policy names to decide


@dataclass(frozen=True)
class Policy:
    agency: str
    versions: tuple[PolicyVersion, ...]  # sorted by (effective_from, entry)

    def in_force(self, on: date) -> PolicyVersion | None:
        """The version with the greatest effective_from ≤ on (the later enacted on a tie)."""
        found: PolicyVersion | None = None
        for version in self.versions:
            if version.effective_from <= on:
                found = version
        return found


@dataclass(frozen=True)
class Unit:
    id: str
    agency: str
    name: str
    public_service: bool
    service_hours: tuple[str, str]
    min_on_site: int


@dataclass(frozen=True)
class EmployeeUpdate:
    entry: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Placement:
    """An employee's placement in a unit by ledger entry `entry`, integrated at `at`; the
    agency dates it `on` (the enrolment's or update's `placed_at`, else the entry's local date)."""

    entry: int
    unit: str
    at: datetime
    on: date


@dataclass(frozen=True)
class Employee:
    nip: str
    agency: str
    name: str
    unit: str
    position: str
    supervisor: str | None
    placed_at: date
    discipline: str
    updates: tuple[EmployeeUpdate, ...] = ()
    placements: tuple[Placement, ...] = ()

    def unit_at(self, at: datetime) -> str | None:
        """The unit the log placed the employee in at instant `at` (None: not yet enrolled)."""
        found = None
        for placement in self.placements:
            if placement.at > at:
                break
            found = placement.unit
        return found

    def unit_on(self, day: date) -> str | None:
        """The unit the employee belonged to by the end of `day`, as the agency dated its
        placements (None: placed later). Of placements on one date, the later entry counts."""
        dated = [p for p in self.placements if p.on <= day]
        return max(dated, key=lambda p: (p.on, p.entry)).unit if dated else None


@dataclass(frozen=True)
class Attendance:
    entry: int
    date: date
    start: str
    end: str
    location_kind: str


@dataclass(frozen=True)
class Presence:
    """One day of an employee at the attendance system (the latest record of that day)."""

    nip: str
    agency: str
    date: date
    arrived: str
    left: str | None
    location_kind: str
    source: str
    entry: int

    def present_at(self, hhmm: str) -> bool:
        """Arrived by `hhmm` and not yet gone."""
        return self.arrived <= hhmm and (self.left is None or self.left > hhmm)


@dataclass(frozen=True)
class OutputReport:
    entry: int
    date: date
    outputs: tuple[tuple[str, str, str | None], ...]  # (title, target, evidence_sha256)


@dataclass(frozen=True)
class Review:
    entry: int
    date: date
    reviewer: str
    verdict: str
    note: str | None


@dataclass(frozen=True)
class StatusChange:
    entry: int
    status: str
    actor: str
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class Request:
    id: str
    agency: str
    employee: str
    kind: str
    dates: tuple[date, ...]
    location: tuple[str, str] | None
    time_pattern: str | None
    special: str | None
    reason: str
    targets: tuple[tuple[str, str], ...]
    status: str
    utc_offset: int  # seconds east of UTC of the request, for local deadlines
    requested_entry: int
    unit: str | None = None
    approved_dates: tuple[date, ...] = ()
    approver: str | None = None
    decided_at: datetime | None = None
    decision_entry: int | None = None
    policy_version: int | str | None = None
    revoked_from: date | None = None
    revoke_reason: str | None = None
    history: tuple[StatusChange, ...] = ()
    attendance: tuple[Attendance, ...] = ()
    outputs: tuple[OutputReport, ...] = ()
    reviews: tuple[Review, ...] = ()

    def open_dates(self) -> tuple[date, ...]:
        """Approved dates still in effect (before any revocation's effective_from)."""
        if self.status not in ("approved", "revoked"):
            return ()
        if self.revoked_from is None:
            return self.approved_dates
        cut = self.revoked_from
        return tuple(day for day in self.approved_dates if day < cut)

    def reported(self, day: date) -> bool:
        return any(report.date == day for report in self.outputs)


@dataclass(frozen=True)
class Evaluation:
    subject: str
    agency: str
    employee: str
    period: str
    results: str
    behaviour: str
    predikat: str
    evaluator: str
    entry: int


@dataclass(frozen=True)
class ComplaintStep:
    entry: int
    type: str
    actor: str
    at: datetime
    text: str | None
    evidence_sha256: str | None


@dataclass(frozen=True)
class Complaint:
    id: str
    agency: str
    unit: str
    service: str
    lapse_at: datetime
    form: str
    summary: str
    status: str
    filed_entry: int
    substantiated: bool | None = None
    findings: str | None = None
    finding_entries: tuple[int, ...] = ()
    action: str | None = None
    due: date | None = None
    outcome: str | None = None
    history: tuple[ComplaintStep, ...] = ()


@dataclass(frozen=True)
class Annotation:
    entry: int
    target: int
    note: str
    actor: str


Aggregate = Org | Key | Policy | Unit | Employee | Request | Evaluation | Complaint | Presence
