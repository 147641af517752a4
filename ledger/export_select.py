"""Which entries a bundle holds: the asked subjects' chains and what their rule replay needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from domain.aggregates import Request
from domain.events import OPERATOR
from domain.reader import requests_dated_from, requests_dated_in
from domain.state import LedgerState

OVERSIGHT = frozenset({"ombudsman", "inspectorate"})
COMPLAINT_WINDOW = timedelta(days=7)
"""Arrangements whose dates fall this close to a complaint's lapse belong to its bundle."""


def _weeks(employee: str, days: Iterable[date]) -> set[tuple[str, int, int]]:
    return {(employee, *day.isocalendar()[:2]) for day in days}


class Neighbours:
    """An agency's requests by employee, read through the state's index of each employee's
    requests by month (bounded by the employees and months asked about, not by the log), and
    their neighbours."""

    def __init__(self, state: LedgerState, agency: str) -> None:
        self.state = state
        self.agency = agency
        self._requests: dict[str, Request | None] = {}

    def of_employee(self, nip: str, days: Iterable[date] | None = None) -> list[Request]:
        """The employee's requests in this agency: all of them, or (given `days`) those with a
        date in a month of one of the days."""
        if days is None:
            ids = requests_dated_from(self.state, nip, None)
        else:
            ids = requests_dated_in(self.state, nip, days)
        found = (self._request(rid) for rid in sorted(ids))
        return [r for r in found if r is not None and r.agency == self.agency]

    def _request(self, rid: str) -> Request | None:
        if rid not in self._requests:
            self._requests[rid] = self.state.request(rid)
        return self._requests[rid]

    def of(self, request: Request) -> set[str]:
        """Requests sharing a unit-day (quota, on-site minimum) or an ISO week (weekly cap):
        the unit's members' requests on its days, the employee's own in its weeks."""
        days = set(request.dates)
        weeks = _weeks(request.employee, days)
        week_days = {day - timedelta(days=day.weekday() - n) for day in days for n in range(7)}
        found = {
            other.id
            for other in self.of_employee(request.employee, week_days)
            if weeks & _weeks(other.employee, other.dates)
        }
        if request.unit is not None:
            for nip in sorted(self.state.members_of(request.unit)):
                found.update(
                    other.id
                    for other in self.of_employee(nip, days)
                    if other.unit == request.unit and days.intersection(other.dates)
                )
        found.add(request.id)
        return found


class Selection:
    """Subjects to include whole (up to the checkpoint), grown by each subject's dependencies."""

    def __init__(self, state: LedgerState, size: int) -> None:
        self.state = state
        self.size = size
        self.subjects: set[str] = set()
        self.agencies: set[str] = set()
        self._neighbours: dict[str, Neighbours] = {}

    def neighbours(self, agency: str) -> Neighbours:
        if agency not in self._neighbours:
            self._neighbours[agency] = Neighbours(self.state, agency)
        return self._neighbours[agency]

    def add(self, subject: str | None) -> None:
        """Include a subject and what replaying it needs (its people, unit, policy, org)."""
        if subject is None or subject in self.subjects:
            return
        self.subjects.add(subject)
        state = self.state
        request, complaint = state.request(subject), state.complaint(subject)
        employee, unit = state.employee(subject), state.unit(subject)
        if request is not None:
            self._agency(request.agency)
            self.add(request.employee)
            self.add(request.unit)
            for step in request.history:
                self.add(step.actor)
            for review in request.reviews:
                self.add(review.reviewer)
            if request.unit is not None:
                self.add_staff(request.unit)
        elif complaint is not None:
            self._agency(complaint.agency)
            self.add(complaint.unit)
        elif employee is not None:
            self._agency(employee.agency)
            self.add(employee.unit)
            if any("discipline" in update.fields for update in employee.updates):
                self.add_requests_of(employee.agency, employee.nip)  # arrangement-after-penalty
        elif unit is not None:
            self._agency(unit.agency)
        elif subject.startswith("presence:"):
            self.add_presence(subject.removeprefix("presence:"))
        else:
            view = state.subject_view(subject)
            if view is not None:
                for name in ("agency", "employee", "evaluator", "org"):
                    value = view.state.get(name)
                    if isinstance(value, str):
                        self._agency(value) if name == "agency" else self.add(value)

    def add_requests_of(self, agency: str, nip: str) -> None:
        """The employee's requests (the penalty rule reads the days they hold)."""
        for request in self.neighbours(agency).of_employee(nip):
            self.add(request.id)

    def add_presence(self, nip: str) -> None:
        """A presence stream, its employee, and what its weekly-hours and evaluation-missing
        flags read: the employee's requests (attendance) and evaluations."""
        employee = self.state.employee(nip)
        if employee is None:
            return
        self.add(nip)
        self.add_requests_of(employee.agency, nip)
        for period in sorted(self.state.evaluated_periods(nip)):
            self.add(f"eval:{nip}:{period}")

    def add_staff(self, unit: str) -> None:
        """Everyone the log ever placed in the unit: replaying its quota and on-site flags
        needs the staff as they were, including those who have moved on since."""
        for nip in sorted(self.state.members_of(unit)):
            self.add(nip)

    def add_request_with_neighbours(self, subject: str) -> None:
        """A request and every arrangement its quota, on-site and weekly-cap flags counted."""
        self.add(subject)
        request = self.state.request(subject)
        if request is not None:
            for other in sorted(self.neighbours(request.agency).of(request)):
                self.add(other)

    def add_complaint(self, subject: str) -> list[str]:
        """A complaint, its unit's staff and their arrangements around the lapse; returns them."""
        self.add(subject)
        complaint = self.state.complaint(subject)
        if complaint is None:
            return []
        self.add_staff(complaint.unit)
        lapse = complaint.lapse_at.date()
        around: list[str] = []
        neighbours = self.neighbours(complaint.agency)
        window = COMPLAINT_WINDOW.days
        days = [lapse + timedelta(days=n) for n in range(-window, window + 1)]
        for nip in sorted(self.state.members_of(complaint.unit)):
            for request in neighbours.of_employee(nip, days):
                if any(abs(day - lapse) <= COMPLAINT_WINDOW for day in request.dates):
                    around.append(request.id)
                    self.add_request_with_neighbours(request.id)
        return sorted(set(around))

    def _agency(self, agency: str) -> None:
        if agency not in self.agencies:
            self.agencies.add(agency)
            self.add(agency)
            self.add(f"policy:{agency}")

    def indexes(self) -> list[int]:
        """Every entry of the selected subjects, the orgs and keys they need, below `size`."""
        state = self.state
        self.add(OPERATOR)
        orgs = self.agencies | {OPERATOR}
        for key in state.all_keys():
            org = state.org(key.org)
            if key.org in orgs or (org is not None and org.kind in OVERSIGHT):
                self.subjects.add(f"key:{key.keyid}")
                self.subjects.add(key.org)
        found: set[int] = set()
        for subject in self.subjects:
            view = state.subject_view(subject)
            if view is not None:
                found.update(i for i in view.indexes if i < self.size)
        return sorted(found)
