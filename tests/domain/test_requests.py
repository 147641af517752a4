"""Flexible-work requests: actor and transition refusals, decisions, days and outputs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import ImpossibleTransition, NoPolicyInForce, UnknownActor
from tests.domain.builders import (
    AGENCY,
    HEAD,
    STAFF,
    STAFF2,
    World,
    policy_data,
    request_data,
    world,
)

ATTEND = {"date": "2026-12-07", "start": "08:00", "end": "16:00", "location_kind": "domicile"}
OUTPUT = {
    "date": "2026-12-07",
    "outputs": [{"title": "draf", "target": "t1", "evidence_sha256": None}],
}
REVIEW = {"date": "2026-12-07", "verdict": "accepted", "note": "ok"}
ON_DEC_8 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
NOBODY = "999999999999999999"  # a well-formed NIP nobody is enrolled under


def approved(dates: tuple[str, ...] = ("2026-12-07",)) -> World:
    w = world()
    w.request(dates=dates)
    w.approve()
    return w


def status(w: World, subject: str = "req-1") -> object:
    view = w.state.subject_view(subject)
    assert view is not None
    return view.state["status"]


def test_records_request_and_approval() -> None:
    w = approved()
    view = w.state.subject_view("req-1")
    assert view is not None
    assert view.kind == "request"
    assert view.state["status"] == "approved"
    assert view.state["approved_dates"] == ["2026-12-07"]
    assert view.state["policy_version"] == 1
    assert view.state["approver"] == HEAD
    assert view.flags == ()


def test_refuses_request_by_unknown_actor() -> None:
    w = world()
    with pytest.raises(UnknownActor, match="not an enrolled employee of 'kab-a'"):
        w.add("wfa.requested", "req-1", {**request_data(), "employee": NOBODY}, actor=NOBODY)


def test_refuses_request_on_behalf_of_someone_else() -> None:
    w = world()
    with pytest.raises(UnknownActor, match="not the request's employee"):
        w.add("wfa.requested", "req-1", request_data(), actor=STAFF2)


def test_refuses_request_without_policy_in_force() -> None:
    w = world(policy_data(effective_from="2027-01-01"))
    with pytest.raises(NoPolicyInForce, match="no policy in force on 2026-12-07"):
        w.request()


def test_refuses_requesting_an_existing_request() -> None:
    w = world()
    w.request()
    with pytest.raises(ImpossibleTransition, match="only a revision may be resubmitted"):
        w.request()


def test_accepts_resubmission_after_revision_requested() -> None:
    w = world()
    w.request()
    w.add("wfa.revision_requested", "req-1", {"reason": "tambah target"})
    w.request(dates=("2026-12-08",))
    w.approve()
    view = w.state.subject_view("req-1")
    assert view is not None
    assert view.state["approved_dates"] == ["2026-12-08"]
    assert [h["status"] for h in view.state["history"]] == [  # type: ignore[attr-defined]
        "requested",
        "revision_requested",
        "requested",
        "approved",
    ]


def test_refuses_resubmission_by_another_employee() -> None:
    w = world()
    w.request()
    w.add("wfa.revision_requested", "req-1", {"reason": "x"})
    with pytest.raises(ImpossibleTransition, match="belongs to"):
        w.request(employee=STAFF2)


def test_refuses_decision_on_unknown_request() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="does not exist"):
        w.approve("req-none")


@pytest.mark.parametrize("decision", ["wfa.approved", "wfa.rejected", "wfa.revision_requested"])
def test_refuses_decision_on_decided_request(decision: str) -> None:
    w = approved()
    data = {} if decision == "wfa.approved" else {"reason": "r"}
    with pytest.raises(ImpossibleTransition, match="is approved, not awaiting decision"):
        w.add(decision, "req-1", data)


def test_refuses_decision_by_unknown_actor() -> None:
    w = world()
    w.request()
    with pytest.raises(UnknownActor, match="'999'"):
        w.approve(actor="999")


def test_refuses_approving_dates_not_requested() -> None:
    w = world()
    w.request()
    with pytest.raises(ImpossibleTransition, match="2026-12-09 was not requested"):
        w.approve(dates=["2026-12-09"])


def test_approves_a_subset_of_dates() -> None:
    w = world()
    w.request(dates=("2026-12-07", "2026-12-08"))
    w.approve(dates=["2026-12-08"])
    assert w.state.flexible_on(AGENCY, "kab-a-umum", datetime(2026, 12, 7).date()) == frozenset()
    assert w.state.flexible_on(AGENCY, "kab-a-umum", datetime(2026, 12, 8).date()) == {
        (STAFF, "req-1")
    }


def test_rejection_is_recorded() -> None:
    w = world()
    w.request()
    w.add("wfa.rejected", "req-1", {"reason": "beban kerja"})
    assert status(w) == "rejected"


def test_withdraws_pending_request() -> None:
    w = world()
    w.request()
    w.add("wfa.withdrawn", "req-1", {"reason": "batal"}, actor=STAFF)
    assert status(w) == "withdrawn"


def test_withdraws_approved_request_before_it_starts_and_frees_the_day() -> None:
    w = approved()
    w.add("wfa.withdrawn", "req-1", {"reason": "batal"}, actor=STAFF)
    assert w.state.flexible_on(AGENCY, "kab-a-umum", datetime(2026, 12, 7).date()) == frozenset()


def test_refuses_withdrawing_started_approved_request() -> None:
    w = approved()
    with pytest.raises(ImpossibleTransition, match="cannot be withdrawn"):
        w.add("wfa.withdrawn", "req-1", {"reason": "x"}, actor=STAFF, at=ON_DEC_8)


@pytest.mark.parametrize("end", ["wfa.rejected", "wfa.withdrawn"])
def test_refuses_withdrawing_closed_request(end: str) -> None:
    w = world()
    w.request()
    w.add(end, "req-1", {"reason": "x"}, actor=STAFF if end == "wfa.withdrawn" else HEAD)
    with pytest.raises(ImpossibleTransition, match="cannot be withdrawn"):
        w.add("wfa.withdrawn", "req-1", {"reason": "x"}, actor=STAFF)


def test_refuses_withdrawal_by_someone_else() -> None:
    w = world()
    w.request()
    with pytest.raises(UnknownActor, match="not the request's employee"):
        w.add("wfa.withdrawn", "req-1", {"reason": "x"}, actor=HEAD)


def test_revokes_approved_request_from_a_date() -> None:
    w = approved(("2026-12-07", "2026-12-08"))
    w.add("wfa.revoked", "req-1", {"effective_from": "2026-12-08", "reason": "dipanggil"})
    view = w.state.subject_view("req-1")
    assert view is not None
    assert view.state["status"] == "revoked"
    assert view.state["revocation"] == {"effective_from": "2026-12-08", "reason": "dipanggil"}
    assert w.state.flexible_on(AGENCY, "kab-a-umum", datetime(2026, 12, 8).date()) == frozenset()
    assert w.state.flexible_on(AGENCY, "kab-a-umum", datetime(2026, 12, 7).date()) == {
        (STAFF, "req-1")
    }
    w.add("attendance.recorded", "req-1", ATTEND, actor=STAFF)
    with pytest.raises(ImpossibleTransition, match="2026-12-08 is not an approved, unrevoked date"):
        w.add("attendance.recorded", "req-1", {**ATTEND, "date": "2026-12-08"}, actor=STAFF)


def test_refuses_revoking_unapproved_request() -> None:
    w = world()
    w.request()
    with pytest.raises(ImpossibleTransition, match="is requested, not approved"):
        w.add("wfa.revoked", "req-1", {"effective_from": "2026-12-07", "reason": "x"})


def test_refuses_revoking_twice() -> None:
    w = approved()
    w.add("wfa.revoked", "req-1", {"effective_from": "2026-12-07", "reason": "x"})
    with pytest.raises(ImpossibleTransition, match="is revoked, not approved"):
        w.add("wfa.revoked", "req-1", {"effective_from": "2026-12-07", "reason": "x"})


def test_records_attendance_output_and_review_per_day() -> None:
    w = approved()
    w.add("attendance.recorded", "req-1", ATTEND, actor=STAFF)
    w.add("work.output_reported", "req-1", OUTPUT, actor=STAFF)
    w.add("work.output_reviewed", "req-1", REVIEW, actor=HEAD)
    view = w.state.subject_view("req-1")
    assert view is not None
    day = view.state["days"]["2026-12-07"]  # type: ignore[index]
    assert [len(day[k]) for k in ("attendance", "outputs", "reviews")] == [1, 1, 1]
    assert view.indexes == (16, 17, 18, 19, 20)


def test_refuses_attendance_for_unknown_request() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="does not exist"):
        w.add("attendance.recorded", "req-none", ATTEND, actor=STAFF)


def test_refuses_output_for_unapproved_request() -> None:
    w = world()
    w.request()
    with pytest.raises(ImpossibleTransition, match="is requested, not approved"):
        w.add("work.output_reported", "req-1", OUTPUT, actor=STAFF)


def test_refuses_output_for_a_date_not_approved() -> None:
    w = approved()
    with pytest.raises(ImpossibleTransition, match="2026-12-09 is not an approved"):
        w.add("work.output_reported", "req-1", {**OUTPUT, "date": "2026-12-09"}, actor=STAFF)


def test_refuses_attendance_by_someone_else() -> None:
    w = approved()
    with pytest.raises(UnknownActor, match="not the request's employee"):
        w.add("attendance.recorded", "req-1", ATTEND, actor=STAFF2)


def test_refuses_review_without_output() -> None:
    w = approved()
    with pytest.raises(ImpossibleTransition, match="no output was reported"):
        w.add("work.output_reviewed", "req-1", REVIEW, actor=HEAD)


def test_refuses_review_by_unknown_actor() -> None:
    w = approved()
    w.add("work.output_reported", "req-1", OUTPUT, actor=STAFF)
    with pytest.raises(UnknownActor):
        w.add("work.output_reviewed", "req-1", REVIEW, actor="999")


def test_decision_records_the_policy_version_in_force_then() -> None:
    w = world()
    w.add("policy.enacted", f"policy:{AGENCY}", policy_data(version=2, effective_from="2026-12-01"))
    w.request()
    w.approve()
    view = w.state.subject_view("req-1")
    assert view is not None
    assert view.state["policy_version"] == 2


def test_decision_before_the_policy_starts_uses_the_first_days_policy() -> None:
    w = world(policy_data(effective_from="2026-12-05"))
    w.request()
    w.approve()
    assert status(w) == "approved"
