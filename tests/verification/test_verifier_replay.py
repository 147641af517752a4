"""LedgerState(allow_gaps=True): the bundle replay mode of the domain fold."""

from __future__ import annotations

import pytest

from domain.entry import Entry
from domain.errors import EntryOutOfOrderError
from domain.state import LedgerState
from tests.domain.builders import STAFF2, STAFF3, world


def test_gap_mode_replays_a_subset_with_skipped_indexes_to_the_same_view() -> None:
    w = world()
    w.request("req-1")
    w.request("req-2", employee=STAFF2)
    w.approve("req-1")
    skipped = {e.index for e in w.entries if e.event.subject == "req-2"}
    replay = LedgerState(allow_gaps=True)
    for entry in w.entries:
        if entry.index not in skipped:
            replay.record(entry)
    assert replay.subject_view("req-1") == w.state.subject_view("req-1")
    assert replay.size == w.state.size


def test_gap_mode_still_refuses_indexes_that_fall() -> None:
    w = world()
    w.request("req-1")
    replay = LedgerState(allow_gaps=True)
    for entry in w.entries:
        replay.record(entry)
    last = w.entries[-1]
    with pytest.raises(EntryOutOfOrderError, match="recorded at log size"):
        replay.record(Entry(last.index - 1, last.event, last.keyids, last.integrated_at))


def test_default_mode_still_refuses_a_gap() -> None:
    w = world()
    w.request("req-1", employee=STAFF3)
    strict = LedgerState()
    first, *rest = w.entries
    strict.record(first)
    with pytest.raises(EntryOutOfOrderError):
        strict.record(rest[1])


def test_forks_keep_the_gap_mode() -> None:
    w = world()
    replay = LedgerState(allow_gaps=True)
    replay.record(w.entries[0])
    fork = replay.fork()
    w.request("req-1")
    last = w.entries[-1]
    for entry in w.entries[1:-1]:
        fork.record(entry)
    fork.record(Entry(last.index + 5, last.event, last.keyids, last.integrated_at))
    fork.commit()
    assert replay.size == last.index + 6
