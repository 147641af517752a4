"""Rule replay agrees with the server: on the demo data set, log by log, subject by subject.

Time-dependent flags (`missing-output-report`) are evaluated at one instant on both sides: the
bundle's `as_of`, the publication time of its log's checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest

from api.demo.cast import AGENCIES
from api.demo.load import demo_period, open_demo_runtime
from api.demo.story import UNEVALUATED, complaint_id, minor_complaint_id
from ledger.bootstrap import Runtime
from ledger.export import BundleQuery, plan_export, stream_bundle
from ledger.settings import Settings
from verification.leaf import parse_instant
from verification.outcome import Outcome
from verification.verifier import verify_bytes


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data = tmp_path_factory.mktemp("demo")
    runtime, _ = open_demo_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data)}))
    yield runtime
    runtime.close()


def _verified(runtime: Runtime, **query: object) -> tuple[Outcome, datetime]:
    plan = plan_export(runtime.logs, BundleQuery(**query), None)  # type: ignore[arg-type]
    text = "".join(stream_bundle(runtime.logs, plan)).encode()
    outcome = verify_bytes(text, runtime.log_verifier_key, every_subject=True)
    assert outcome.failures == [], outcome.failures[:3]
    return outcome, parse_instant(json.loads(text.split(b"\n", 1)[0] + b"]}")["as_of"])


def _subjects(runtime: Runtime, log: str, kind: str | None = None) -> list[str]:
    ledger = runtime.logs.log(log)
    state = ledger.agency_state
    found: dict[str, None] = {}
    for start in range(0, ledger.size, 1000):
        for stored in ledger.store.recorder.entries(start, start + 1000):
            subject = str(ledger.store.decode(stored).leaf["subject"])
            view = state.subject_view(subject)
            if view is not None and (kind is None or view.kind == kind):
                found[subject] = None
    return list(found)


def _replayed(outcome: Outcome, log: str) -> list[str]:
    """The subjects of `log` the bundle holds entries of, in their order."""
    return list(dict.fromkeys(s.subject for s in outcome.steps if s.log == log))


def _assert_agrees(
    runtime: Runtime, outcome: Outcome, at: datetime, log: str, subject: str
) -> None:
    server = runtime.logs.log(log).agency_state.subject_view(subject, at)
    replayed = outcome.replay.view(log, subject, at)
    assert server is not None, subject
    assert replayed is not None, subject
    assert (replayed.kind, dict(replayed.state), replayed.flags) == (
        server.kind,
        dict(server.state),
        server.flags,
    ), subject


def _flags(outcome: Outcome, log: str, subject: str, at: datetime) -> list[str]:
    view = outcome.replay.view(log, subject, at)
    assert view is not None
    return [flag.rule for flag in view.flags]


def _log_of(runtime: Runtime, subject: str) -> str:
    for log in AGENCIES:
        if runtime.logs.log(log).agency_state.subject_view(subject) is not None:
            return log
    raise KeyError(subject)


def test_agency_bundles_replay_every_subject_as_the_server_reports(demo: Runtime) -> None:
    for agency in AGENCIES:
        outcome, at = _verified(demo, agency=agency)
        subjects = _replayed(outcome, agency)
        for subject in subjects:
            _assert_agrees(demo, outcome, at, agency, subject)
        assert set(_subjects(demo, agency, "request")) <= set(subjects)


def test_each_request_bundle_reproduces_its_flags(demo: Runtime) -> None:
    flagged = requests = 0
    for agency in AGENCIES:
        for subject in _subjects(demo, agency, "request"):
            outcome, at = _verified(demo, log=agency, subject=subject)
            _assert_agrees(demo, outcome, at, agency, subject)
            flagged += bool(_flags(outcome, agency, subject, at))
            requests += 1
    assert requests > 20
    assert flagged >= 5


def test_complaint_bundle_reproduces_the_complaint_and_what_it_rests_on(demo: Runtime) -> None:
    period = demo_period()
    complaints = {log: _subjects(demo, log, "complaint") for log in AGENCIES}
    assert sorted(c for found in complaints.values() for c in found) == sorted(
        [complaint_id(period), minor_complaint_id(period)]
    )
    for log, found in complaints.items():
        for complaint in found:
            outcome, at = _verified(demo, complaint=complaint)
            assert outcome.header.claim.log == log
            subjects = _replayed(outcome, log)
            assert complaint in subjects
            for subject in subjects:
                _assert_agrees(demo, outcome, at, log, subject)


def test_minor_complaint_bundle_replays_its_out_of_sequence_finding(demo: Runtime) -> None:
    subject = minor_complaint_id(demo_period())
    log = _log_of(demo, subject)
    outcome, at = _verified(demo, complaint=subject)
    _assert_agrees(demo, outcome, at, log, subject)
    assert _flags(outcome, log, subject, at) == ["complaint-out-of-sequence"]


def test_every_other_subject_bundle_verifies_and_agrees(demo: Runtime) -> None:
    others = 0
    for agency in AGENCIES:
        requests = set(_subjects(demo, agency, "request"))
        for subject in _subjects(demo, agency):
            if subject in requests:
                continue
            outcome, at = _verified(demo, log=agency, subject=subject)
            _assert_agrees(demo, outcome, at, agency, subject)
            others += 1
    assert others > 20


def test_agency_bundle_replay_raises_each_new_rule_as_the_server(demo: Runtime) -> None:
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
        outcome, _ = _verified(demo, agency=agency)
        replayed |= {f.rule for flags in outcome.replay.flags.values() for f in flags}
    assert wanted <= replayed


@pytest.mark.parametrize(
    ("label", "rule"), [("ratna", "weekly-hours-short"), (UNEVALUATED, "evaluation-missing")]
)
def test_presence_bundle_replays_its_flag(demo: Runtime, label: str, rule: str) -> None:
    from api.demo.cast import person

    subject = f"presence:{person(label).nip}"
    log = _log_of(demo, subject)
    outcome, at = _verified(demo, log=log, subject=subject)
    _assert_agrees(demo, outcome, at, log, subject)
    assert _flags(outcome, log, subject, at) == [rule]
