"""The one fold of a redacted entry (docs/rules.md): the log and chain advance, the subject's
state is unknown from it, and later entries apply as far as the rules still accept them."""

from __future__ import annotations

import pytest

from domain.errors import Refusal
from domain.state import LedgerState
from tests.domain.builders import AGENCY, UNIT, employee_data
from tests.domain.log_builders import logs

NEW = "199901012020011009"


def _refolded(redacted: int) -> tuple[LedgerState, list[int]]:
    """AGENCY's log folded again with entry `redacted` redacted; the indexes not applied."""
    w = logs()
    w.add("employee.enrolled", NEW, employee_data())
    w.add("employee.updated", NEW, {"position": "Analis Data"})
    w.add(
        "unit.registered",
        f"{UNIT}-2",
        {
            "name": "u2",
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
    )
    state = LedgerState(AGENCY, w.registry)
    skipped = []
    for entry in w.agency_entries:
        if entry.index == redacted:
            state.record_redacted(entry.index, entry.event.subject, entry.integrated_at)
        elif state.refold(entry) is None:
            skipped.append(entry.index)
    return state, skipped


def test_redacted_enrolment_leaves_the_employee_unknown_and_the_rest_applies() -> None:
    w = logs()
    enrolled = w.agency.size  # the index `_refolded` gives the enrolment
    state, skipped = _refolded(enrolled)
    assert state.size == enrolled + 3
    assert state.employee(NEW) is None
    assert skipped == [enrolled + 1]  # the update of an employee nobody knows is not applied
    assert state.unknown_from(NEW) == enrolled
    assert state.redacted_since == enrolled
    assert state.unit(f"{UNIT}-2") is not None  # later entries still apply


def test_refold_without_a_redaction_refuses_as_record_does() -> None:
    w = logs()
    state = LedgerState(AGENCY, w.registry)
    for entry in w.agency_entries:
        state.refold(entry)
    update = w.entry("employee.updated", NEW, {"position": "x"})
    with pytest.raises(Refusal):
        state.refold(update)
    assert state.unknown_from(NEW) is None
    assert state.redacted_since is None


def test_a_fork_carries_what_is_unknown_and_its_commit_keeps_it() -> None:
    w = logs()
    enrolled = w.agency.size
    state, _ = _refolded(enrolled)
    fork = state.fork()
    assert fork.unknown_from(NEW) == enrolled
    fork.commit()
    assert state.unknown_from(NEW) == enrolled
