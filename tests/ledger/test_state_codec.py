"""The state's flat, versioned encoding (ledger/state_codec.py), and the fold over it: a state whose
maps live in encoded rows behind a small cache, snapshotted and resumed, equals the state
folded in memory from entry 0 (values, flags, views) on every demo log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from api.demo.load import open_demo_runtime
from domain.aggregates import Key, Placement
from domain.entry import Entry
from domain.registry import RegistryState
from domain.state import LedgerState, Position
from domain.store import Chain, Stores
from ledger.settings import Settings
from ledger.state_codec import FORMAT, STATE_MAPS, CodecError, decode, encode, encode_changes
from projections.decode import to_entry
from tests.ledger.state_keys import every_key

WITA = timezone(timedelta(hours=8))


class Rows:
    """A snapshot table in a dict: (map, key bytes) -> value bytes, as a store would keep it."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, bytes], bytes] = {}
        self.loads = 0

    def load(self, name: str, key: object) -> object | None:
        self.loads += 1
        codec = STATE_MAPS[name]
        found = self.rows.get((name, codec.encode_key(key)))
        return None if found is None else codec.decode_value(found)

    def store(self, state: LedgerState) -> None:
        for name, key, value in encode_changes(state.dirty()):
            self.rows[(name, key)] = value
        state.settle()


@pytest.fixture(scope="module")
def demo_logs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RegistryState, dict[str, list[Entry]]]]:
    data: Path = tmp_path_factory.mktemp("demo")
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(data), "JEJAK_DATABASE_URL": f"sqlite:///{data / 'l.sqlite'}"}
    )
    runtime, _ = open_demo_runtime(settings)
    try:
        logs = {}
        for log in runtime.logs.ids()[1:]:
            store = runtime.logs.log(log).store
            size = store.recorder.log_size()
            logs[log] = [to_entry(store.decode(e)) for e in store.recorder.entries(0, size)]
        yield runtime.logs.registry_state, logs
    finally:
        runtime.close()


def _in_memory(log: str, registry: RegistryState, entries: list[Entry]) -> LedgerState:
    state = LedgerState(log, registry, keep_steps=True)
    for entry in entries:
        state.refold(entry)
    return state


def _values(state: LedgerState, keys: dict[str, set[object]]) -> dict[str, dict[object, object]]:
    stores: Stores = state._stores
    return {name: {k: getattr(stores, name).get(k) for k in ks} for name, ks in keys.items()}


def test_every_value_of_every_demo_map_reads_back_equal(demo_logs: tuple) -> None:
    registry, logs = demo_logs
    for log, entries in logs.items():
        state = _in_memory(log, registry, entries)
        keys = every_key(state)
        assert sum(map(len, keys.values())) > 50
        for name, values in _values(state, keys).items():
            codec = STATE_MAPS[name]
            for key, value in values.items():
                assert codec.decode_key(codec.encode_key(key)) == key
                assert codec.decode_value(codec.encode_value(value)) == value, (name, key)


@pytest.mark.parametrize("cut", [0.0, 0.37, 0.8, 1.0])
def test_snapshot_and_tail_fold_equals_the_fold_from_entry_zero(
    demo_logs: tuple, cut: float
) -> None:
    registry, logs = demo_logs
    raised_anywhere = 0
    for log, entries in logs.items():
        whole = _in_memory(log, registry, entries)
        rows = Rows()
        head = LedgerState(log, registry, loader=rows.load, capacity=7, keep_steps=True)
        at = int(len(entries) * cut)
        for n, entry in enumerate(entries[:at], 1):
            head.refold(entry)
            if n % 11 == 0:
                rows.store(head)  # flushed every few entries, caches of seven values
        rows.store(head)
        position = decode(encode(head.position()), Position)
        resumed = LedgerState.resumed(
            position, log, registry, loader=rows.load, capacity=7, keep_steps=True
        )
        flags = []
        for entry in entries[at:]:
            recorded = resumed.refold(entry)
            flags.append(None if recorded is None else recorded.flags)
        assert resumed.size == whole.size
        assert resumed.last_integrated_at == whole.last_integrated_at
        keys = every_key(whole)
        assert _values(resumed, keys) == _values(whole, keys)
        tail_flags = [s.flags for s in _steps_after(whole, at)]
        raised = sorted((f.entry, f.rule, f.detail) for fs in flags if fs for f in fs)
        assert raised == sorted((f.entry, f.rule, f.detail) for fs in tail_flags for f in fs)
        raised_anywhere += len(raised)
        now = whole.last_integrated_at
        for subject in keys["kinds"]:
            assert resumed.subject_view(subject, now) == whole.subject_view(subject, now)
        assert resumed.cached() <= 7 * len(STATE_MAPS)
    assert cut == 1.0 or raised_anywhere > 0  # the tail raises flags of its own


