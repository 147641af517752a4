"""Projections on each store: exactly-once positions, crash recovery, flags from the domain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from projections import queries
from projections.store import SimulatedCrashError
from tests.projections.helpers import digest, rules, runner_for
from tests.support import HEAD, STAFF, STAFF2, World, payload, wfa_request


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    )
    runtime: Runtime = open_runtime(settings)
    yield World(runtime).setup()
    runtime.close()


def _request(
    world: World, subject: str, approver: str, employee: str = STAFF, days: int = 1
) -> None:
    world.append(
        payload("wfa.requested", subject, employee, wfa_request(employee, days)),
        payload("wfa.approved", subject, approver, {"note": "ok"}),
    )


def test_crash_between_rows_and_position_neither_loses_nor_doubles(world: World) -> None:
    runner = runner_for(world.runtime)
    runner.catch_up()
    before = runner.positions()
    _request(world, "req-crash", STAFF2)
    with pytest.raises(SimulatedCrashError):
        runner.catch_up(crash_after_rows=True)
    assert runner.positions() == before
    assert rules(runner) == []
    runner.catch_up()
    assert rules(runner).count("approver-not-supervisor") == 1
    assert {s.lag for s in runner.status()} == {0}
    fresh = runner_for(world.runtime)
    incremental = digest(runner)
    fresh.rebuild()
    assert digest(fresh) == incremental


def test_restarted_runner_resumes_after_its_position(world: World) -> None:
    first = runner_for(world.runtime)
    first.catch_up()
    _request(world, "req-later", STAFF2)
    second = runner_for(world.runtime)
    assert second.catch_up() == world.runtime.ledger.size
    assert rules(second).count("approver-not-supervisor") == 1
    assert second.applied == world.runtime.ledger.size


@pytest.mark.parametrize(
    ("rule", "employee", "approver", "days"),
    [
        ("approver-not-supervisor", STAFF, STAFF2, 1),
        ("self-approval", HEAD, HEAD, 1),
        ("weekly-cap-exceeded", STAFF, HEAD, 3),
    ],
)
def test_flag_is_raised_by_a_crafted_history_and_not_by_the_clean_one(
    world: World, rule: str, employee: str, approver: str, days: int
) -> None:
    _request(world, "req-clean", HEAD)
    runner = runner_for(world.runtime)
    runner.catch_up()
    assert rule not in rules(runner)
    _request(world, "req-crafted", approver, employee, days)
    runner.catch_up()
    found = [r for r in runner.reads.rows("SELECT * FROM {s}jp_flags") if r["rule"] == rule]
    assert [r["subject"] for r in found] == ["req-crafted"]


def test_missing_output_report_appears_only_after_the_deadline(world: World) -> None:
    _request(world, "req-quiet", HEAD)
    runner = runner_for(world.runtime)
    runner.catch_up()
    now = datetime.now(UTC)
    assert queries.missing_reports(runner.reads, now) == []
    later = queries.missing_reports(runner.reads, now + timedelta(days=30))
    assert [(f["rule"], f["subject"]) for f in later] == [("missing-output-report", "req-quiet")]
    state = world.runtime.ledger.state
    expected = [f.detail for f in state.compliance_flags("kab-contoh", now + timedelta(days=30))]
    assert [f["detail"] for f in later] == [d for d in expected if "no output" in d]
