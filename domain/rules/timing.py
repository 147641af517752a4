"""Flag rules about time: late decisions, backdated events and missing output reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from domain.aggregates import PolicyVersion, Request
from domain.flags import Flag


def flag_late_decision(
    entry: int, request: Request, decided_on: date, policy: PolicyVersion
) -> Flag | None:
    """The decision came later than the policy's window after the first requested day."""
    limit = min(request.dates) + timedelta(days=policy.decision_window_days)
    if decided_on <= limit:
        return None
    return Flag(
        "late-decision",
        entry,
        f"request {request.id} decided on {decided_on.isoformat()}, after {limit.isoformat()} "
        f"({policy.decision_window_days} days after the first requested day)",
    )


def flag_backdated(
    entry: int, occurred_at: datetime, integrated_at: datetime, policy: PolicyVersion
) -> Flag | None:
    """The event claims a business time further back than the policy's backdating limit."""
    lag = integrated_at - occurred_at
    if lag <= timedelta(hours=policy.backdating_limit_hours):
        return None
    hours = lag.total_seconds() / 3600
    return Flag(
        "backdated",
        entry,
        f"occurred_at {occurred_at.isoformat()} is {hours:.1f} h before integration, "
        f"limit {policy.backdating_limit_hours} h",
    )


def missing_output_flags(
    request: Request, as_of: datetime, policy_on: Callable[[date], PolicyVersion | None]
) -> tuple[Flag, ...]:
    """Approved, unrevoked days with no output report once their deadline has passed."""
    if request.decision_entry is None:
        return ()
    local_today = as_of.astimezone(timezone(timedelta(seconds=request.utc_offset))).date()
    flags: list[Flag] = []
    for day in request.open_dates():
        policy = policy_on(day)
        if policy is None or request.reported(day):
            continue
        deadline = day + timedelta(days=policy.output_report_deadline_days)
        if local_today > deadline:
            flags.append(
                Flag(
                    "missing-output-report",
                    request.decision_entry,
                    f"no output reported for {day.isoformat()} of request {request.id} "
                    f"by {deadline.isoformat()}",
                )
            )
    return tuple(flags)


def flag_future_dated(
    entry: int, occurred_at: datetime, integrated_at: datetime, policy: PolicyVersion
) -> Flag | None:
    """The event claims a business time later than its integration, beyond the tolerance."""
    lead = occurred_at - integrated_at
    if lead <= timedelta(minutes=policy.future_tolerance_minutes):
        return None
    return Flag(
        "future-dated",
        entry,
        f"occurred_at {occurred_at.isoformat()} is {lead.total_seconds() / 3600:.1f} h after "
        f"integration, tolerance {policy.future_tolerance_minutes} min",
    )
