"""The attendance system's presence records: every employee, every working day of the period."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from api.demo.cast import PEOPLE, Person
from api.demo.plan import WEEKS, Plan, at, jitter
from api.demo.work import Worked

OFFICE_SOURCE = "SIAP Presensi (mesin sidik jari kantor)"
ONLINE_SOURCE = "SIAP Presensi (aplikasi daring, lokasi tervalidasi)"
LATE = ("bambang", "10:41")  # the counter clerk who arrived after the lapse on the breach day
SHORT_WEEK = ("ratna", 0, (0, 1, 2), "12:30")  # left at 12:30 three days: a short week


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _data(day: date, start: str, end: str | None, kind: str) -> dict[str, object]:
    source = OFFICE_SOURCE if kind == "office" else ONLINE_SOURCE
    return {
        "date": day.isoformat(),
        "in": start,
        "out": end,
        "location_kind": kind,
        "source": source,
    }


def _office_day(plan: Plan, who: Person, day: date, breach: date) -> None:
    subject = f"presence:{who.nip}"
    start = at(day, "07:20", jitter(f"{who.nip}{day}in", 25))
    end = at(day, "16:00", jitter(f"{who.nip}{day}out", 30))
    label, week, days, left = SHORT_WEEK
    if who.label == label and day in {plan.period.day(week, d) for d in days}:
        end = at(day, left)
    if who.label == LATE[0] and day == breach:
        start = at(day, LATE[1])
        arrived = _data(day, LATE[1], None, "office")
        plan.by(who, start + timedelta(minutes=1), "presence.recorded", subject, arrived)
    data = _data(day, _hhmm(start), _hhmm(end), "office")
    plan.by(who, end + timedelta(minutes=1), "presence.recorded", subject, data)


def record_presence(plan: Plan, worked: dict[tuple[str, date], Worked], breach: date) -> None:
    """Office days from the fingerprint reader; flexible days as their attendance recorded them
    (location days through the online app, time-flexible days at the office)."""
    for who in PEOPLE:
        placed = who.placed_at(plan.period.start)
        for week in range(WEEKS):
            for weekday in range(5):
                day = plan.period.day(week, weekday)
                if day < placed:
                    continue
                flexible = worked.get((who.label, day))
                if flexible is None:
                    _office_day(plan, who, day, breach)
                    continue
                kind = flexible.location_kind
                data = _data(day, _hhmm(flexible.start), _hhmm(flexible.end), kind)
                when = flexible.recorded + timedelta(minutes=1)
                plan.by(who, when, "presence.recorded", f"presence:{who.nip}", data)
