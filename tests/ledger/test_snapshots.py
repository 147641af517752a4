"""The writer's working set and snapshots (docs/architecture.md, "Working set and snapshots"):
a writer restarted from its snapshot and the entries after it holds the state folded from entry
0, a damaged snapshot is refused and the log folded again, and what the writer keeps in memory
stays bounded however long the log grows."""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import Refusal
from domain.state import LedgerState
from ledger.bootstrap import Runtime, open_runtime
from ledger.errors import DuplicatePayloadError, LedgerError
from ledger.ledger import Ledger
from ledger.placement import sqlite_log_url
from ledger.settings import Settings
from ledger.state_codec import STATE_MAPS
from ledger.store import LogRecorder, drop_postgres_schema, store_environment
from projections.decode import to_entry
from tests.ledger.state_keys import every_key
from tests.support import (
    AGENCY,
    HEAD,
    STAFF,
    STAFF2,
    World,
    employee,
    now,
    payload,
    signer,
    unit_payload,
)
from tests.support import wfa_request as request_data

EVERY = 7  # entries between snapshots in these tests


@contextlib.contextmanager
def fresh_store(kind: str, postgres: str | None, where: Path) -> Iterator[str]:
    """A new empty store of `kind` (a fixture per hypothesis example)."""
    if kind == "sqlite":
        yield f"sqlite:///{where / uuid.uuid4().hex}.db"
        return
    assert postgres is not None
    url = f"{postgres}?schema=t_{uuid.uuid4().hex[:12]}"
    try:
        yield url
    finally:
        drop_postgres_schema(url)


def _open(url: str, data: Path) -> Runtime:
    return open_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data), "JEJAK_DATABASE_URL": url}))


def _flip_byte(url: str, table: str, column: str, where: str, at: int) -> None:
    """Flip one byte of a stored value behind the writer's back (a damaged disk); `where`
    may name a byte string as {blob:HEX}."""
    sqlite = url.startswith("sqlite")
    where = re.sub(
        r"\{blob:([0-9a-f]+)\}", lambda m: f"x'{m[1]}'" if sqlite else f"'\\x{m[1]}'::bytea", where
    )
    select = f"SELECT log, {column} FROM {table} WHERE log = %s AND {where}"
    update = f"UPDATE {table} SET {column} = %s WHERE log = %s AND {where}"
    if url.startswith("sqlite"):  # each agency log is a file of its own beside the registry's
        path = store_environment(sqlite_log_url(url, AGENCY))["SQLITE_DBNAME"]
        with contextlib.closing(sqlite3.connect(path)) as conn:
            (log, value), *_ = conn.execute(select.replace("%s", "?"), (AGENCY,)).fetchall()
            damaged = value[:at] + bytes([value[at] ^ 0x20]) + value[at + 1 :]
            conn.execute(update.replace("%s", "?"), (damaged, log))
            conn.commit()
        return
    base, schema = url.split("?schema=")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        (log, value), *_ = conn.execute(select, (AGENCY,)).fetchall()  # type: ignore[arg-type]
        damaged = value[:at] + bytes([value[at] ^ 0x20]) + value[at + 1 :]
        conn.execute(update, (damaged, log))  # type: ignore[arg-type]


def _history(world: World, ops: list[tuple[int, int, int]]) -> None:
    """Append a random history: units, employees, requests (flagged or refused), decisions
    and annotations; refusals are part of it (they leave the state as it was)."""
    nips = [STAFF, STAFF2]
    requests: list[str] = []
    subjects = ["kab-contoh/dukcapil-loket"]
    for n, (op, a, b) in enumerate(ops):
        if op == 0:
            subject, body = f"unit-{n}", unit_payload(f"unit-{n}")
            subjects.append(subject)
        elif op == 1:
            nip = f"19870312201001{n:04d}"
            body = payload("employee.enrolled", nip, HEAD, employee(f"Pegawai {n}", HEAD))
            nips.append(nip)
        elif op == 2:
            nip = nips[a % len(nips)]
            subject = f"req-{n}"
            body = payload("wfa.requested", subject, nip, request_data(nip, days=b))
            requests.append(subject)
        elif op == 3 and requests:
            body = payload("wfa.approved", requests[a % len(requests)], HEAD, {"note": "ok"})
        else:
            target = subjects[a % len(subjects)]
            body = payload("entry.annotated", target, HEAD, {"entry": a % 5, "note": f"n{n}"})
        with contextlib.suppress(Refusal, LedgerError):
            world.append(body)