def _steps_after(state: LedgerState, at: int) -> Iterator:
    steps = _values(state, {"subject_steps": every_key(state)["subject_steps"]})["subject_steps"]
    yield from (s for s in steps.values() if s.index >= at)  # type: ignore[attr-defined]


def test_a_long_lived_subject_adds_one_step_value_per_entry(demo_logs: tuple) -> None:
    """A presence stream gains a step a day: each entry writes its one step and the subject's
    small header, never the subject's history again."""
    registry, logs = demo_logs
    log, entries = max(logs.items(), key=lambda item: len(item[1]))
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.event.subject] = counts.get(entry.event.subject, 0) + 1
    busiest = max(counts, key=counts.__getitem__)
    assert counts[busiest] >= 12  # a subject of many entries
    rows = Rows()
    state = LedgerState(log, registry, loader=rows.load, capacity=7, keep_steps=True)
    written: list[tuple[int, int]] = []
    for entry in entries:
        state.refold(entry)
        changed = encode_changes(state.dirty())
        if entry.event.subject == busiest:
            mine = [(n, v) for n, k, v in changed if n in ("subjects", "subject_steps")]
            assert sorted(n for n, _ in mine) == ["subject_steps", "subjects"]
            written.append((len(dict(mine)["subjects"]), len(dict(mine)["subject_steps"])))
        rows.store(state)
    assert max(header for header, _ in written) < 120  # kind, agency and a count
    first_steps = [step for _, step in written[:5]]
    assert max(step for _, step in written) < 3 * max(first_steps)  # one step, not a history
    view = state.subject_view(busiest)
    assert view is not None
    assert len(view.indexes) == counts[busiest]


def test_the_whole_log_reads_are_refused_over_a_loader(demo_logs: tuple) -> None:
    registry, logs = demo_logs
    log = next(iter(logs))
    state = LedgerState(log, registry, loader=Rows().load, keep_steps=True)
    with pytest.raises(Exception, match="read models"):
        state.complaints()
    with pytest.raises(Exception, match="read models"):
        state.requests_of(log)


def test_offsets_of_local_times_survive() -> None:
    key = Key("k1", "org", b"\x00" * 32, None, datetime(2026, 1, 5, 8, 0, tzinfo=WITA))
    back = decode(encode(key), Key)
    assert back == key
    assert back.valid_from.isoformat() == "2026-01-05T08:00:00+08:00"
    placed = Placement(3, "unit", datetime(2026, 1, 5, tzinfo=UTC), date(2026, 1, 5))
    assert decode(encode(placed), Placement) == placed


def test_a_deep_chain_is_written_flat_and_read_back() -> None:
    chain: Chain[str] | None = None
    for n in range(200_000):  # far deeper than any recursive encoder allows
        chain = Chain(f"r{n}", chain)
    codec = STATE_MAPS["agency_requests"]
    back = codec.decode_value(codec.encode_value(chain))
    assert isinstance(back, Chain)
    assert list(back) == list(chain)


def test_damaged_or_foreign_bytes_are_refused() -> None:
    codec = STATE_MAPS["requests"]
    good = STATE_MAPS["unit_staff"].encode_value(frozenset({"a", "b"}))
    flipped = good[:-2] + bytes([good[-2] ^ 0x01]) + good[-1:]
    with pytest.raises(CodecError, match="checksum"):
        STATE_MAPS["unit_staff"].decode_value(flipped)
    with pytest.raises(CodecError, match="unreadable as Request"):
        codec.decode_value(good)  # a row of another map
    with pytest.raises(CodecError, match="format"):
        codec.decode_value(good[:1] + bytes([FORMAT + 1]) + good[2:])
    with pytest.raises(CodecError, match="magic"):
        codec.decode_value(b"\x80\x04pickle")
    with pytest.raises(CodecError):
        STATE_MAPS["location_days"].decode_key(b"[1,2")
