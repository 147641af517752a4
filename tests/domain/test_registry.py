"""Organisations, units, employees, policies, evaluations and subject ownership."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import (
    ImpossibleTransition,
    StrictFlagRefused,
    SubjectOfOtherAgency,
    UnknownActor,
    UnknownOrganisation,
)
from domain.rules.approval import flag_evaluator_not_assessor
from tests.domain.builders import (
    AGENCY,
    HEAD,
    OTHER,
    SERVICE_UNIT,
    STAFF,
    STAFF2,
    T0,
    UNIT,
    employee_data,
    keyid,
    policy_data,
    world,
)

HOURS = {"start": "08:00", "end": "16:00"}
UNIT_DATA = {"name": "X", "public_service": False, "service_hours": HOURS, "min_on_site": 0}


def evaluation(employee: str = STAFF, period: str = "2026") -> tuple[str, dict[str, object]]:
    data = {
        "employee": employee,
        "period": period,
        "results": "sesuai",
        "behaviour": "di_atas",
        "predikat": "baik",
    }
    return f"eval:{employee}:{period}", data


def test_refuses_event_for_unregistered_agency() -> None:
    w = world()
    with pytest.raises(UnknownOrganisation, match="'kab-z'"):
        w.add("unit.registered", "u-z", UNIT_DATA, agency="kab-z", keys=(keyid("operator"),))


def test_refuses_registering_an_org_twice() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="already registered"):
        w.add("org.registered", AGENCY, {"kind": "agency", "name": "again"}, agency="operator")


def test_org_view_has_kind_and_name() -> None:
    view = world().state.subject_view(AGENCY)
    assert view is not None
    assert (view.kind, view.state["kind"], view.state["name"]) == ("org", "agency", "KAB-A")


def test_refuses_registering_a_unit_twice() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="already registered"):
        w.add("unit.registered", UNIT, UNIT_DATA)


def test_refuses_subject_of_another_agency() -> None:
    w = world()
    with pytest.raises(SubjectOfOtherAgency, match="belongs to 'kab-a'"):
        w.add("unit.registered", UNIT, UNIT_DATA, agency=OTHER)


def test_refuses_event_on_subject_of_another_kind() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="is a employee"):
        w.add("unit.registered", STAFF, UNIT_DATA)


def test_refuses_enrolling_an_employee_twice() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="already enrolled"):
        w.add("employee.enrolled", STAFF, employee_data())


def test_refuses_enrolling_into_unknown_unit() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="'u-none' is not a registered unit"):
        w.add("employee.enrolled", "200001012020011001", employee_data(unit="u-none"))


def test_refuses_enrolling_into_unit_of_another_agency() -> None:
    w = world()
    w.add("unit.registered", "kab-b-umum", UNIT_DATA, agency=OTHER)
    with pytest.raises(ImpossibleTransition, match="not a registered unit of 'kab-a'"):
        w.add("employee.enrolled", "200001012020011001", employee_data(unit="kab-b-umum"))


def test_refuses_updating_unknown_employee() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="not enrolled"):
        w.add("employee.updated", "200001012020011001", {"position": "x"})


def test_update_moves_staff_between_units() -> None:
    w = world()
    w.add("employee.updated", STAFF, {"unit": SERVICE_UNIT, "supervisor": None})
    assert STAFF in w.state.unit_staff(AGENCY, SERVICE_UNIT)
    assert STAFF not in w.state.unit_staff(AGENCY, UNIT)
    view = w.state.subject_view(STAFF)
    assert view is not None
    assert view.state["supervisor"] is None
    assert view.state["updates"] == [{"entry": 16, "fields": ["unit", "supervisor"]}]


def test_staff_as_the_log_stood_survives_a_later_move() -> None:
    w = world()
    before_move = w.now
    later = T0 + timedelta(days=3)
    w.add("employee.updated", STAFF, {"unit": SERVICE_UNIT, "supervisor": None}, at=later)
    moved = w.state.employee(STAFF)
    assert moved is not None
    assert [(p.unit, p.entry) for p in moved.placements][-1] == (SERVICE_UNIT, 16)
    assert moved.unit_at(before_move) == UNIT
    assert moved.unit_at(w.now) == SERVICE_UNIT
    assert STAFF in w.state.staff_at(UNIT, before_move)
    assert STAFF not in w.state.staff_at(UNIT, w.now)
    assert STAFF in w.state.staff_at(SERVICE_UNIT, w.now)
    assert STAFF in w.state.members_of(UNIT)
    assert STAFF in w.state.members_of(SERVICE_UNIT)
    moved_on = moved.placements[-1].on
    assert STAFF in w.state.staff_on(UNIT, moved_on - timedelta(days=1))
    assert STAFF not in w.state.staff_on(UNIT, moved_on)
    assert moved.unit_at(T0 - timedelta(days=365)) is None


def test_refuses_update_into_unknown_unit() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="u-none"):
        w.add("employee.updated", STAFF, {"unit": "u-none"})


def test_refuses_reenacting_a_policy_version() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="version 1"):
        w.add("policy.enacted", f"policy:{AGENCY}", policy_data())


def test_policy_versions_apply_by_effective_date() -> None:
    w = world()
    w.add("policy.enacted", f"policy:{AGENCY}", policy_data(version=2, effective_from="2027-01-01"))
    policy = w.state.policy(AGENCY)
    assert policy is not None
    from datetime import date

    assert policy.in_force(date(2026, 12, 31)).version == 1  # type: ignore[union-attr]
    assert policy.in_force(date(2027, 1, 1)).version == 2  # type: ignore[union-attr]
    assert policy.in_force(date(2025, 12, 31)) is None


def test_records_evaluation_by_the_assessor() -> None:
    w = world()
    subject, data = evaluation()
    assert w.add("evaluation.recorded", subject, data, actor=HEAD) == ()
    view = w.state.subject_view(subject)
    assert view is not None
    assert (view.kind, view.state["predikat"], view.state["evaluator"]) == (
        "evaluation",
        "baik",
        HEAD,
    )


def test_flags_evaluator_not_assessor() -> None:
    w = world()
    subject, data = evaluation()
    (flag,) = w.add("evaluation.recorded", subject, data, actor=STAFF2)
    assert flag.rule == "evaluator-not-assessor"
    assert STAFF2 in flag.detail


def test_flag_evaluator_not_assessor_rule() -> None:
    w = world()
    employee = w.state.employee(STAFF)
    assert employee is not None
    assert flag_evaluator_not_assessor(1, employee, HEAD) is None
    assert flag_evaluator_not_assessor(1, employee, STAFF).rule == "evaluator-not-assessor"  # type: ignore[union-attr]


def test_refuses_evaluation_for_unknown_employee() -> None:
    w = world()
    subject, data = evaluation(employee="200001012020011001")
    with pytest.raises(ImpossibleTransition, match="not enrolled"):
        w.add("evaluation.recorded", subject, data, actor=HEAD)


def test_refuses_evaluation_by_unknown_actor() -> None:
    w = world()
    subject, data = evaluation()
    with pytest.raises(UnknownActor, match="not an enrolled employee"):
        w.add("evaluation.recorded", subject, data, actor="999")


def test_strict_evaluator_rule_refuses() -> None:
    w = world(policy_data(strict=["evaluator-not-assessor"]))
    subject, data = evaluation()
    with pytest.raises(StrictFlagRefused, match="evaluator-not-assessor") as caught:
        w.add("evaluation.recorded", subject, data, actor=STAFF2)
    assert caught.value.flag.rule == "evaluator-not-assessor"
    assert w.state.subject_view(subject) is None


def test_refuses_annotation_of_a_future_entry() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="entry 99"):
        w.add("entry.annotated", "note-1", {"entry": 99, "note": "?"})


def test_annotation_on_a_new_subject_is_kind_other() -> None:
    w = world()
    w.add("entry.annotated", "note-1", {"entry": 2, "note": "see"})
    view = w.state.subject_view("note-1")
    assert view is not None
    assert view.kind == "other"
    assert view.state == {
        "annotations": [{"entry": 16, "annotates": 2, "note": "see", "actor": HEAD}]
    }
