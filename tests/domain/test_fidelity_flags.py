"""Decisions by non-approvers, targets, future dates, penalties, predikat, complaint sequence and
designated locations: each flag raised on its case, and not on the clean case."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.errors import PayloadInvalid
from domain.events import parse_payload
from domain.reader import months_between, requests_dated_from
from domain.rules.evaluations import predikat_of
from tests.domain.builders import (
    HEAD,
    STAFF,
    STAFF2,
    UNIT,
    World,
    payload,
    policy_data,
    request_data,
    world,
)

INVESTIGATOR = "ORI-001"
FILED: dict[str, object] = {
    "unit": UNIT,
    "service": "surat keterangan",
    "lapse_at": "2026-11-30T10:00:00+07:00",
    "form": "penundaan_berlarut",
    "summary": "loket kosong",
}
DESIGNATED: dict[str, object] = {"id": "cowork-1", "description": "Mal Pelayanan Publik lantai 2"}


def rules(flags: tuple[object, ...]) -> list[str]:
    return sorted(f.rule for f in flags)  # type: ignore[attr-defined]


# -- decision-by-non-approver ------------------------------------------------------------


@pytest.mark.parametrize("decision", ["wfa.rejected", "wfa.revision_requested"])
def test_flags_a_rejection_or_revision_request_by_a_non_approver(decision: str) -> None:
    w = world()
    w.request()
    (flag,) = w.add(decision, "req-1", {"reason": "tidak"}, actor=STAFF2)
    assert flag.rule == "decision-by-non-approver"
    assert f"by {STAFF2}, who is not the supervisor ({HEAD})" in flag.detail


@pytest.mark.parametrize("decision", ["wfa.rejected", "wfa.revision_requested"])
def test_no_flag_when_the_supervisor_decides(decision: str) -> None:
    w = world()
    w.request()
    assert w.add(decision, "req-1", {"reason": "tidak"}, actor=HEAD) == ()


def test_flags_a_revocation_by_a_non_approver_and_not_by_the_supervisor() -> None:
    revocation: dict[str, object] = {"effective_from": "2026-12-07", "reason": "dipanggil"}
    w = world()
    w.request()
    w.approve()
    assert rules(w.add("wfa.revoked", "req-1", revocation, actor=STAFF2)) == [
        "decision-by-non-approver"
    ]
    clean = world()
    clean.request()
    clean.approve()
    assert clean.add("wfa.revoked", "req-1", revocation, actor=HEAD) == ()


def test_flags_an_employee_rejecting_their_own_request() -> None:
    w = world()
    w.request(employee=HEAD)
    assert rules(w.add("wfa.rejected", "req-1", {"reason": "x"}, actor=HEAD)) == [
        "decision-by-non-approver"
    ]


# -- targets and future dates --------------------------------------------------------------


def test_refuses_a_location_request_without_targets() -> None:
    body = payload("wfa.requested", "req-1", request_data(targets=[]), actor=STAFF)
    with pytest.raises(PayloadInvalid, match="measurable targets"):
        parse_payload(body)


def test_accepts_a_time_request_without_targets() -> None:
    data = request_data(kind="time", location=None, time_pattern="shift", targets=[])
    assert parse_payload(payload("wfa.requested", "req-1", data, actor=STAFF)).type


def test_flags_an_event_dated_after_its_integration_beyond_the_tolerance() -> None:
    w = world()
    (flag,) = w.request(occurred_at="2027-06-01T08:00:00+07:00")
    assert flag.rule == "future-dated"
    assert "tolerance 5 min" in flag.detail


def test_no_future_flag_within_the_tolerance() -> None:
    w = world()
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 09:00 WIB
    assert w.request(occurred_at="2026-12-01T09:05:00+07:00", at=at) == ()


def test_future_tolerance_is_a_policy_parameter() -> None:
    w = world(policy_data(future_tolerance_minutes=0))
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert rules(w.request(occurred_at="2026-12-01T09:01:00+07:00", at=at)) == ["future-dated"]


# -- arrangement-after-penalty -------------------------------------------------------------


def test_flags_a_penalty_while_the_employee_holds_approved_future_days() -> None:
    w = world()
    w.request(dates=("2026-12-07", "2026-12-08"))
    w.approve()
    (flag,) = w.add("employee.updated", STAFF, {"discipline": "penalty"})
    assert flag.rule == "arrangement-after-penalty"
    assert "2026-12-07, 2026-12-08" in flag.detail


def test_no_penalty_flag_once_the_days_are_revoked_or_past() -> None:
    w = world()
    w.request(dates=("2026-12-07",))
    w.approve()
    w.add("wfa.revoked", "req-1", {"effective_from": "2026-12-07", "reason": "x"})
    w.request("req-2", dates=("2026-11-30",), occurred_at="2026-11-29T08:00:00+07:00")
    w.approve("req-2", occurred_at="2026-11-29T09:00:00+07:00")
    assert w.add("employee.updated", STAFF, {"discipline": "penalty"}) == ()


def test_no_penalty_flag_for_proceedings() -> None:
    w = world()
    w.request()
    w.approve()
    assert w.add("employee.updated", STAFF, {"discipline": "proceedings"}) == ()


def test_the_penalty_reads_the_months_ahead_across_a_year_and_a_month_boundary() -> None:
    w = world()
    w.request("req-1", dates=("2026-12-31", "2027-01-04"))
    w.approve("req-1")
    w.request("req-2", dates=("2027-02-01",))
    w.approve("req-2")
    assert w.state.request_months(STAFF) == ((2026, 12), (2027, 2))
    assert w.state.requests_in_month((STAFF, 2027, 1)) == {"req-1"}
    flags = w.add("employee.updated", STAFF, {"discipline": "penalty"})
    assert [f.rule for f in flags] == ["arrangement-after-penalty"] * 2
    assert "req-1 still holds approved flexible days 2026-12-31, 2027-01-04" in flags[0].detail
    assert "req-2" in flags[1].detail


def test_requests_dated_before_the_penalty_month_are_not_read() -> None:
    w = world()
    w.request(dates=("2026-12-07",))
    counted: list[object] = []
    real = w.state.requests_in_month
    w.state.requests_in_month = lambda key: counted.append(key) or real(key)  # type: ignore[method-assign]
    assert requests_dated_from(w.state, STAFF, date(2027, 1, 1)) == frozenset()
    assert counted == []  # the employee's requests end in December: no month is read
    assert requests_dated_from(w.state, STAFF, date(2026, 12, 31)) == {"req-1"}
    assert counted == [(STAFF, 2026, 12)]


def test_months_between_crosses_the_year() -> None:
    assert months_between((2026, 11), (2027, 2)) == [(2026, 11), (2026, 12), (2027, 1), (2027, 2)]
    assert months_between((2027, 2), (2026, 11)) == []


# -- predikat-inconsistent -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "behaviour", "predikat"),
    [
        ("di_atas", "di_atas", "sangat_baik"),
        ("di_atas", "sesuai", "baik"),
        ("sesuai", "di_atas", "baik"),
        ("sesuai", "sesuai", "baik"),
        ("di_bawah", "di_atas", "butuh_perbaikan"),
        ("di_bawah", "sesuai", "butuh_perbaikan"),
        ("di_atas", "di_bawah", "kurang"),
        ("sesuai", "di_bawah", "kurang"),
        ("di_bawah", "di_bawah", "sangat_kurang"),
    ],
)
def test_predikat_follows_the_quadrant(results: str, behaviour: str, predikat: str) -> None:
    assert predikat_of(results, behaviour) == predikat


def evaluation(predikat: str) -> dict[str, object]:
    return {
        "employee": STAFF,
        "period": "2026-11",
        "results": "sesuai",
        "behaviour": "sesuai",
        "predikat": predikat,
    }


def test_flags_a_predikat_the_quadrant_does_not_give() -> None:
    w = world()
    (flag,) = w.add("evaluation.recorded", f"eval:{STAFF}:2026-11", evaluation("sangat_baik"))
    assert flag.rule == "predikat-inconsistent"
    assert "give baik, recorded sangat_baik" in flag.detail


def test_no_predikat_flag_when_it_follows() -> None:
    w = world()
    assert w.add("evaluation.recorded", f"eval:{STAFF}:2026-11", evaluation("baik")) == ()


# -- complaint-out-of-sequence -------------------------------------------------------------


def complaint(w: World, *steps: tuple[str, dict[str, object]]) -> list[list[str]]:
    w.add("complaint.filed", "c-1", FILED, actor=INVESTIGATOR)
    found = []
    for type_, data in steps:
        actor = HEAD if type_ == "complaint.evidence_submitted" else INVESTIGATOR
        found.append(rules(w.add(type_, "c-1", data, actor=actor)))
    return found


Step = tuple[str, dict[str, object]]
FINDING: Step = ("complaint.finding_recorded", {"substantiated": True, "findings": "LAHP"})
HEARD: Step = ("complaint.clarification_requested", {"text": "siapa bertugas?"})


def test_flags_a_finding_before_any_clarification_or_evidence() -> None:
    assert complaint(world(), FINDING) == [["complaint-out-of-sequence"]]


def test_flags_closure_before_the_corrective_action_is_due() -> None:
    action: Step = ("complaint.corrective_action_set", {"action": "piket", "due": "2027-01-31"})
    closed: Step = ("complaint.closed", {"outcome": "selesai"})
    assert complaint(world(), HEARD, FINDING, action, closed) == [
        [],
        [],
        [],
        ["complaint-out-of-sequence"],
    ]


def test_no_sequence_flag_when_closed_after_the_due_date() -> None:
    action: Step = ("complaint.corrective_action_set", {"action": "piket", "due": "2026-12-01"})
    closed: Step = ("complaint.closed", {"outcome": "selesai"})
    assert complaint(world(), HEARD, FINDING, action, closed) == [[], [], [], []]


# -- location-not-designated ---------------------------------------------------------------


def designated_request(w: World, place: dict[str, object]) -> tuple[object, ...]:
    w.request(location={"kind": "designated", **place})
    return w.approve()


def test_flags_a_designated_location_the_policy_does_not_list() -> None:
    w = world(policy_data(designated_locations=[DESIGNATED]))
    (flag,) = designated_request(w, {"description": "Kafe dekat rumah"})
    assert flag.rule == "location-not-designated"  # type: ignore[attr-defined]
    assert "2026-12-07" in flag.detail  # type: ignore[attr-defined]


def test_no_designation_flag_for_a_listed_location_by_id_or_description() -> None:
    w = world(policy_data(designated_locations=[DESIGNATED]))
    assert designated_request(w, {"id": "cowork-1", "description": "MPP"}) == ()
    w2 = world(policy_data(designated_locations=[DESIGNATED]))
    assert designated_request(w2, {"description": DESIGNATED["description"]}) == ()


def test_no_designation_flag_for_domicile() -> None:
    w = world(policy_data(designated_locations=[]))
    w.request()
    assert w.approve() == ()


def test_an_approver_the_policy_names_may_decide_without_a_flag() -> None:
    w = world(policy_data(approvers=[STAFF2]))
    w.request()
    assert w.add("wfa.rejected", "req-1", {"reason": "tidak"}, actor=STAFF2) == ()
    w.request("req-2", dates=("2026-12-08",))
    assert w.approve("req-2", actor=STAFF2) == ()
    w.request("req-3", employee=STAFF2, dates=("2026-12-09",))
    assert rules(w.approve("req-3", actor=STAFF2)) == [
        "approver-not-supervisor",
        "self-approval",
    ]
