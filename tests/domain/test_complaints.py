"""The Ombudsman complaint lifecycle and its refusals."""

from __future__ import annotations

import pytest

from domain.errors import ImpossibleTransition
from tests.domain.builders import UNIT, World, world

FILED = {
    "unit": UNIT,
    "service": "surat keterangan",
    "lapse_at": "2026-11-30T10:00:00+07:00",
    "form": "penundaan_berlarut",
    "summary": "loket kosong",
}
INVESTIGATOR = "ORI-001"


def filed() -> World:
    w = world()
    w.add("complaint.filed", "c-1", FILED, actor=INVESTIGATOR)
    return w


def test_runs_the_whole_lifecycle() -> None:
    w = filed()
    w.add(
        "complaint.clarification_requested", "c-1", {"text": "siapa bertugas?"}, actor=INVESTIGATOR
    )
    w.add("complaint.evidence_submitted", "c-1", {"text": "jadwal", "evidence_sha256": "a" * 64})
    w.add(
        "complaint.finding_recorded",
        "c-1",
        {"substantiated": True, "findings": "LAHP", "entries": [3, 4]},
        actor=INVESTIGATOR,
    )
    w.add(
        "complaint.corrective_action_set",
        "c-1",
        {"action": "jadwal piket", "due": "2027-01-31"},
        actor=INVESTIGATOR,
    )
    w.add("complaint.closed", "c-1", {"outcome": "selesai"}, actor=INVESTIGATOR)
    view = w.state.subject_view("c-1")
    assert view is not None
    assert view.kind == "complaint"
    state = view.state
    assert (state["status"], state["unit"], state["lapse_at"]) == (
        "closed",
        UNIT,
        "2026-11-30T10:00:00+07:00",
    )
    assert (state["substantiated"], state["finding_entries"], state["due"]) == (
        True,
        [3, 4],
        "2027-01-31",
    )
    assert [step["type"] for step in state["history"]] == [  # type: ignore[attr-defined]
        "complaint.filed",
        "complaint.clarification_requested",
        "complaint.evidence_submitted",
        "complaint.finding_recorded",
        "complaint.corrective_action_set",
        "complaint.closed",
    ]


def test_evidence_after_finding_keeps_the_stage() -> None:
    w = filed()
    w.add(
        "complaint.finding_recorded",
        "c-1",
        {"substantiated": False, "findings": "-"},
        actor=INVESTIGATOR,
    )
    w.add("complaint.evidence_submitted", "c-1", {"text": "tambahan"})
    view = w.state.subject_view("c-1")
    assert view is not None
    assert view.state["status"] == "finding"


def test_refuses_filing_a_complaint_twice() -> None:
    w = filed()
    with pytest.raises(ImpossibleTransition, match="already filed"):
        w.add("complaint.filed", "c-1", FILED, actor=INVESTIGATOR)


def test_refuses_complaint_about_unknown_unit() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="'u-none' is not a registered unit"):
        w.add("complaint.filed", "c-1", {**FILED, "unit": "u-none"}, actor=INVESTIGATOR)


def test_refuses_step_on_unknown_complaint() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="does not exist"):
        w.add("complaint.clarification_requested", "c-9", {"text": "?"}, actor=INVESTIGATOR)


def test_refuses_step_after_closure() -> None:
    w = filed()
    w.add("complaint.closed", "c-1", {"outcome": "dicabut"}, actor=INVESTIGATOR)
    with pytest.raises(ImpossibleTransition, match="is closed"):
        w.add("complaint.evidence_submitted", "c-1", {"text": "late"})


def test_refuses_corrective_action_before_finding() -> None:
    w = filed()
    with pytest.raises(ImpossibleTransition, match="no finding yet"):
        w.add(
            "complaint.corrective_action_set",
            "c-1",
            {"action": "x", "due": "2027-01-01"},
            actor=INVESTIGATOR,
        )


def test_refuses_finding_citing_future_entries() -> None:
    w = filed()
    with pytest.raises(ImpossibleTransition, match="entry 500 does not exist"):
        w.add(
            "complaint.finding_recorded",
            "c-1",
            {"substantiated": True, "findings": "x", "entries": [500]},
            actor=INVESTIGATOR,
        )
