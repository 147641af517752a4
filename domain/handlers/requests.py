"""Handlers for flexible-work requests, decisions, attendance and work outputs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from domain.aggregates import Attendance, OutputReport, PolicyVersion, Request, Review, StatusChange
from domain.entry import Entry
from domain.errors import ImpossibleTransition
from domain.event_data import (
    AttendanceRecorded,
    OutputReported,
    OutputReviewed,
    WfaApproved,
    WfaReason,
    WfaRequested,
    WfaRevoked,
)
from domain.handlers.presence import book_time
from domain.reader import Changes, StateReader, WeekKey
from domain.rules import approval
from domain.rules.decisions import flag_decision_by_non_approver
from domain.rules.hours import minutes_between
from domain.rules.people import check_employee_known
from domain.rules.policy import decision_policy, require_policy
from domain.rules.requests import (
    check_actor_enrolled,
    check_actor_is_requester,
    check_approved_subset,
    check_day_open,
    check_decidable,
    check_output_to_review,
    check_request_exists,
    check_requestable,
    check_revocable,
    check_withdrawable,
)
from domain.rules.timing import flag_late_decision


def _week(employee: str, day: date) -> WeekKey:
    year, week, _ = day.isocalendar()
    return (employee, year, week)


def _step(entry: Entry, status: str, reason: str | None) -> StatusChange:
    event = entry.event
    return StatusChange(entry.index, status, event.actor, event.occurred_at, reason)


def wfa_requested(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = WfaRequested.model_validate(event.data)
    employee = check_actor_enrolled(event.actor, reader.employee(event.actor), event.agency)
    check_actor_is_requester(event.actor, data.employee)
    existing = reader.request(event.subject)
    check_requestable(event.subject, existing, data.employee)
    require_policy(event.agency, reader.policy(event.agency), min(data.dates))
    changes.file_request(reader, data.employee, event.subject, tuple(data.dates))
    offset = event.occurred_at.utcoffset()
    changes.value = changes.requests[event.subject] = Request(
        id=event.subject,
        agency=event.agency,
        employee=data.employee,
        kind=data.kind,
        dates=tuple(sorted(data.dates)),
        location=None if data.location is None else _location(data),
        time_pattern=data.time_pattern,
        special=data.special,
        reason=data.reason,
        targets=tuple((target.id, target.description) for target in data.targets),
        status="requested",
        utc_offset=int(offset.total_seconds()) if offset is not None else 0,
        requested_entry=entry.index,
        unit=employee.unit,
        history=(*(existing.history if existing else ()), _step(entry, "requested", None)),
    )


def _location(data: WfaRequested) -> tuple[str, str]:
    """(kind, name): a designated location is named by its policy id when it gives one."""
    place = data.location
    if place is None:
        raise ImpossibleTransition("a location request needs a location")
    return (place.kind, place.id or place.description)


def _policy_on(
    reader: StateReader, agency: str, day: date, fallback: PolicyVersion
) -> PolicyVersion:
    policy = reader.policy(agency)
    found = policy.in_force(day) if policy is not None else None
    return found or fallback


def _approval_flags(
    reader: StateReader,
    entry: Entry,
    changes: Changes,
    request: Request,
    days: tuple[date, ...],
    policy: PolicyVersion,
) -> str:
    """Raise every approval flag, book the location days; return the employee's unit."""
    event, index = entry.event, entry.index
    employee = check_employee_known(
        request.employee, reader.employee(request.employee), event.agency
    )
    changes.flag(approval.flag_self_approval(index, request, event.actor), policy)
    named = policy.approvers
    changes.flag(approval.flag_approver_not_supervisor(index, employee, event.actor, named), policy)
    changes.flag(approval.flag_ineligible_discipline(index, employee), policy)
    changes.flag(approval.flag_ineligible_position(index, employee, policy), policy)
    changes.flag(approval.flag_ineligible_probation(index, employee, days[0], policy), policy)
    if request.kind != "location":
        return employee.unit

    def designated_on(day: date) -> bool:
        return request.location is not None and (
            request.location[1]
            in _policy_on(reader, event.agency, day, policy).designated_locations
        )

    changes.flag(approval.flag_location_not_designated(index, request, days, designated_on), policy)
    unit = reader.unit(employee.unit)
    staff = len(changes.staff(reader, employee.unit))
    counted = not approval.exempt_from_cap(request)
    for day in days:
        day_policy = _policy_on(reader, event.agency, day, policy)
        booked = changes.day(reader, (employee.unit, day)) | {(employee.nip, request.id)}
        changes.location_days[(employee.unit, day)] = booked
        if unit is not None:
            flexible = len({nip for nip, _ in booked})
            changes.flag(
                approval.flag_unit_quota(index, unit, day, flexible, staff, day_policy), day_policy
            )
            changes.flag(approval.flag_on_site_minimum(index, unit, day, flexible, staff), policy)
        if counted:
            week = _week(employee.nip, day)
            changes.employee_weeks[week] = changes.week(reader, week) | {(day, request.id)}
    weeks = sorted({_week(employee.nip, day) for day in days}) if counted else []
    for week in weeks:
        week_days = {day for day, _ in changes.week(reader, week)}
        week_policy = _policy_on(reader, event.agency, min(week_days), policy)
        changes.flag(approval.flag_weekly_cap(index, request, week_days, week_policy), week_policy)
    return employee.unit


