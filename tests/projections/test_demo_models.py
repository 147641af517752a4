"""On the demo log, per store: rebuild equals incremental; the report cites the right entries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.demo.cast import KAB, person
from api.demo.load import demo_period, open_demo_runtime
from api.demo.story import BREACH_UNIT, complaint_id
from ledger.bootstrap import Runtime
from ledger.settings import Settings
from projections import queries
from projections.report import investigation_report
from tests.projections.helpers import digest, runner_for

BREACH_AWAY = {"andi", "desi", "rina", "fitri", "meli"}


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "demo"), "JEJAK_DATABASE_URL": database_url}
    )
    runtime, summary = open_demo_runtime(settings)
    assert summary is not None
    yield runtime
    runtime.close()


def test_rebuild_from_scratch_yields_the_same_tables_as_incremental_processing(
    demo: Runtime,
) -> None:
    incremental = runner_for(demo, batch=37)
    while incremental.catch_up() == 0:
        pass
    rebuilt = runner_for(demo, batch=1000)
    rebuilt.rebuild()
    assert digest(rebuilt) == digest(incremental)
    assert rebuilt.applied == demo.ledger.size


def test_demo_report_names_the_people_away_and_cites_the_approvals(demo: Runtime) -> None:
    runner = runner_for(demo)
    runner.catch_up()
    subject = complaint_id(demo_period())
    report = investigation_report(demo.ledger.state, runner.reads, subject, datetime.now(UTC))
    away = {a["employee"] for a in report["flexible"] if a["kind"] == "location"}  # type: ignore[attr-defined]
    assert away == {person(who).nip for who in BREACH_AWAY}
    assert report["minimum_held"] is False
    assert report["quota_held"] is False
    assert len(report["on_site"]) == 7  # type: ignore[arg-type]
    complaint = demo.ledger.state.complaint(subject)
    assert complaint is not None
    assert set(complaint.finding_entries) <= set(report["entries"])  # type: ignore[call-overload]
    assert complaint.filed_entry in report["entries"]  # type: ignore[operator]
    assert report["bundle"] == f"/v1/bundles?complaint={subject}"


def test_demo_compliance_matches_the_domain_flags(demo: Runtime) -> None:
    runner = runner_for(demo)
    runner.catch_up()
    now = datetime.now(UTC)
    page = queries.compliance(runner.reads, KAB, now, limit=500)
    expected = demo.ledger.state.compliance_flags(KAB, now)
    assert [(f["entry"], f["rule"], f["detail"]) for f in page.items] == [
        (f.entry, f.rule, f.detail) for f in expected
    ]
    days = queries.unit_days(runner.reads, BREACH_UNIT, None, None, limit=500)
    assert any(not d["minimum_held"] for d in days.items)
