"""Handler for presence at the attendance system, and the weekly hours it and attendance add up."""

from __future__ import annotations

from datetime import date

from domain.aggregates import Presence
from domain.entry import Entry
from domain.event_data import PresenceRecorded
from domain.reader import Changes, StateReader, WorkTime
from domain.rules.cadence import flag_evaluation_missing, last_due_period
from domain.rules.hours import PRESENCE, flag_weekly_hours_short, minutes_between
from domain.rules.people import check_employee_known, check_presence_subject
from domain.rules.requests import check_actor_enrolled, check_actor_is_requester


def book_time(
    reader: StateReader,
    entry: Entry,
    changes: Changes,
    nip: str,
    day: date,
    source: str,
    minutes: int,
) -> None:
    """Record a day's minutes from one source (replacing that source's earlier figure for the
    day). The first presence record of a later ISO week closes the employee's previous week,
    which is then judged against the weekly hours of the policy in force on its Monday.

    Only presence records judge (weeks and evaluations): so a request's own entries never carry
    a flag that depends on another stream, and a request's bundle replays without presence."""
    judging = source == PRESENCE
    if judging:
        judge_evaluation(reader, entry, changes, nip, day)
    year, week, _ = day.isocalendar()
    key = (nip, year, week)
    held = changes.work_times.get(key, reader.work_time(key))
    kept: frozenset[WorkTime] = frozenset(r for r in held if (r[0], r[1]) != (day, source))
    changes.work_times[key] = kept | {(day, source, minutes)}
    if not judging:
        return
    last = changes.last_work_weeks.get(nip, reader.last_work_week(nip))
    if last is not None and last >= (year, week):
        return
    changes.last_work_weeks[nip] = (year, week)
    if last is None:
        return
    policy = reader.policy(entry.event.agency)
    version = None if policy is None else policy.in_force(date.fromisocalendar(*last, 1))
    if version is None:
        return
    closed = (nip, *last)
    records = changes.work_times.get(closed, reader.work_time(closed))
    changes.flag(flag_weekly_hours_short(entry.index, nip, *last, records, version), version)


def judge_evaluation(
    reader: StateReader, entry: Entry, changes: Changes, nip: str, day: date
) -> None:
    """A record dated after a cadence period's deadline judges that period once: the employee,
    in post by its last day, should have an evaluation covering it. Periods are judged from the
    first one starting on or after the earliest policy version that sets a cadence. Only an
    employee whose assessor (the supervisor) is in the log is judged: the head of an agency is
    assessed from outside it, and any evaluation recorded here would be `evaluator-not-assessor`."""
    policy = reader.policy(entry.event.agency)
    version = None if policy is None else policy.in_force(day)
    if policy is None or version is None or version.evaluation_cadence is None:
        return
    since = min(v.effective_from for v in policy.versions if v.evaluation_cadence is not None)
    deadline = version.evaluation_deadline_days
    period = last_due_period(version.evaluation_cadence, deadline, day, since)
    judged = changes.evaluations_judged.get(nip, reader.evaluation_judged(nip))
    if period is None or (judged is not None and judged >= period[1]):
        return
    changes.evaluations_judged[nip] = period[1]
    employee = reader.employee(nip)
    if employee is None or employee.supervisor is None or employee.placed_at > period[2]:
        return
    held = changes.evaluated.get(nip, reader.evaluated_periods(nip))
    changes.flag(flag_evaluation_missing(entry.index, nip, period, deadline, held), version)


def presence_recorded(reader: StateReader, entry: Entry, changes: Changes) -> None:
    event = entry.event
    data = PresenceRecorded.model_validate(event.data)
    nip = check_presence_subject(event.subject)
    check_actor_enrolled(event.actor, reader.employee(event.actor), event.agency)
    check_actor_is_requester(event.actor, nip)
    check_employee_known(nip, reader.employee(nip), event.agency)
    record = Presence(
        nip=nip,
        agency=event.agency,
        date=data.date,
        arrived=data.in_,
        left=data.out,
        location_kind=data.location_kind,
        source=data.source,
        entry=entry.index,
    )
    changes.value = changes.presence_days[(nip, data.date)] = record
    minutes = minutes_between(data.in_, data.out)
    book_time(reader, entry, changes, nip, data.date, PRESENCE, minutes)
