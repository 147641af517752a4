"""Flag rule: the weekly working hours (37.5 h, 32.5 h in Ramadan) from presence and attendance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from domain.aggregates import PolicyVersion
from domain.flags import Flag

PRESENCE = "presence"


def minutes_between(start: str, end: str | None) -> int:
    """Minutes from `start` to `end` (HH:MM, same day); 0 while `end` is not known yet."""
    if end is None:
        return 0
    (h1, m1), (h2, m2) = (map(int, start.split(":")), map(int, end.split(":")))
    return max(0, (h2 * 60 + m2) - (h1 * 60 + m1))


def week_monday(year: int, week: int) -> date:
    return date.fromisocalendar(year, week, 1)


def required_hours(policy: PolicyVersion, year: int, week: int) -> tuple[float, bool]:
    """The weekly hours the policy requires in an ISO week, and whether Ramadan lowers them
    (any of its working days falls within the policy's Ramadan dates)."""
    monday = week_monday(year, week)
    if policy.ramadan is not None:
        start, end, hours = policy.ramadan
        if any(start <= monday + timedelta(days=n) <= end for n in range(5)):
            return hours, True
    return policy.weekly_hours, False


def worked_minutes(records: Iterable[tuple[date, str, int]]) -> int:
    """A week's minutes: per day the longer of presence and flexible-work attendance (so a day
    recorded by both is not counted twice), summed."""
    presence: dict[date, int] = defaultdict(int)
    attendance: dict[date, int] = defaultdict(int)
    for day, source, minutes in records:
        (presence if source == PRESENCE else attendance)[day] += minutes
    days = set(presence) | set(attendance)
    return sum(max(presence[day], attendance[day]) for day in days)


def flag_weekly_hours_short(
    entry: int,
    nip: str,
    year: int,
    week: int,
    records: Iterable[tuple[date, str, int]],
    policy: PolicyVersion,
) -> Flag | None:
    """A closed ISO week in which the employee's recorded hours fall short of the policy's."""
    required, ramadan = required_hours(policy, year, week)
    worked = worked_minutes(records)
    if worked >= required * 60:
        return None
    during = " (Ramadan)" if ramadan else ""
    return Flag(
        "weekly-hours-short",
        entry,
        f"{nip} recorded {worked / 60:.1f} h in {year}-W{week:02d}, "
        f"required {required:g} h{during} under policy version {policy.version}",
    )
