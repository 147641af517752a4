"""Refusal rules for flexible-work requests: who may act, and which transitions exist."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.aggregates import Employee, Request
from domain.errors import ImpossibleTransition, UnknownActor

DECIDABLE = frozenset({"requested"})
LIVE = frozenset({"approved", "revoked"})


def check_actor_enrolled(actor: str, employee: Employee | None, agency: str) -> Employee:
    """The actor is an enrolled employee of the agency."""
    if employee is None or employee.agency != agency:
        raise UnknownActor(f"actor {actor!r} is not an enrolled employee of {agency!r}")
    return employee


def check_actor_is_requester(actor: str, employee: str) -> None:
    """The actor is the request's employee."""
    if actor != employee:
        raise UnknownActor(f"actor {actor!r} is not the request's employee {employee!r}")


def check_request_exists(subject: str, request: Request | None) -> Request:
    """The request exists."""
    if request is None:
        raise ImpossibleTransition(f"request {subject!r} does not exist")
    return request


def check_requestable(subject: str, request: Request | None, employee: str) -> None:
    """wfa.requested opens a new request, or resubmits one sent back for revision."""
    if request is None:
        return
    if request.status != "revision_requested":
        raise ImpossibleTransition(
            f"request {subject!r} exists ({request.status}); only a revision may be resubmitted"
        )
    if request.employee != employee:
        raise ImpossibleTransition(f"request {subject!r} belongs to {request.employee!r}")


def check_decidable(subject: str, request: Request | None) -> Request:
    """Approve, reject or send back only a request awaiting a decision."""
    found = check_request_exists(subject, request)
    if found.status not in DECIDABLE:
        raise ImpossibleTransition(f"request {subject!r} is {found.status}, not awaiting decision")
    return found


def check_approved_subset(request: Request, dates: Iterable[date]) -> None:
    """Approved dates are among the requested ones."""
    extra = sorted(set(dates) - set(request.dates))
    if extra:
        raise ImpossibleTransition(
            f"approved date {extra[0].isoformat()} was not requested in {request.id!r}"
        )


def check_withdrawable(subject: str, request: Request | None, today: date) -> Request:
    """Withdraw a pending request, or an approved one before its first day."""
    found = check_request_exists(subject, request)
    if found.status in ("requested", "revision_requested"):
        return found
    if found.status == "approved" and found.approved_dates and min(found.approved_dates) > today:
        return found
    raise ImpossibleTransition(f"request {subject!r} is {found.status} and cannot be withdrawn")


def check_revocable(subject: str, request: Request | None) -> Request:
    """Only an approved request can be revoked (recalled to office)."""
    found = check_request_exists(subject, request)
    if found.status != "approved":
        raise ImpossibleTransition(f"request {subject!r} is {found.status}, not approved")
    return found


def check_day_open(subject: str, request: Request | None, day: date) -> Request:
    """Attendance, outputs and reviews only for an approved date not revoked."""
    found = check_request_exists(subject, request)
    if found.status not in LIVE:
        raise ImpossibleTransition(f"request {subject!r} is {found.status}, not approved")
    if day not in found.open_dates():
        raise ImpossibleTransition(
            f"{day.isoformat()} is not an approved, unrevoked date of request {subject!r}"
        )
    return found


def check_output_to_review(request: Request, day: date) -> None:
    """A review needs an output reported for that date."""
    if not request.reported(day):
        raise ImpossibleTransition(f"no output was reported for {day.isoformat()} to review")
