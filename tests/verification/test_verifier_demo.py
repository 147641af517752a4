"""Rule replay agrees with the server: on the demo data set, subject by subject.

Time-dependent flags (`missing-output-report`) are evaluated at one instant on both sides: the
bundle's `as_of`, the publication time of its checkpoint (= the integrated_at of its last entry).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest

from api.demo.load import demo_period, open_demo_runtime
from api.demo.story import UNEVALUATED, complaint_id, minor_complaint_id
from ledger.bootstrap import Runtime
from ledger.export import BundleQuery, plan_export, stream_bundle
from ledger.settings import Settings
from verification.bundle import load_bundle
from verification.leaf import parse_instant
from verification.verifier import Verification, verify_bundle


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data = tmp_path_factory.mktemp("demo")
    runtime, _ = open_demo_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data)}))
    yield runtime
    runtime.close()


def _verified(runtime: Runtime, **query: object) -> tuple[Verification, datetime]:
    plan = plan_export(runtime.ledger, BundleQuery(**query), None)  # type: ignore[arg-type]
    text = "".join(stream_bundle(runtime.ledger, plan)).encode()
    result = verify_bundle(load_bundle(text), runtime.log_verifier_key)
    assert result.failures == []
    return result, parse_instant(json.loads(text)["as_of"])


def _subjects(runtime: Runtime, kind: str | None = None) -> list[str]:
    state = runtime.ledger.state
    found: dict[str, None] = {}
    for start in range(0, runtime.ledger.size, 1000):
        for stored in runtime.ledger.store.recorder.entries(start, start + 1000):
            subject = str(runtime.ledger.store.decode(stored).leaf["subject"])
            view = state.subject_view(subject)
            if view is not None and (kind is None or view.kind == kind):
                found[subject] = None
    return list(found)


def _assert_agrees(runtime: Runtime, result: Verification, at: datetime, subject: str) -> None:
    assert result.replay is not None
    server = runtime.ledger.state.subject_view(subject, at)
    replayed = result.replay.view(subject)
    assert server is not None, subject
    assert replayed is not None, subject
    assert (replayed.kind, dict(replayed.state), replayed.flags) == (
        server.kind,
        dict(server.state),
        server.flags,
    ), subject


def test_agency_bundles_replay_every_subject_as_the_server_reports(demo: Runtime) -> None:
    from api.demo.cast import AGENCIES

    compared = 0
    for agency in AGENCIES:
        result, at = _verified(demo, agency=agency)
        for subject in result.replay.subjects if result.replay else ():
            _assert_agrees(demo, result, at, subject)
            compared += 1
    assert compared >= len(_subjects(demo, "request"))


def test_each_request_bundle_reproduces_its_flags(demo: Runtime) -> None:
    requests = _subjects(demo, "request")
    assert len(requests) > 20
    flagged = 0
    for subject in requests:
        result, at = _verified(demo, subject=subject)
        _assert_agrees(demo, result, at, subject)
        view = result.replay.view(subject) if result.replay else None
        flagged += bool(view and view.flags)
    assert flagged >= 5


def test_complaint_bundle_reproduces_the_complaint_and_its_unit(demo: Runtime) -> None:
    period = demo_period()
    complaints = _subjects(demo, "complaint")
    assert sorted(complaints) == [complaint_id(period), minor_complaint_id(period)]
    for complaint in complaints:
        result, at = _verified(demo, complaint=complaint)
        assert result.replay is not None
        assert complaint in result.replay.subjects
        for subject in result.replay.subjects:
            _assert_agrees(demo, result, at, subject)


def test_minor_complaint_bundle_replays_its_out_of_sequence_finding(demo: Runtime) -> None:
    subject = minor_complaint_id(demo_period())
    result, at = _verified(demo, complaint=subject)
    _assert_agrees(demo, result, at, subject)
    view = result.replay.view(subject) if result.replay else None
    assert view is not None
    assert [f.rule for f in view.flags] == ["complaint-out-of-sequence"]


def test_every_other_subject_bundle_verifies_and_agrees(demo: Runtime) -> None:
    requests = set(_subjects(demo, "request"))
    others = [s for s in _subjects(demo) if s not in requests]
    assert len(others) > 20
    for subject in others:
        result, at = _verified(demo, subject=subject)
        _assert_agrees(demo, result, at, subject)


def test_agency_bundle_replay_raises_each_new_rule_as_the_server(demo: Runtime) -> None:
    from api.demo.cast import AGENCIES

    wanted = {
        "arrangement-after-penalty",
        "weekly-hours-short",
        "decision-by-non-approver",
        "location-not-designated",
        "predikat-inconsistent",
        "evaluation-missing",
        "future-dated",
        "complaint-out-of-sequence",
    }
    replayed: set[str] = set()
    for agency in AGENCIES:
        result, _ = _verified(demo, agency=agency)
        assert result.replay is not None
        replayed |= {f.rule for flags in result.replay.flags.values() for f in flags}
    assert wanted <= replayed


def test_presence_bundle_replays_the_short_week(demo: Runtime) -> None:
    from api.demo.cast import person

    subject = f"presence:{person('ratna').nip}"
    result, at = _verified(demo, subject=subject)
    _assert_agrees(demo, result, at, subject)
    view = result.replay.view(subject) if result.replay else None
    assert view is not None
    assert [f.rule for f in view.flags] == ["weekly-hours-short"]


def test_presence_bundle_replays_the_missing_evaluation(demo: Runtime) -> None:
    from api.demo.cast import person

    subject = f"presence:{person(UNEVALUATED).nip}"
    result, at = _verified(demo, subject=subject)
    _assert_agrees(demo, result, at, subject)
    view = result.replay.view(subject) if result.replay else None
    assert view is not None
    assert [f.rule for f in view.flags] == ["evaluation-missing"]
