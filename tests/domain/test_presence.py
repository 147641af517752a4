"""presence.recorded: schema, who may record it, the state it leaves, and weekly hours."""

from __future__ import annotations

from datetime import date

import pytest

from domain.aggregates import PolicyVersion
from domain.errors import PayloadInvalid, UnknownActor
from domain.events import parse_payload
from domain.flags import Flag
from domain.rules.hours import flag_weekly_hours_short, required_hours, worked_minutes
from tests.domain.builders import AGENCY, HEAD, STAFF, STAFF2, World, payload, policy_data, world

RAMADAN = {"from": "2027-02-08", "to": "2027-03-09", "weekly_hours": 32.5}


def presence(day: str, start: str = "07:30", end: str | None = "16:00") -> dict[str, object]:
    return {"date": day, "in": start, "out": end, "location_kind": "office", "source": "siap"}


def record(
    w: World, day: str, start: str = "07:30", end: str | None = "16:00", nip: str = STAFF
) -> tuple[Flag, ...]:
    return w.add("presence.recorded", f"presence:{nip}", presence(day, start, end), actor=nip)


def week(w: World, days: tuple[str, ...], start: str = "07:30", end: str = "16:00") -> None:
    for day in days:
        record(w, day, start, end)


WEEK_49 = ("2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04")


def the_policy(w: World) -> PolicyVersion:
    found = w.state.policy(AGENCY)
    assert found is not None
    return found.versions[-1]


def test_presence_is_in_the_catalogue_with_its_schema() -> None:
    event = parse_payload(payload("presence.recorded", f"presence:{STAFF}", presence("2026-12-01")))
    assert event.data.model_dump(by_alias=True)["in"] == "07:30"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"in": "7:30"}, "in"),
        ({"out": "07:00"}, "out is before in"),
        ({"location_kind": "cafe"}, "location_kind"),
        ({"source": None}, "source"),
    ],
)
def test_refuses_malformed_presence(change: dict[str, object], field: str) -> None:
    body = payload("presence.recorded", f"presence:{STAFF}", {**presence("2026-12-01"), **change})
    with pytest.raises(PayloadInvalid, match=field):
        parse_payload(body)


def test_records_presence_and_shows_it_as_the_subject_state() -> None:
    w = world()
    assert record(w, "2026-12-01", "10:41", None) == ()
    found = w.state.presence_on(STAFF, date(2026, 12, 1))
    assert found is not None
    assert (found.arrived, found.left, found.present_at("10:40")) == ("10:41", None, False)
    assert found.present_at("10:41")
    view = w.state.subject_view(f"presence:{STAFF}")
    assert view is not None
    assert view.kind == "presence"
    assert view.state["in"] == "10:41"


def test_a_later_record_of_the_day_replaces_the_earlier() -> None:
    w = world()
    record(w, "2026-12-01", "07:30", None)
    record(w, "2026-12-01", "07:30", "12:00")
    found = w.state.presence_on(STAFF, date(2026, 12, 1))
    assert found is not None
    assert found.left == "12:00"
    assert not found.present_at("12:00")


def test_refuses_presence_of_someone_else_or_not_enrolled() -> None:
    w = world()
    with pytest.raises(UnknownActor, match="not the request's employee"):
        w.add("presence.recorded", f"presence:{STAFF}", presence("2026-12-01"), actor=STAFF2)
    with pytest.raises(UnknownActor, match="not an enrolled employee"):
        w.add("presence.recorded", "presence:199", presence("2026-12-01"), actor="199")
    with pytest.raises(PayloadInvalid, match="presence:<NIP>"):
        w.add("presence.recorded", f"hadir:{STAFF}", presence("2026-12-01"), actor=STAFF)


def test_flags_a_short_week_when_the_next_week_begins() -> None:
    w = world()
    week(w, WEEK_49, "08:00", "15:00")  # 5 × 7 h = 35 h
    (flag,) = record(w, "2026-12-07")
    assert flag.rule == "weekly-hours-short"
    assert "35.0 h in 2026-W49, required 37.5 h" in flag.detail
    assert flag.entry == w.entries[-1].index


def test_no_flag_for_a_full_week() -> None:
    w = world()
    week(w, WEEK_49)  # 5 × 8.5 h
    assert record(w, "2026-12-07") == ()


