"""Row values of each read model, computed from the folded domain state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone

from domain.aggregates import Evaluation, Request
from domain.flags import Flag
from domain.state import LedgerState
from domain.views import render

Values = tuple[object, ...]


def dumps(value: object) -> str:
    """Compact, key-sorted JSON: equal values give equal text, so table digests compare."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _days(days: Iterable[date]) -> list[str]:
    return [d.isoformat() for d in days]


def request_row(r: Request, flags: Iterable[Flag], entries: Iterable[int]) -> Values:
    return (
        r.id,
        r.agency,
        r.unit,
        r.employee,
        r.kind,
        r.status,
        r.approver,
        min(r.dates).isoformat(),
        max(r.dates).isoformat(),
        dumps(_days(r.dates)),
        dumps(_days(r.approved_dates)),
        None if r.decided_at is None else r.decided_at.isoformat(),
        r.requested_entry,
        r.decision_entry,
        None if r.policy_version is None else str(r.policy_version),
        dumps([f.as_json() for f in flags]),
        dumps(sorted(entries)),
    )


def _missing_from(deadline: date, utc_offset: int) -> str:
    """The UTC instant a day's report becomes missing: local midnight after the deadline."""
    local = datetime.combine(
        deadline + timedelta(days=1), time(), timezone(timedelta(seconds=utc_offset))
    )
    return utc_text(local)


def utc_text(moment: datetime) -> str:
    """An instant as fixed-width UTC text, so instants compare as strings in SQL."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def work_day_rows(state: LedgerState, r: Request) -> list[Values]:
    """One row per approved day: in effect or not, deadline, attendance and outputs."""
    policy = state.policy(r.agency)
    open_days = set(r.open_dates())
    rows: list[Values] = []
    for day in r.approved_dates:
        version = None if policy is None else policy.in_force(day)
        deadline = (
            None if version is None else day + timedelta(days=version.output_report_deadline_days)
        )
        attendance = [
            {"entry": a.entry, "start": a.start, "end": a.end, "location_kind": a.location_kind}
            for a in r.attendance
            if a.date == day
        ]
        outputs = [
            {"entry": o.entry, "outputs": [{"title": t, "target": g} for t, g, _ in o.outputs]}
            for o in r.outputs
            if o.date == day
        ]
        rows.append(
            (
                r.id,
                day.isoformat(),
                r.agency,
                r.unit,
                r.employee,
                r.kind,
                int(day in open_days),
                None if deadline is None else deadline.isoformat(),
                None if deadline is None else _missing_from(deadline, r.utc_offset),
                r.decision_entry,
                dumps(attendance),
                dumps(outputs),
                int(r.reported(day)),
            )
        )
    return rows


DayRequest = tuple[str, str, str, int, int | None]
"""What a unit-day row reads of a request in effect that day: its id, kind, employee, and the
entries that requested and decided it (a request changes only by its own entries, each of
which refreshes this for its days; so a unit day needs no request read back)."""


def day_request(r: Request, day: date) -> DayRequest | None:
    """The request as `unit_day_row` reads it on `day`; None when not in effect that day."""
    if day not in r.open_dates():
        return None
    return (r.id, r.kind, r.employee, r.requested_entry, r.decision_entry)


def unit_day_row(
    state: LedgerState, unit_id: str, day: date, requests: Iterable[DayRequest]
) -> Values | None:
    """Who is on site, on location and on time flexibility; minimum and quota on that day,
    counted against the staff placed in the unit by that day (a later transfer does not
    rewrite earlier days). `requests`: those in effect that day, by id."""
    unit = state.unit(unit_id)
    if unit is None:
        return None
    staff = state.staff_on(unit_id, day)
    location: dict[str, str] = {}
    timeflex: dict[str, str] = {}
    entries: set[int] = set()
    for rid, kind, employee, requested, decided in requests:
        (location if kind == "location" else timeflex)[employee] = rid
        entries.update(e for e in (requested, decided) if e is not None)
    on_site = sorted(staff - set(location))
    policy = state.policy(unit.agency)
    version = None if policy is None else policy.in_force(day)
    pct = None if version is None else version.unit_quota_pct
    return (
        unit_id,
        day.isoformat(),
        unit.agency,
        int(unit.public_service),
        dumps(list(unit.service_hours)),
        len(staff),
        dumps(on_site),
        dumps(sorted(location.items())),
        dumps(sorted(timeflex.items())),
        len(on_site),
        len(location),
        len(timeflex),
        unit.min_on_site,
        pct,
        None if pct is None else pct * len(staff) // 100,
        None if version is None else str(version.version),
        None if version is None else version.entry,
        dumps(sorted(entries)),
    )


def evaluation_row(
    evaluation: Evaluation | None,
    subject: str,
    agency: str,
    unit: str | None,
    flags: Iterable[Flag],
) -> Values | None:
    """The row of an evaluation subject: the evaluation its steps hold (the last value they
    left, as its subject view renders it), the flags its entries raised."""
    if evaluation is None:
        return None
    s = render(evaluation)
    return (
        subject,
        agency,
        unit,
        s["employee"],
        s["period"],
        s["results"],
        s["behaviour"],
        s["predikat"],
        s["evaluator"],
        s["entry"],
        dumps([f.as_json() for f in flags]),
    )


def complaint_row(state: LedgerState, subject: str, entries: Iterable[int]) -> Values | None:
    c = state.complaint(subject)
    if c is None:
        return None
    return (
        c.id,
        c.agency,
        c.unit,
        c.status,
        c.lapse_at.isoformat(),
        c.form,
        c.filed_entry,
        dumps(render(c)),
        dumps(sorted(entries)),
    )
