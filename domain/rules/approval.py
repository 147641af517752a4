"""Flag rules computed when a request is approved: who approved, eligibility, caps and quotas."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, timedelta

from domain.aggregates import Employee, PolicyVersion, Request, Unit
from domain.flags import Flag

INELIGIBLE_DISCIPLINE = frozenset({"proceedings", "penalty"})


def flag_self_approval(entry: int, request: Request, approver: str) -> Flag | None:
    """The approver approves their own request."""
    if approver != request.employee:
        return None
    return Flag("self-approval", entry, f"{approver} approved their own request {request.id}")


def flag_approver_not_supervisor(
    entry: int, employee: Employee, approver: str, named: Collection[str] = ()
) -> Flag | None:
    """The approver is neither the employee's supervisor nor an approver the policy names."""
    if employee.supervisor is not None and approver == employee.supervisor:
        return None
    if approver in named and approver != employee.nip:
        return None
    return Flag(
        "approver-not-supervisor",
        entry,
        f"approver {approver} is not the supervisor ({employee.supervisor}) of {employee.nip}",
    )


def flag_ineligible_discipline(entry: int, employee: Employee) -> Flag | None:
    """The employee is under disciplinary proceedings or penalty."""
    if employee.discipline not in INELIGIBLE_DISCIPLINE:
        return None
    return Flag(
        "ineligible-discipline", entry, f"{employee.nip} is under discipline: {employee.discipline}"
    )


def flag_ineligible_probation(
    entry: int, employee: Employee, first_day: date, policy: PolicyVersion
) -> Flag | None:
    """The first flexible day falls inside the probation window after placement."""
    ends = employee.placed_at + timedelta(days=policy.probation_days)
    if first_day >= ends:
        return None
    return Flag(
        "ineligible-probation",
        entry,
        f"{employee.nip} placed {employee.placed_at.isoformat()} is in probation "
        f"until {ends.isoformat()}, first flexible day {first_day.isoformat()}",
    )


def flag_ineligible_position(entry: int, employee: Employee, policy: PolicyVersion) -> Flag | None:
    """The employee's position is not among the policy's eligible positions."""
    if policy.eligible_positions is None or employee.position in policy.eligible_positions:
        return None
    return Flag(
        "ineligible-position",
        entry,
        f"position {employee.position!r} of {employee.nip} is not eligible "
        f"under policy {policy.version}",
    )


def exempt_from_cap(request: Request) -> bool:
    """Field duty or special circumstances with a reason lift the weekly cap."""
    return request.special is not None and bool(request.reason.strip())


def flag_weekly_cap(
    entry: int, request: Request, week_days: Collection[date], policy: PolicyVersion
) -> Flag | None:
    """More location days in one ISO week than the policy allows (special arrangements exempt)."""
    if request.kind != "location" or exempt_from_cap(request):
        return None
    if len(week_days) <= policy.max_location_days_per_week:
        return None
    year, week, _ = min(week_days).isocalendar()
    return Flag(
        "weekly-cap-exceeded",
        entry,
        f"{request.employee} has {len(week_days)} location days in {year}-W{week:02d}, "
        f"cap {policy.max_location_days_per_week}",
    )


def flag_unit_quota(
    entry: int, unit: Unit, day: date, flexible: int, staff: int, policy: PolicyVersion
) -> Flag | None:
    """More than the quota share of the unit's staff on location flexibility on a day."""
    if staff <= 0 or flexible * 100 <= policy.unit_quota_pct * staff:
        return None
    return Flag(
        "unit-quota-exceeded",
        entry,
        f"unit {unit.id} has {flexible} of {staff} staff on location flexibility on "
        f"{day.isoformat()}, quota {policy.unit_quota_pct}%",
    )


def flag_on_site_minimum(
    entry: int, unit: Unit, day: date, flexible: int, staff: int
) -> Flag | None:
    """A public-service unit keeps fewer than its minimum on site on a day."""
    if not unit.public_service or staff - flexible >= unit.min_on_site:
        return None
    return Flag(
        "on-site-minimum-breached",
        entry,
        f"public-service unit {unit.id} keeps {staff - flexible} on site on "
        f"{day.isoformat()}, minimum {unit.min_on_site}",
    )


def flag_evaluator_not_assessor(entry: int, employee: Employee, evaluator: str) -> Flag | None:
    """The evaluation is recorded by someone other than the employee's supervisor."""
    if employee.supervisor is not None and evaluator == employee.supervisor:
        return None
    return Flag(
        "evaluator-not-assessor",
        entry,
        f"{evaluator} evaluated {employee.nip}, whose assessor is {employee.supervisor}",
    )


def flag_location_not_designated(
    entry: int, request: Request, days: Collection[date], designated_on: Callable[[date], bool]
) -> Flag | None:
    """A `designated` location that the policy in force on a day does not designate."""
    if request.location is None or request.location[0] != "designated":
        return None
    missing = sorted(day for day in days if not designated_on(day))
    if not missing:
        return None
    return Flag(
        "location-not-designated",
        entry,
        f"request {request.id} names the location {request.location[1]!r}, not designated by "
        f"the policy in force on {', '.join(day.isoformat() for day in missing)}",
    )
