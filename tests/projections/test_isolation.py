"""One agency log's read models, parked, failing or far behind, never hold back another's."""

from __future__ import annotations

import threading

import pytest

import domain.state
from ledger.bootstrap import Runtime
from ledger.store import LogRecorder, StoredEntry
from projections.store import Cursorish, ReadRecorder, RowBatch
from tests.projections.helpers import runner_for, table_rows
from tests.projections.test_failures import POISON_UNIT, _other_agency_request, _request
from tests.support import AGENCY, OTHER_AGENCY, World, unit_payload


def _size(runtime: Runtime, log: str) -> int:
    return runtime.logs.log(log).size


def _subjects(runtime: Runtime, agency: str) -> set[str]:
    runner = runner_for(runtime)
    try:
        return {
            str(r["subject"])
            for r in table_rows(runner, "jp_requests", "subject, agency")
            if r["agency"] == agency
        }
    finally:
        runner.close()


def test_entries_of_another_agency_are_applied_while_one_agency_is_parked(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _parked_and_moving(runtime, monkeypatch)


def test_the_same_holds_with_the_two_logs_on_two_postgresql_servers(
    split_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _parked_and_moving(split_runtime, monkeypatch)


def _parked_and_moving(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """AGENCY's read models parked on a poisoned entry; OTHER_AGENCY's entries appended after
    it are applied by the background loop all the same."""
    world = World(runtime).setup()
    world.append(unit_payload(POISON_UNIT))
    poison = _size(runtime, AGENCY) - 1
    rule = domain.state.check_subject_kind

    def faulty(subject: str, existing: str | None, event_type: str) -> None:
        if subject == POISON_UNIT:
            raise OverflowError("date value out of range")
        rule(subject, existing, event_type)

    monkeypatch.setattr(domain.state, "check_subject_kind", faulty)
    runner = runner_for(runtime)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        assert runner.wait_for(AGENCY, poison, timeout=30)  # consumed: parked
        assert [(f.agency, f.entry) for f in runner.failures()] == [(AGENCY, poison)]
        _request(world, "req-parked")  # after the parked entry: never applied
        _other_agency_request(world, "req-other")  # the other agency, meanwhile: applied
        assert runner.wait_for(OTHER_AGENCY, _size(runtime, OTHER_AGENCY) - 1, timeout=30)
        assert _subjects(runtime, OTHER_AGENCY) == {"req-other"}
        _other_agency_request(world, "req-other-2")
        assert runner.wait_for(OTHER_AGENCY, _size(runtime, OTHER_AGENCY) - 1, timeout=30)
        assert _subjects(runtime, OTHER_AGENCY) == {"req-other", "req-other-2"}
        assert runner.wait_for(AGENCY, _size(runtime, AGENCY) - 1, timeout=30)
        assert "req-parked" not in _subjects(runtime, AGENCY)
        assert runner.failures(OTHER_AGENCY) == []
        lags = {(s.log, s.lag) for s in runner.status()}
        assert lags == {(AGENCY, 0), (OTHER_AGENCY, 0)}
    finally:
        stop.set()
        runner.wake()
        thread.join(30)
        runner.close()


def test_a_log_whose_step_fails_every_turn_leaves_the_others_moving(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(runtime).setup()
    _request(world, "req-stuck")
    runner = runner_for(runtime)
    entries = LogRecorder.entries

    def broken(recorder: LogRecorder, start: int, stop: int) -> list[StoredEntry]:
        if recorder.log == AGENCY:  # e.g. this agency's store is down
            raise OSError("disk I/O error")
        return entries(recorder, start, stop)

    monkeypatch.setattr(LogRecorder, "entries", broken)
    _other_agency_request(world, "req-other")
    for _ in range(3):
        runner.turn()
    assert runner.applied(OTHER_AGENCY) == _size(runtime, OTHER_AGENCY)
    assert runner.applied(AGENCY) == 0
    assert runner.errors() == {AGENCY: "OSError: disk I/O error"}
    with pytest.raises(OSError, match="disk I/O error"):
        runner.catch_up()  # every log had its go before the error is raised
    assert _subjects(runtime, OTHER_AGENCY) == {"req-other"}
    monkeypatch.setattr(LogRecorder, "entries", entries)
    runner.catch_up()
    assert _subjects(runtime, AGENCY) == {"req-stuck"}
    runner.close()


def test_a_log_whose_rows_fail_to_commit_leaves_the_others_moving_in_the_same_turn(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the logs of one server commit their steps in one transaction: one log's
    rows failing it (here: refused by the database) must not cost the others their turn."""
    world = World(runtime).setup()
    _request(world, "req-stuck")
    _other_agency_request(world, "req-other")
    runner = runner_for(runtime)
    write = type(runner.reads_of(AGENCY)).write_batch

    def broken(reads: ReadRecorder, curs: Cursorish, batch: RowBatch, crash: bool) -> None:
        if batch.log == AGENCY:
            raise OSError("row refused")
        write(reads, curs, batch, crash)

    monkeypatch.setattr(type(runner.reads_of(AGENCY)), "write_batch", broken)
    runner.turn()
    assert runner.applied(OTHER_AGENCY) == _size(runtime, OTHER_AGENCY)
    assert runner.applied(AGENCY) == 0
    assert runner.errors() == {AGENCY: "OSError: row refused"}
    monkeypatch.undo()
    runner.catch_up()
    assert runner.applied(AGENCY) == _size(runtime, AGENCY)
    assert _subjects(runtime, AGENCY) == {"req-stuck"}
    runner.close()


def test_a_turn_gives_each_log_at_most_its_batch(runtime: Runtime) -> None:
    world = World(runtime).setup()
    for n in range(5):
        _request(world, f"req-{n}")  # this agency is 15 entries long
    runner = runner_for(runtime, batch=4)
    _other_agency_request(world, "req-other")  # the other agency is 6 entries long
    runner.turn()
    runner.turn()
    assert runner.applied(OTHER_AGENCY) == _size(runtime, OTHER_AGENCY)
    assert runner.applied(AGENCY) == 8
    assert _subjects(runtime, OTHER_AGENCY) == {"req-other"}
    while runner.turn():
        pass
    assert runner.applied(AGENCY) == _size(runtime, AGENCY)
    runner.close()


def test_an_idle_log_is_looked_at_less_often_but_at_once_when_woken(runtime: Runtime) -> None:
    world = World(runtime).setup()
    runner = runner_for(runtime)
    runner.catch_up()
    for _ in range(3):
        assert runner.turn(interval=1.0) == 0  # nothing new anywhere: both logs go idle
    assert runner.follower(OTHER_AGENCY).poll_at > 0
    _other_agency_request(world, "req-woken")
    runner.wake(OTHER_AGENCY)  # what wait_for does for a reader of that log
    assert runner.turn(interval=1.0) > 0
    assert _subjects(runtime, OTHER_AGENCY) == {"req-woken"}
    assert runner.follower(OTHER_AGENCY).poll_at == 0.0  # busy again: looked at every turn
    runner.close()
