"""Flag rule: an employee left without an evaluation for a period the policy's cadence sets."""

from __future__ import annotations

from datetime import date, timedelta

from domain.fields import parse_iso_date
from domain.flags import Flag

MONTHS = {"monthly": 1, "quarterly": 3, "semester": 6}
_LETTER = {"quarterly": "Q", "semester": "S"}


def period_of(cadence: str, day: date) -> tuple[str, date, date]:
    """The name, first and last day of the cadence period holding `day`: `2026-11`,
    `2026-Q4` or `2026-S2`."""
    months = MONTHS[cadence]
    index = (day.month - 1) // months
    first = date(day.year, index * months + 1, 1)
    after = date(
        first.year + (first.month + months - 1) // 12, (first.month + months - 1) % 12 + 1, 1
    )
    name = (
        f"{day.year}-{day.month:02d}"
        if cadence == "monthly"
        else f"{day.year}-{_LETTER[cadence]}{index + 1}"
    )
    return name, first, after - timedelta(days=1)


def covered_periods(label: str) -> frozenset[str]:
    """The cadence periods an evaluation's `period` covers: the label itself (`2026-11`,
    `2026-Q4`, `2026-S2`), or for a range `<from>_<to>` the periods holding its last day."""
    _, _, end = label.partition("_")
    try:
        last = parse_iso_date(end)
    except ValueError:
        return frozenset({label})
    return frozenset({label, *(period_of(cadence, last)[0] for cadence in MONTHS)})


def last_due_period(
    cadence: str, deadline_days: int, on: date, since: date
) -> tuple[str, date, date] | None:
    """The latest period starting on or after `since` whose deadline (its last day plus
    `deadline_days`) is before `on`; None if there is none yet."""
    name, first, last = period_of(cadence, on)
    while first >= since:
        if last + timedelta(days=deadline_days) < on:
            return name, first, last
        name, first, last = period_of(cadence, first - timedelta(days=1))
    return None


def flag_evaluation_missing(
    entry: int, nip: str, period: tuple[str, date, date], deadline_days: int, held: frozenset[str]
) -> Flag | None:
    """No evaluation of the employee covers the period once its deadline has passed."""
    name, _, last = period
    if name in held:
        return None
    due = last + timedelta(days=deadline_days)
    return Flag(
        "evaluation-missing",
        entry,
        f"{nip} has no evaluation for {name}, due by {due.isoformat()}",
    )
