"""An unexpected error while checking one submission refuses it alone: its group commits."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

import domain.state
from api.app import create_app
from ledger.bootstrap import Runtime
from ledger.committer import Request
from ledger.errors import SubmissionFailedError
from tests.support import AGENCY, World, unit_payload

POISON = "unit-poison"


@pytest.fixture
def poisoned_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule with a bug that raises for one marked subject (not a refusal: a crash)."""
    rule = domain.state.check_subject_kind

    def faulty(subject: str, existing: str | None, event_type: str) -> None:
        if subject == POISON:
            raise OverflowError("date value out of range")
        rule(subject, existing, event_type)

    monkeypatch.setattr(domain.state, "check_subject_kind", faulty)


def test_a_crashing_check_refuses_its_submission_alone_and_the_group_commits(
    runtime: Runtime, poisoned_rule: None, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(runtime).setup()
    ledger = runtime.logs.log(AGENCY)
    size = ledger.size

    def request(subject: str) -> Request:
        return Request([ledger.prepare(world.agency_signer.sign(unit_payload(subject)))])

    group = [request("unit-a"), request(POISON), request("unit-b"), request("unit-c")]
    with caplog.at_level(logging.ERROR, logger="jejak.ledger"):
        ledger._commit_group(group)  # the group exactly as the writer thread hands it over
    assert all(r.settled for r in group)
    assert isinstance(group[1].error, SubmissionFailedError)
    assert [r.error for r in (group[0], group[2], group[3])] == [None, None, None]
    assert [r.outcome()[0].subject for r in (group[0], group[2], group[3])] == [
        "unit-a",
        "unit-b",
        "unit-c",
    ]
    assert ledger.store.recorder.log_size() == size + 3
    assert ledger.agency_state.unit(POISON) is None
    assert "OverflowError: date value out of range" in caplog.text  # with its traceback


def test_a_crashing_check_is_a_500_problem_and_the_next_append_succeeds(
    runtime: Runtime, poisoned_rule: None
) -> None:
    world = World(runtime).setup()
    headers = {"Authorization": f"Bearer {world.tokens['agency']}"}
    with TestClient(create_app(runtime)) as client:
        poisoned = client.post(
            "/v1/entries", json=world.agency_signer.sign(unit_payload(POISON)), headers=headers
        )
        assert poisoned.status_code == 500, poisoned.text
        assert poisoned.headers["content-type"] == "application/problem+json"
        assert poisoned.json()["type"].endswith("internal-error")
        fine = client.post(
            "/v1/entries", json=world.agency_signer.sign(unit_payload("unit-ok")), headers=headers
        )
        assert fine.status_code == 201, fine.text