def _decide(reader: StateReader, entry: Entry, changes: Changes, status: str) -> None:
    event = entry.event
    check_actor_enrolled(event.actor, reader.employee(event.actor), event.agency)
    request = check_decidable(event.subject, reader.request(event.subject))
    decided_on = event.occurred_at.date()
    policy = decision_policy(
        event.agency, reader.policy(event.agency), decided_on, min(request.dates)
    )
    changes.flag(flag_late_decision(entry.index, request, decided_on, policy), policy)
    reason: str | None = None
    approved: tuple[date, ...] = ()
    unit = request.unit
    if status == "approved":
        data = WfaApproved.model_validate(event.data)
        reason = data.note
        approved = request.dates if data.dates is None else tuple(sorted(set(data.dates)))
        check_approved_subset(request, approved)
        if not approved:
            raise ImpossibleTransition(f"approval of {request.id!r} names no dates")
        unit = _approval_flags(reader, entry, changes, request, approved, policy)
    else:
        reason = WfaReason.model_validate(event.data).reason
        _flag_decider(reader, entry, changes, request, status, policy)
    changes.value = changes.requests[event.subject] = replace(
        request,
        status=status,
        approved_dates=approved,
        unit=unit,
        approver=event.actor,
        decided_at=event.occurred_at,
        decision_entry=entry.index,
        policy_version=policy.version,
        history=(*request.history, _step(entry, status, reason)),
    )


def _flag_decider(
    reader: StateReader,
    entry: Entry,
    changes: Changes,
    request: Request,
    decision: str,
    policy: PolicyVersion | None,
) -> None:
    """Flag a rejection, revision request or revocation by someone not entitled to decide."""
    event = entry.event
    employee = reader.employee(request.employee)
    if employee is None:
        return
    named = () if policy is None else policy.approvers
    flag = flag_decision_by_non_approver(
        entry.index, request, employee, event.actor, decision, named
    )
    changes.flag(flag, policy)


def wfa_approved(reader: StateReader, entry: Entry, changes: Changes) -> None:
    _decide(reader, entry, changes, "approved")


def wfa_rejected(reader: StateReader, entry: Entry, changes: Changes) -> None:
    _decide(reader, entry, changes, "rejected")


def wfa_revision_requested(reader: StateReader, entry: Entry, changes: Changes) -> None:
    _decide(reader, entry, changes, "revision_requested")


def _release(reader: StateReader, changes: Changes, request: Request, days: Iterable[date]) -> None:
    """Take released location days out of the unit-day and employee-week indexes."""
    if request.kind != "location" or request.unit is None:
        return
    for day in days:
        key = (request.unit, day)
        changes.location_days[key] = changes.day(reader, key) - {(request.employee, request.id)}
        week = _week(request.employee, day)
        changes.employee_weeks[week] = changes.week(reader, week) - {(day, request.id)}


def wfa_withdrawn(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = WfaReason.model_validate(event.data)
    check_actor_enrolled(event.actor, reader.employee(event.actor), event.agency)
    request = check_request_exists(event.subject, reader.request(event.subject))
    check_actor_is_requester(event.actor, request.employee)
    check_withdrawable(event.subject, request, event.occurred_at.date())
    _release(reader, changes, request, request.open_dates())
    changes.value = changes.requests[event.subject] = replace(
        request,
        status="withdrawn",
        history=(*request.history, _step(entry, "withdrawn", data.reason)),
    )


def wfa_revoked(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = WfaRevoked.model_validate(event.data)
    check_actor_enrolled(event.actor, reader.employee(event.actor), event.agency)
    request = check_revocable(event.subject, reader.request(event.subject))
    policy = reader.policy(event.agency)
    version = None if policy is None else policy.in_force(event.occurred_at.date())
    _flag_decider(reader, entry, changes, request, "revoked", version)
    released = [day for day in request.open_dates() if day >= data.effective_from]
    _release(reader, changes, request, released)
    changes.value = changes.requests[event.subject] = replace(
        request,
        status="revoked",
        revoked_from=data.effective_from,
        revoke_reason=data.reason,
        history=(*request.history, _step(entry, "revoked", data.reason)),
    )


def _open_day(reader: StateReader, entry: Entry, day: date, requester_only: bool) -> Request:
    event = entry.event
    check_actor_enrolled(event.actor, reader.employee(event.actor), event.agency)
    request = check_request_exists(event.subject, reader.request(event.subject))
    if requester_only:
        check_actor_is_requester(event.actor, request.employee)
    return check_day_open(event.subject, request, day)


def attendance_recorded(reader: StateReader, entry: Entry, changes: Changes) -> None:
    data = AttendanceRecorded.model_validate(entry.event.data)
    request = _open_day(reader, entry, data.date, requester_only=True)
    record = Attendance(entry.index, data.date, data.start, data.end, data.location_kind)
    minutes = minutes_between(data.start, data.end)
    book_time(reader, entry, changes, request.employee, data.date, request.id, minutes)
    changes.value = changes.requests[request.id] = replace(
        request, attendance=(*request.attendance, record)
    )


def output_reported(reader: StateReader, entry: Entry, changes: Changes) -> None:
    data = OutputReported.model_validate(entry.event.data)
    request = _open_day(reader, entry, data.date, requester_only=True)
    outputs = tuple((item.title, item.target, item.evidence_sha256) for item in data.outputs)
    report = OutputReport(entry.index, data.date, outputs)
    changes.value = changes.requests[request.id] = replace(
        request, outputs=(*request.outputs, report)
    )


def output_reviewed(reader: StateReader, entry: Entry, changes: Changes) -> None:
    data = OutputReviewed.model_validate(entry.event.data)
    request = _open_day(reader, entry, data.date, requester_only=False)
    check_output_to_review(request, data.date)
    review = Review(entry.index, data.date, entry.event.actor, data.verdict, data.note)
    changes.value = changes.requests[request.id] = replace(
        request, reviews=(*request.reviews, review)
    )
