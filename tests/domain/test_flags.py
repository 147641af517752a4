"""Flags: raised on the entry, kept in views, refused when the policy makes them strict."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.aggregates import PolicyVersion
from domain.errors import StrictFlagRefused
from domain.rules.approval import flag_on_site_minimum, flag_unit_quota, flag_weekly_cap
from domain.rules.timing import flag_backdated, flag_late_decision
from tests.domain.builders import (
    AGENCY,
    CLERK,
    HEAD,
    SERVICE_UNIT,
    STAFF,
    STAFF2,
    STAFF3,
    World,
    employee_data,
    policy_data,
    world,
)

OUTPUT = {
    "date": "2026-12-07",
    "outputs": [{"title": "draf", "target": "t1", "evidence_sha256": None}],
}


def rules(flags: tuple[object, ...]) -> list[str]:
    return sorted(f.rule for f in flags)  # type: ignore[attr-defined]


def policy(w: World) -> PolicyVersion:
    found = w.state.policy(AGENCY)
    assert found is not None
    return found.versions[-1]


def test_flags_self_approval() -> None:
    w = world()
    w.request(employee=HEAD)
    flags = w.approve(actor=HEAD)
    assert "self-approval" in rules(flags)
    assert flags[0].entry == 17


def test_flags_approver_not_supervisor() -> None:
    w = world()
    w.request()
    assert rules(w.approve(actor=STAFF2)) == ["approver-not-supervisor"]


def test_flags_are_kept_in_the_subject_view_and_compliance() -> None:
    w = world()
    w.request()
    w.approve(actor=STAFF2)
    view = w.state.subject_view("req-1")
    assert view is not None
    assert [f.as_json() for f in view.flags] == [
        {
            "rule": "approver-not-supervisor",
            "entry": 17,
            "detail": f"approver {STAFF2} is not the supervisor ({HEAD}) of {STAFF}",
        }
    ]
    assert w.state.compliance_flags(AGENCY) == view.flags
    assert w.state.compliance_flags("kab-b") == ()


def test_flags_weekly_cap_across_requests() -> None:
    w = world()
    w.request("req-1", dates=("2026-12-07", "2026-12-08"))
    assert w.approve("req-1") == ()
    w.request("req-2", dates=("2026-12-10",))
    (flag,) = w.approve("req-2")
    assert flag.rule == "weekly-cap-exceeded"
    assert "3 location days in 2026-W50, cap 2" in flag.detail


def test_weekly_cap_counts_each_iso_week_apart() -> None:
    w = world()
    w.request(dates=("2026-12-10", "2026-12-11", "2026-12-14"))
    assert w.approve() == ()


def test_special_arrangement_with_reason_is_exempt_from_weekly_cap() -> None:
    w = world()
    w.request(dates=("2026-12-07", "2026-12-08", "2026-12-09"), special="field_duty")
    assert w.approve() == ()


def test_time_flexibility_does_not_count_toward_weekly_cap() -> None:
    w = world()
    w.request(dates=("2026-12-07", "2026-12-08", "2026-12-09"), kind="time", time_pattern="shift")
    assert w.approve() == ()


def test_withdrawn_days_stop_counting_toward_weekly_cap() -> None:
    w = world()
    w.request("req-1", dates=("2026-12-07", "2026-12-08"))
    w.approve("req-1")
    w.add("wfa.withdrawn", "req-1", {"reason": "batal"}, actor=STAFF)
    w.request("req-2", dates=("2026-12-10",))
    assert w.approve("req-2") == ()


def test_flag_weekly_cap_rule() -> None:
    w = approved_world()
    request = w.state.request("req-1")
    assert request is not None
    days = [date(2026, 12, 7), date(2026, 12, 8)]
    assert flag_weekly_cap(1, request, days, policy(w)) is None
    assert flag_weekly_cap(1, request, [*days, date(2026, 12, 9)], policy(w)) is not None


def approved_world() -> World:
    w = world()
    w.request()
    w.approve()
    return w


def test_flags_unit_quota_exceeded() -> None:
    w = world()  # the unit has 4 staff, quota 30 %
    w.request("req-1")
    assert w.approve("req-1") == ()
    w.request("req-2", employee=STAFF2)
    (flag,) = w.approve("req-2")
    assert flag.rule == "unit-quota-exceeded"
    assert "2 of 4 staff" in flag.detail
    assert "2026-12-07" in flag.detail


def test_flag_unit_quota_rule() -> None:
    w = world()
    unit = w.state.unit("kab-a-umum")
    assert unit is not None
    assert flag_unit_quota(1, unit, date(2026, 12, 7), 3, 10, policy(w)) is None
    assert flag_unit_quota(1, unit, date(2026, 12, 7), 4, 10, policy(w)) is not None


def test_flags_on_site_minimum_breached() -> None:
    w = world(policy_data(unit_quota_pct=100))
    for nip in (CLERK, "199101012015011005"):
        w.add("employee.enrolled", nip, employee_data(unit=SERVICE_UNIT))
    w.request("req-1", employee=CLERK)
    (flag,) = w.approve("req-1")
    assert flag.rule == "on-site-minimum-breached"
    assert "keeps 1 on site on 2026-12-07, minimum 2" in flag.detail


def test_flag_on_site_minimum_ignores_other_units() -> None:
    w = world()
    unit = w.state.unit("kab-a-umum")
    assert unit is not None
    assert flag_on_site_minimum(1, unit, date(2026, 12, 7), 4, 4) is None


@pytest.mark.parametrize("discipline", ["proceedings", "penalty"])
def test_flags_ineligible_discipline(discipline: str) -> None:
    w = world()
    w.add("employee.updated", STAFF, {"discipline": discipline})
    w.request()
    (flag,) = w.approve()
    assert (flag.rule, flag.detail) == (
        "ineligible-discipline",
        f"{STAFF} is under discipline: {discipline}",
    )


def test_flags_ineligible_probation() -> None:
    w = world()
    w.add("employee.updated", STAFF, {"placed_at": "2026-10-01"})
    w.request()
    (flag,) = w.approve()
    assert flag.rule == "ineligible-probation"
    assert "until 2026-12-30" in flag.detail


def test_flags_ineligible_position() -> None:
    w = world(policy_data(eligible_positions=["pranata_komputer"]))
    w.request()
    (flag,) = w.approve()
    assert flag.rule == "ineligible-position"


def test_flags_late_decision() -> None:
    w = world()
    w.request()
    (flag,) = w.approve(at=datetime(2026, 12, 10, 1, 0, tzinfo=UTC))
    assert flag.rule == "late-decision"
    assert "decided on 2026-12-10, after 2026-12-09" in flag.detail


def test_late_decision_uses_local_date_of_occurred_at() -> None:
    w = world()
    w.request()
    request = w.state.request("req-1")
    assert request is not None
    assert flag_late_decision(1, request, date(2026, 12, 9), policy(w)) is None
    assert flag_late_decision(1, request, date(2026, 12, 10), policy(w)) is not None


def test_flags_backdated_event() -> None:
    w = world()
    (flag,) = w.request(occurred_at="2026-11-27T08:00:00+07:00")
    assert flag.rule == "backdated"
    assert "limit 72 h" in flag.detail


def test_flag_backdated_rule_at_the_limit() -> None:
    w = world()
    at = datetime(2026, 12, 1, tzinfo=UTC)
    assert flag_backdated(1, at - timedelta(hours=72), at, policy(w)) is None
    assert flag_backdated(1, at - timedelta(hours=72, seconds=1), at, policy(w)) is not None


def test_no_backdating_flag_without_policy() -> None:
    w = world(policy_data(effective_from="2027-01-01"))
    hours = {"start": "08:00", "end": "16:00"}
    data = {"name": "X", "public_service": False, "service_hours": hours, "min_on_site": 0}
    assert w.add("unit.registered", "u-x", data, occurred_at="2026-01-01T08:00:00+07:00") == ()


def test_missing_output_report_is_flagged_after_the_deadline_only() -> None:
    w = approved_world()
    before = datetime(2026, 12, 8, 16, 59, tzinfo=UTC)  # 23:59 WIB on the deadline day
    after = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # 00:00 WIB the day after
    view_before = w.state.subject_view("req-1", as_of=before)
    view_after = w.state.subject_view("req-1", as_of=after)
    assert view_before is not None
    assert view_after is not None
    assert view_before.flags == ()
    (flag,) = view_after.flags
    assert (flag.rule, flag.entry) == ("missing-output-report", 17)
    assert "2026-12-07" in flag.detail
    assert w.state.compliance_flags(AGENCY, as_of=after) == (flag,)
    assert w.state.compliance_flags(AGENCY) == ()  # as of the last entry


def test_reported_output_clears_missing_output_flag() -> None:
    w = approved_world()
    w.add("work.output_reported", "req-1", OUTPUT, actor=STAFF)
    later = datetime(2026, 12, 20, tzinfo=UTC)
    view = w.state.subject_view("req-1", as_of=later)
    assert view is not None
    assert view.flags == ()


def test_revoked_day_needs_no_output() -> None:
    w = approved_world()
    w.add("wfa.revoked", "req-1", {"effective_from": "2026-12-07", "reason": "x"})
    assert w.state.compliance_flags(AGENCY, as_of=datetime(2026, 12, 20, tzinfo=UTC)) == ()


@pytest.mark.parametrize(
    ("strict", "setup"),
    [
        ("self-approval", "self"),
        ("approver-not-supervisor", "peer"),
        ("unit-quota-exceeded", "quota"),
    ],
)
def test_strict_flag_is_refused_and_nothing_changes(strict: str, setup: str) -> None:
    w = world(policy_data(strict=[strict]))
    approver = HEAD
    if setup == "self":
        w.request(employee=HEAD)
    elif setup == "peer":
        w.request()
        approver = STAFF2
    else:
        for nip, subject in ((STAFF2, "req-0"), (STAFF3, "req-9")):
            w.request(subject, employee=nip)
        w.approve("req-0")
        w.request()
    subject = "req-9" if setup == "quota" else "req-1"
    before = w.state.subject_view(subject)
    size = w.state.size
    with pytest.raises(StrictFlagRefused, match=strict) as caught:
        w.approve(subject, actor=approver)
    assert caught.value.rule == "strict-flag"
    assert caught.value.flag.rule == strict
    assert w.state.size == size
    assert w.state.subject_view(subject) == before


def test_strict_backdating_is_refused() -> None:
    w = world(policy_data(strict=["backdated"]))
    with pytest.raises(StrictFlagRefused, match="backdated"):
        w.request(occurred_at="2026-11-20T08:00:00+07:00")
    assert w.state.request("req-1") is None