def test_attendance_on_a_flexible_day_counts_toward_the_week() -> None:
    w = world()
    w.request(dates=("2026-12-02",))
    w.approve()
    week(w, ("2026-11-30", "2026-12-01", "2026-12-03", "2026-12-04"))  # 4 × 8.5 h = 34 h
    attendance: dict[str, object] = {
        "date": "2026-12-02",
        "start": "07:00",
        "end": "15:00",
        "location_kind": "domicile",
    }
    assert w.add("attendance.recorded", "req-1", attendance, actor=STAFF) == ()
    assert record(w, "2026-12-07") == ()


def test_a_day_recorded_by_presence_and_attendance_counts_once() -> None:
    day = date(2026, 12, 2)
    assert worked_minutes([(day, "presence", 480), (day, "req-1", 480)]) == 480


def test_ramadan_lowers_the_required_hours() -> None:
    w = world(policy_data(ramadan=RAMADAN))
    assert required_hours(the_policy(w), 2027, 11) == (37.5, False)
    assert required_hours(the_policy(w), 2027, 7) == (32.5, True)
    days = ("2027-02-15", "2027-02-16", "2027-02-17", "2027-02-18", "2027-02-19")
    week(w, days, "08:00", "14:40")  # 5 × 6 h 40 = 33.3 h
    assert record(w, "2027-02-22") == ()


def test_ramadan_week_short_of_its_hours_is_flagged() -> None:
    w = world(policy_data(ramadan=RAMADAN))
    records = [(date(2027, 2, 15 + n), "presence", 360) for n in range(5)]  # 30 h
    flag = flag_weekly_hours_short(9, STAFF, 2027, 7, records, the_policy(w))
    assert flag is not None
    assert "required 32.5 h (Ramadan)" in flag.detail


def test_refuses_a_policy_whose_ramadan_ends_before_it_starts() -> None:
    body = payload(
        "policy.enacted",
        f"policy:{AGENCY}",
        policy_data(ramadan={"from": "2027-03-09", "to": "2027-02-08"}),
        actor=HEAD,
    )
    with pytest.raises(PayloadInvalid, match=r"ramadan\.to is before"):
        parse_payload(body)


# -- evaluation-missing: judged by the employee's first record after a period's deadline ----


def monthly() -> dict[str, object]:
    return policy_data(effective_from="2026-10-15", evaluation_cadence="monthly")


def test_flags_a_missing_evaluation_after_the_deadline() -> None:
    w = world(monthly())
    assert record(w, "2026-12-10") == ()  # 2026-11 is due by 2026-12-10
    (flag,) = record(w, "2026-12-11")
    assert flag.rule == "evaluation-missing"
    assert "no evaluation for 2026-11, due by 2026-12-10" in flag.detail
    later = record(w, "2026-12-14")  # each period is judged once
    assert [f.rule for f in later] == ["weekly-hours-short"]


def test_no_evaluation_flag_for_a_head_assessed_outside_the_log() -> None:
    w = world(monthly())
    assert record(w, "2026-12-11", nip=HEAD) == ()  # no supervisor: no assessor in the log
    (flag,) = record(w, "2026-12-11")
    assert flag.rule == "evaluation-missing"


def test_no_evaluation_flag_when_the_period_is_evaluated() -> None:
    w = world(monthly())
    evaluation: dict[str, object] = {
        "employee": STAFF,
        "period": "2026-11-02_2026-11-27",
        "results": "sesuai",
        "behaviour": "sesuai",
        "predikat": "baik",
    }
    w.add("evaluation.recorded", f"eval:{STAFF}:2026-11-02_2026-11-27", evaluation)
    assert record(w, "2026-12-11") == ()


def test_quarterly_and_semester_cadences() -> None:
    from domain.rules.cadence import last_due_period, period_of

    assert period_of("quarterly", date(2026, 12, 5))[0] == "2026-Q4"
    assert period_of("semester", date(2026, 8, 5))[:2] == ("2026-S2", date(2026, 7, 1))
    due = last_due_period("quarterly", 15, date(2027, 1, 16), date(2026, 1, 1))
    assert due is not None
    assert due[0] == "2026-Q4"
    assert last_due_period("quarterly", 15, date(2027, 1, 15), date(2026, 10, 2)) is None


def test_no_evaluation_flag_without_a_cadence_or_before_the_policy() -> None:
    assert record(world(), "2026-12-11") == ()
    late_policy = policy_data(effective_from="2026-11-15", evaluation_cadence="monthly")
    assert record(world(late_policy), "2026-12-11") == ()  # 2026-11 began before the policy
