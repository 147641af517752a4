"""The projector's state in the read store (projections/state_rows.py): a runner restarted
from its snapshot continues the same fold (tables and state equal a rebuild from entry 0, and
the fold from entry 0 in memory, flags included), reads no entry it applied, refuses a damaged
snapshot or state row with one log line and rebuilds that log, and keeps a bounded number of
values in memory however long the log."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.demo.load import open_demo_runtime
from domain.state import LedgerState
from domain.store import PERSISTED, Stores
from ledger.bootstrap import Runtime
from ledger.settings import Settings
from ledger.state_codec import STATE_MAPS
from projections.decode import to_entry
from projections.projector import Indexes
from projections.runner import ProjectionRunner
from projections.state_rows import (
    FORMAT,
    Snapshot,
    decode_snapshot,
    decode_value,
    encode_snapshot,
)
from projections.store import ReadRecorder, StateMovedError
from tests.projections.helpers import digest, rules, runner_for, table_rows
from tests.support import (
    AGENCY,
    HEAD,
    STAFF,
    STAFF2,
    World,
    now,
    payload,
    policy_data,
    wfa_request,
)

State = dict[tuple[str, str], object]


def _state(runner: ProjectionRunner, log: str) -> State:
    """Every stored state value of `log`, read back."""
    found = runner.reads_of(log).rows(
        "SELECT map, key, value FROM {s}jp_state WHERE log = ?", (log,)
    )
    return {
        (str(r["map"]), str(r["key"])): decode_value(str(r["map"]), bytes(r["value"]))
        for r in found
    }


def _snapshot(runner: ProjectionRunner, log: str) -> Snapshot | None:
    found = runner.reads_of(log).snapshot(log)  # None: an empty log, never folded
    return None if found is None else decode_snapshot(found[1])


def _everything(
    runner: ProjectionRunner,
) -> tuple[str, dict[str, State], dict[str, Snapshot | None]]:
    logs = runner.logs()
    return (
        digest(runner),
        {log: _state(runner, log) for log in logs},
        {log: _snapshot(runner, log) for log in logs},
    )


def _execute(reads: ReadRecorder, statement: str, params: tuple[object, ...]) -> None:
    with reads.cursor(commit=True) as curs:
        curs.execute(reads._sql(statement), params)


def _fold_to(runner: ProjectionRunner, log: str, cut: int) -> None:
    """Fold `log` from entry 0 to `cut` (exactly), committing as the runner does."""
    follower = runner.follower(log)
    follower.rebuild()
    while (done := follower.applied) < cut:
        assert follower.step(min(runner.batch, cut - done))


def _count_reads(runner: ProjectionRunner, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[int]]:
    """The first index of every batch of entries each follower of `runner` reads."""
    starts: dict[str, list[int]] = {}
    for log in runner.logs():
        recorder = runner.follower(log).store.recorder
        read = recorder.entries

        def counted(start: int, stop: int, log: str = log, read: Any = read) -> Any:
            starts.setdefault(log, []).append(start)
            return read(start, stop)

        monkeypatch.setattr(recorder, "entries", counted)
    return starts


def _in_memory(runtime: Runtime, log: str) -> LedgerState:
    """The log folded from entry 0 with every value in memory."""
    state = LedgerState(log, runtime.logs.registry_state, allow_gaps=True)
    store = runtime.logs.log(log).store
    for stored in store.recorder.entries(0, store.recorder.log_size()):
        state.refold(to_entry(store.decode(stored)))
    return state


def _held(state: LedgerState) -> dict[str, dict[object, object]]:
    """Every value of every persisted map of an in-memory state."""
    stores: Stores = state._stores
    found: dict[str, dict[object, object]] = {}
    for f in fields(stores):
        if f.name not in PERSISTED:
            continue
        layers, layer = [], getattr(stores, f.name)
        while layer is not None:
            layers.append(layer.own)
            layer = layer.parent
        merged: dict[object, object] = {}
        for own in reversed(layers):
            merged.update(own)
        found[f.name] = merged
    return found


def _domain_part(stored: State) -> dict[str, dict[object, object]]:
    found: dict[str, dict[object, object]] = {name: {} for name in PERSISTED}
    for (name, key), value in stored.items():
        if name in STATE_MAPS:
            found[name][STATE_MAPS[name].decode_key(key.encode())] = value
    return found


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "demo"), "JEJAK_DATABASE_URL": database_url}
    )
    runtime, summary = open_demo_runtime(settings)
    assert summary is not None
    yield runtime
    runtime.close()


def test_a_restart_from_the_snapshot_at_any_cut_equals_the_fold_from_entry_zero(
    demo: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = runner_for(demo)
    whole.rebuild()
    expected = _everything(whole)
    logs = whole.logs()
    for log in logs:  # the stored state is the fold from entry 0, value for value
        memory = _in_memory(demo, log)
        assert _domain_part(expected[1][log]) == _held(memory)
        snapshot = expected[2][log]
        assert snapshot is not None
        assert snapshot.state == memory.position()
        assert snapshot.position == demo.logs.log(log).size
    assert any(name == "p.flags" for state in expected[1].values() for name, _ in state)
    pick = random.Random(1204)
    for batch in (1000, 7, pick.randrange(2, 90)):
        first = runner_for(demo, batch=batch)
        cuts = {log: pick.randrange(demo.logs.log(log).size + 1) for log in logs}
        for log, cut in cuts.items():
            _fold_to(first, log, cut)
            snapshot = _snapshot(first, log)
            assert (0 if snapshot is None else snapshot.position) == cut
        restarted = runner_for(demo, batch=pick.randrange(1, 1000))
        starts = _count_reads(restarted, monkeypatch)
        assert restarted.catch_up() == sum(demo.logs.log(x).size - c for x, c in cuts.items())
        for log, cut in cuts.items():  # nothing below its position is read again
            assert min(starts.get(log, [cut])) == cut, (log, cut, starts.get(log))
        assert _everything(restarted) == expected, (batch, cuts)
        monkeypatch.undo()


def _request(n: int) -> list[dict[str, object]]:
    """A request of one day (a different day each), approved, its output reported."""
    who = STAFF if n % 2 == 0 else STAFF2
    day = (datetime.now(UTC).date() + timedelta(days=7 + n)).isoformat()
    rid = f"req-{n}"
    output = {"date": day, "outputs": [{"title": "laporan", "target": "t1"}]}
    return [
        payload("wfa.requested", rid, who, {**wfa_request(who), "dates": [day]}),
        payload("wfa.approved", rid, STAFF2 if n % 5 == 0 else HEAD, {"note": "ok"}),
        payload("work.output_reported", rid, who, output),
    ]


def _requests(world: World, first: int, count: int) -> None:
    world.append(*(event for n in range(first, first + count) for event in _request(n)))


def test_a_restarted_runner_reads_only_the_entries_after_its_position(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _requests(world, 0, 4)
    first = runner_for(world.runtime)
    first.catch_up()
    applied = first.applied(AGENCY)
    _requests(world, 4, 2)
    restarted = runner_for(world.runtime)
    starts = _count_reads(restarted, monkeypatch)
    assert restarted.catch_up() == 6
    assert starts[AGENCY] == [applied]
    assert restarted.follower(AGENCY).projector.stored.loads < 40  # what the tail touched
    expected = _everything(restarted)
    rebuilt = runner_for(world.runtime)
    rebuilt.rebuild()
    assert _everything(rebuilt) == expected
    assert rules(rebuilt).count("approver-not-supervisor") == 2  # req-0 and req-5


def _flipped(data: bytes) -> bytes:
    return data[:-3] + bytes([data[-3] ^ 0x04]) + data[-2:]


SNAPSHOT_DAMAGE = {
    "flipped byte": ("checksum", lambda data, form: (_flipped(data), form)),
    "other format column": ("format 9", lambda data, form: (data, 9)),
    "not a snapshot": ("magic", lambda data, form: (b"\x80\x04pickled", form)),
    "snapshot of another format": (
        f"snapshot of format {FORMAT + 1}",
        lambda data, form: (
            encode_snapshot(replace(decode_snapshot(data), format=FORMAT + 1)),
            form,
        ),
    ),
}


@pytest.mark.parametrize("damage", sorted(SNAPSHOT_DAMAGE))
def test_a_damaged_snapshot_is_refused_and_its_log_rebuilt_from_entry_zero(
    world: World, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    _requests(world, 0, 3)
    runner = runner_for(world.runtime)
    runner.catch_up()
    expected = _everything(runner)
    reads = runner.reads_of(AGENCY)
    found = reads.snapshot(AGENCY)
    assert found is not None
    why, damaged = SNAPSHOT_DAMAGE[damage]
    data, form = damaged(found[1], found[0])
    _execute(
        reads,
        "UPDATE {s}jp_snapshots SET value = ?, format = ? WHERE log = ?",
        (data, form, AGENCY),
    )
    restarted = runner_for(world.runtime)
    with caplog.at_level(logging.INFO, "jejak.projections"):
        assert restarted.catch_up() == world.runtime.logs.log(AGENCY).size
    lines = [r.getMessage() for r in caplog.records if AGENCY in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"the read models of log {AGENCY} are rebuilt from entry 0: ")
    assert "snapshot is refused" in lines[0]
    assert why in lines[0]
    assert _everything(restarted) == expected
    assert restarted.failures() == []


def test_a_damaged_state_row_read_later_rebuilds_its_log_and_parks_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    _requests(world, 0, 3)
    runner = runner_for(world.runtime)
    runner.catch_up()
    reads = runner.reads_of(AGENCY)
    statement = "SELECT key, value FROM {s}jp_state WHERE log = ? AND map = 'employees'"
    employees = reads.rows(statement, (AGENCY,))
    assert employees
    for row in employees:
        _execute(
            reads,
            "UPDATE {s}jp_state SET value = ? WHERE log = ? AND map = 'employees' AND key = ?",
            (_flipped(bytes(row["value"])), AGENCY, row["key"]),
        )
    _requests(world, 3, 1)  # its fold reads its employee's (damaged) row
    restarted = runner_for(world.runtime)
    with caplog.at_level(logging.INFO, "jejak.projections"):
        assert restarted.catch_up() == world.runtime.logs.log(AGENCY).size
    lines = [r.getMessage() for r in caplog.records if AGENCY in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"the read models of log {AGENCY} are rebuilt from entry 0: ")
    assert "employees row is unreadable" in lines[0]
    assert restarted.failures() == []
    expected = _everything(restarted)
    rebuilt = runner_for(world.runtime)
    rebuilt.rebuild()
    assert _everything(rebuilt) == expected


def test_the_values_in_memory_stay_bounded_and_the_tables_equal_a_rebuild(world: World) -> None:
    for first in range(0, 60, 20):
        _requests(world, first, 20)
    small = ProjectionRunner(world.runtime.logs.stores, batch=13, capacity=8)
    small.catch_up()
    projector = small.follower(AGENCY).projector
    maps = len(PERSISTED) + len(Indexes.NAMES)
    assert projector.cached() <= 8 * maps
    assert projector.stored.loads > 0  # what fell out of the caches was read back
    expected = _everything(small)
    assert len(expected[1][AGENCY]) > 8 * maps  # the store holds what memory does not
    rebuilt = runner_for(world.runtime)
    rebuilt.rebuild()
    assert _everything(rebuilt) == expected
    assert rebuilt.follower(AGENCY).projector.stored.loads == 0  # a rebuild asks nothing


def test_a_step_folded_on_a_state_another_process_moved_is_refused_and_reloaded(
    world: World,
) -> None:
    _requests(world, 0, 3)
    stale = runner_for(world.runtime)
    stale.catch_up()
    _requests(world, 3, 2)
    other = runner_for(world.runtime)  # another process: resumes from the same snapshot
    other.catch_up()
    _requests(world, 5, 1)
    before = _everything(other)
    with pytest.raises(StateMovedError, match=f"stored state of log {AGENCY} is not the one"):
        stale.follower(AGENCY).step(1000)  # its memory stands where the stored state stood
    assert _everything(other) == before  # nothing of that step was committed
    stale.catch_up()  # reloaded from the stored state
    expected = _everything(stale)
    rebuilt = runner_for(world.runtime)
    rebuilt.rebuild()
    assert _everything(rebuilt) == expected


def test_a_policy_enacted_after_a_restart_rewrites_the_rows_of_every_stored_request(
    world: World,
) -> None:
    _requests(world, 0, 6)
    first = ProjectionRunner(world.runtime.logs.stores, capacity=4)
    first.catch_up()

    def deadlines(runner: ProjectionRunner) -> dict[str, str]:
        found = table_rows(runner, "jp_work_days", "request, deadline")
        return {str(r["request"]): str(r["deadline"]) for r in found}

    before = deadlines(first)
    assert len(before) == 6
    later = policy_data(version=2, effective_from=now().date().isoformat())
    world.append(
        payload(
            "policy.enacted", f"policy:{AGENCY}", HEAD, {**later, "output_report_deadline_days": 5}
        )
    )
    restarted = ProjectionRunner(world.runtime.logs.stores, capacity=4)
    assert restarted.catch_up() == 1  # only the policy: the requests come from the store
    after = deadlines(restarted)
    assert after.keys() == before.keys()
    assert all(after[r] != before[r] for r in before), (before, after)
    expected = _everything(restarted)
    rebuilt = runner_for(world.runtime)
    rebuilt.rebuild()
    assert _everything(rebuilt) == expected


def test_a_read_model_behind_the_snapshot_has_its_log_folded_from_entry_zero(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _requests(world, 0, 3)
    runner = runner_for(world.runtime)
    runner.catch_up()
    expected = _everything(runner)
    reads = runner.reads_of(AGENCY)
    forget = "DELETE FROM {s}jp_positions WHERE log = ? AND model = 'unit_days'"
    _execute(reads, forget, (AGENCY,))  # as if that model were added since
    _execute(reads, "DELETE FROM {s}jp_unit_days WHERE agency = ?", (AGENCY,))
    restarted = runner_for(world.runtime)
    starts = _count_reads(restarted, monkeypatch)
    assert restarted.catch_up() == world.runtime.logs.log(AGENCY).size
    assert starts[AGENCY][0] == 0
    assert _everything(restarted) == expected