def _fold_from_zero(runtime: Runtime) -> LedgerState:
    """The agency log folded from entry 0 in memory, from the stored entries."""
    store = runtime.logs.log(AGENCY).store
    size = store.recorder.log_size()
    state = LedgerState(AGENCY, runtime.logs.registry_state, keep_steps=True)
    for stored in store.recorder.entries(0, size):
        state.refold(to_entry(store.decode(stored)))
    return state


def assert_same_state(restored: LedgerState, whole: LedgerState) -> None:
    """Every value of every map, and every subject's view with its flags, at the same size."""
    assert restored.size == whole.size
    assert restored.last_integrated_at == whole.last_integrated_at
    assert restored.position() == whole.position()
    keys = every_key(whole)
    for name, wanted in keys.items():
        mine, theirs = getattr(restored._stores, name), getattr(whole._stores, name)
        for key in wanted:
            assert mine.get(key) == theirs.get(key), (name, key)
    at = whole.last_integrated_at
    for subject in keys["kinds"]:
        assert restored.subject_view(str(subject), at) == whole.subject_view(str(subject), at)


@pytest.fixture
def every(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("JEJAK_SNAPSHOT_EVERY", str(EVERY))
    return EVERY


@pytest.fixture
def crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers that stop as if they crashed: no snapshot at close, so a restart has the tail
    after the last periodic snapshot to replay."""
    monkeypatch.setattr(Ledger, "_snapshot_at_close", lambda self: None)


@pytest.fixture
def read_ranges(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Every range of entries the writers read from the store, by log."""
    ranges: list[tuple[str, int, int]] = []
    entries = LogRecorder.entries

    def counted(self: LogRecorder, start: int, stop: int) -> list:  # type: ignore[type-arg]
        ranges.append((self.log, start, stop))
        return entries(self, start, stop)

    monkeypatch.setattr(LogRecorder, "entries", counted)
    return ranges


OPS = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 50), st.integers(1, 3)), min_size=8, max_size=40
)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_the_state_restored_from_a_snapshot_and_its_tail_is_the_fold_from_entry_zero(
    kind: str,
    ops: list[tuple[int, int, int]],
    every: int,
    crash: None,
    read_ranges: list[tuple[str, int, int]],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    postgres = request.getfixturevalue("postgres_server") if kind == "postgres" else None
    with fresh_store(kind, postgres, tmp_path) as url:
        data = tmp_path / uuid.uuid4().hex
        first = _open(url, data)
        try:
            world = World(first).setup()
            _history(world, ops)
            live = first.logs.log(AGENCY)
            assert_same_state(live.agency_state, _fold_from_zero(first))  # snapshots on the way
            size, root = live.size, live.head.root
        finally:
            first.close()
        read_ranges.clear()
        second = _open(url, data)
        try:
            ledger = second.logs.log(AGENCY)
            stored = ledger.store.recorder.snapshot()
            assert stored is not None
            assert stored.size > 0
            assert size - stored.size < every + 10  # (a group may hold several entries)
            assert ledger.size == size
            assert ledger.head.root == root
            read = [(start, stop) for log, start, stop in read_ranges if log == AGENCY]
            assert all(start >= stored.size for start, _ in read)  # the tail only
            assert (size > stored.size) == bool(read)
            assert_same_state(ledger.agency_state, _fold_from_zero(second))
        finally:
            second.close()


@pytest.fixture
def appended(database_url: str, tmp_path: Path, every: int, crash: None) -> tuple[str, Path, int]:
    """A store whose agency log has a snapshot and entries after it; (url, data dir, size)."""
    data = tmp_path / "data"
    runtime = _open(database_url, data)
    try:
        world = World(runtime).setup()
        for n in range(3 * every):
            world.append(unit_payload(f"unit-{n}"))
        world.append(payload("entry.annotated", "unit-0", HEAD, {"entry": 5, "note": "late"}))
        size = runtime.logs.log(AGENCY).size
    finally:
        runtime.close()
    return database_url, data, size


def test_a_damaged_snapshot_body_is_refused_and_the_log_folded_from_entry_zero(
    appended: tuple[str, Path, int],
    read_ranges: list[tuple[str, int, int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, data, size = appended
    _flip_byte(url, "jejak_snapshots", "body", "size > 0", 40)  # inside the body's JSON
    read_ranges.clear()
    runtime = _open(url, data)
    try:
        with caplog.at_level(logging.WARNING, logger="jejak.ledger"):
            ledger = runtime.logs.log(AGENCY)  # opened (folded) on its first use
        refused = [r.getMessage() for r in caplog.records if "snapshot" in r.getMessage()]
        assert len(refused) == 1
        assert AGENCY in refused[0]
        assert "checksum" in refused[0]
        assert min(s for log, s, _ in read_ranges if log == AGENCY) == 0  # from entry 0
        assert ledger.size == size
        assert_same_state(ledger.agency_state, _fold_from_zero(runtime))
        stored = ledger.store.recorder.snapshot()
        assert stored is not None
        assert stored.size > 0
    finally:
        runtime.close()


def test_a_damaged_row_read_on_a_miss_refolds_the_log_instead_of_folding_on_it(
    appended: tuple[str, Path, int], caplog: pytest.LogCaptureFixture
) -> None:
    url, data, _ = appended
    key = STATE_MAPS["subjects"].encode_key("unit-1").hex()
    _flip_byte(url, "jejak_state", "value", f"map = 'subjects' AND key = {{blob:{key}}}", 12)
    runtime = _open(url, data)
    try:
        world = World(runtime)
        ledger = runtime.logs.log(AGENCY)
        with caplog.at_level(logging.WARNING, logger="jejak.ledger"):
            world.append(payload("entry.annotated", "unit-1", HEAD, {"entry": 6, "note": "x"}))
        assert ledger.rebuilds == 1
        assert any("damaged" in r.getMessage() and AGENCY in r.getMessage() for r in caplog.records)
        assert_same_state(ledger.agency_state, _fold_from_zero(runtime))
        view = ledger.agency_state.subject_view("unit-1")
        assert view is not None
        assert len(view.indexes) == 2
    finally:
        runtime.close()


def test_an_old_payload_resubmitted_after_a_restart_gets_its_receipt(
    database_url: str, tmp_path: Path, every: int
) -> None:
    data = tmp_path / "data"
    runtime = _open(database_url, data)
    try:
        world = World(runtime).setup()
        early = unit_payload("early")
        early_unit = world.agency_signer.sign(early)
        other = signer("kab-contoh second key")
        runtime.operator.add_key(AGENCY, other.public_key_b64, None, now() - timedelta(days=1))
        early_other = other.sign(early)  # the same payload, signed otherwise
        note = payload("entry.annotated", "early", HEAD, {"entry": 0, "note": "once"})
        early_note = world.agency_signer.sign(note)
        logs = runtime.logs
        (unit_receipt,) = logs.append([logs.prepare(early_unit)])
        (note_receipt,) = logs.append([logs.prepare(early_note)])
        for n in range(3 * every):
            world.append(unit_payload(f"unit-{n}"))
    finally:
        runtime.close()
    runtime = _open(database_url, data)
    try:
        logs = runtime.logs
        head = logs.log(AGENCY).head
        assert not any(len(layer) > every + 10 for layer in head.payloads.maps)
        # refused by the rules (the unit exists): answered from the store's unique index
        (again,) = logs.append([logs.prepare(early_unit)])
        assert (again.index, again.created) == (unit_receipt.index, False)
        # accepted by the rules (another annotation): the commit's unique index says no
        (again,) = logs.append([logs.prepare(early_note)])
        assert (again.index, again.created) == (note_receipt.index, False)
        size = logs.log(AGENCY).size
        with pytest.raises(DuplicatePayloadError):
            logs.append([logs.prepare(early_other)])
        assert logs.log(AGENCY).size == size  # nothing was stored for them
    finally:
        runtime.close()


def test_a_long_subject_is_read_back_in_one_statement_per_500_steps(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEJAK_SNAPSHOT_EVERY", "5")
    monkeypatch.setattr("ledger.ledger.STATE_CAPACITY", 4)  # the steps leave the cache
    monkeypatch.setattr("ledger.snapshot.STATE_KEYS_PER_READ", 16)
    runtime = _open(database_url, tmp_path / "data")
    try:
        world = World(runtime).setup()
        for n in range(40):
            world.append(payload("employee.updated", STAFF, HEAD, {"position": f"Analis {n}"}))
        world.append(*(unit_payload(f"unit-{n}") for n in range(10)))  # other values cached
        ledger = runtime.logs.log(AGENCY)
        rows = ledger.head.rows
        assert rows is not None
        before = rows.loads
        with ledger.read_lock():
            view = ledger.agency_state.subject_view(STAFF)
        assert view is not None
        assert len(view.indexes) == 41  # enrolled, then 40 updates
        assert view.state["position"] == "Analis 39"
        # the subject's header, its 41 steps in 3 statements of 16, the policy's header and step
        assert rows.loads - before == 1 + 3 + 2
    finally:
        runtime.close()
    reopened = _open(database_url, tmp_path / "data")  # and from the rows alone, after a restart
    try:
        with reopened.logs.log(AGENCY).read_lock():
            again = reopened.logs.log(AGENCY).agency_state.subject_view(STAFF)
        assert again == view
    finally:
        reopened.close()


def test_what_the_writer_keeps_in_memory_stays_bounded(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEJAK_SNAPSHOT_EVERY", "40")
    monkeypatch.setattr("ledger.ledger.STATE_CAPACITY", 16)
    monkeypatch.setattr("ledger.head.PAYLOAD_CACHE", 30)
    runtime = _open(sqlite_url, tmp_path / "data")
    try:
        world = World(runtime).setup()
        ledger = runtime.logs.log(AGENCY)
        held = []
        for n in range(400):
            world.append(unit_payload(f"unit-{n}"))
            if n % 50 == 49:
                state, head = ledger.agency_state, ledger.head
                unsettled = sum(len(changes) for changes in state.dirty().values())
                held.append((state.cached(), unsettled, len(head.payloads.maps[-1])))
                assert len(head.subjects.maps[-1]) == 0  # heads are the subject map's
        assert all(cached <= 16 * len(STATE_MAPS) for cached, _, _ in held), held
        assert all(unsettled <= 4 * 40 for _, unsettled, _ in held), held  # 4 maps per unit
        assert all(payloads <= 30 for _, _, payloads in held), held
        assert ledger.agency_state.subject_view("unit-3") is not None  # read back from rows
    finally:
        runtime.close()


def test_a_closing_writer_snapshots_so_a_restart_replays_nothing(
    database_url: str, tmp_path: Path, read_ranges: list[tuple[str, int, int]]
) -> None:
    data = tmp_path / "data"
    runtime = _open(database_url, data)
    try:
        world = World(runtime).setup()
        for n in range(5):  # far fewer than the default snapshot interval
            world.append(unit_payload(f"unit-{n}"))
        live = runtime.logs.log(AGENCY)
        size, root, state = live.size, live.head.root, live.agency_state
        assert live.store.recorder.snapshot() is None or live.store.recorder.snapshot().size < size
    finally:
        runtime.close()
    read_ranges.clear()
    again = _open(database_url, data)
    try:
        ledger = again.logs.log(AGENCY)
        stored = ledger.store.recorder.snapshot()
        assert stored is not None
        assert stored.size == size
        assert [r for r in read_ranges if r[0] == AGENCY] == []  # nothing replayed
        assert ledger.size == size
        assert ledger.head.root == root
        assert_same_state(ledger.agency_state, _fold_from_zero(again))
        assert state.size == ledger.agency_state.size
    finally:
        again.close()
