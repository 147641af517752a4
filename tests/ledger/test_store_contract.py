"""The store contract: SQLite and PostgreSQL pass the very same tests, for one log and for
several logs sharing a store (as the logs of one PostgreSQL server do)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from ledger.errors import StoreConflictError
from ledger.records import (
    CheckpointRow,
    EntryRecorded,
    EntryRow,
    LogBatch,
    SubjectMapBatch,
    SubjectNoteRow,
    stream_id,
)
from ledger.store import EventStore, LogStore, TokenRow, open_store

AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


LOG = "kab-contoh"


@pytest.fixture
def shared(database_url: str) -> Iterator[EventStore]:
    opened = open_store(database_url)
    yield opened
    opened.close()


@pytest.fixture
def store(shared: EventStore) -> LogStore:
    return shared.log(LOG)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _batch(
    start: int, subjects: list[tuple[str, int]], log: str = LOG
) -> tuple[list[EntryRecorded], LogBatch]:
    events, batch = [], LogBatch(log)
    for offset, (subject, version) in enumerate(subjects):
        index = start + offset
        events.append(
            EntryRecorded(
                originator_id=stream_id(log, subject),
                originator_version=version,
                timestamp=AT,
                index=index,
                envelope_json=json.dumps(
                    {"payloadType": "t", "payload": base64.b64encode(f"p{index}".encode()).decode()}
                ),
                leaf_json=json.dumps({"subject": subject, "version": version}),
                leaf_hash=_digest(f"leaf{index}").hex(),
            )
        )
        batch.entries.append(
            EntryRow(
                index, stream_id(log, subject), version, _digest(f"p{index}"), _digest(f"e{index}")
            )
        )
        batch.nodes.append((0, index, _digest(f"leaf{index}")))
    size = start + len(subjects)
    batch.checkpoint = CheckpointRow(size, _digest(f"root{size}"), f"note {size}\n", "t")
    bodies = {(4, len(subject)): f"bucket {subject} at {size}".encode() for subject, _ in subjects}
    bodies[(0, 0)] = f"root node at {size}".encode()
    note = SubjectNoteRow(size, _digest(f"map{size}"), f"map note {size}\n")
    batch.subject_map = SubjectMapBatch([(*k, v) for k, v in sorted(bodies.items())], note)
    return events, batch


def test_new_store_is_empty(store: LogStore) -> None:
    assert store.recorder.log_size() == 0
    assert store.recorder.checkpoint(None) is None
    assert store.recorder.entries(0, 10) == []


def test_appended_batch_reads_back_in_index_order(store: LogStore) -> None:
    store.append(*_batch(0, [("a", 1), ("b", 1), ("a", 2)]))
    entries = store.recorder.entries(0, 10)
    assert [e.index for e in entries] == [0, 1, 2]
    decoded = [store.decode(e) for e in entries]
    assert [(d.leaf["subject"], d.originator_version) for d in decoded] == [
        ("a", 1),
        ("b", 1),
        ("a", 2),
    ]
    assert decoded[2].envelope == {"payloadType": "t", "payload": base64.b64encode(b"p2").decode()}
    assert store.recorder.log_size() == 3


def test_subject_events_come_in_version_order(store: LogStore) -> None:
    store.append(*_batch(0, [("a", 1), ("b", 1), ("a", 2)]))
    assert [e.index for e in store.subject_events("a")] == [0, 2]


def test_checkpoints_are_kept_for_every_published_size(store: LogStore) -> None:
    store.append(*_batch(0, [("a", 1)]))
    store.append(*_batch(1, [("b", 1), ("c", 1)]))
    first, latest = store.recorder.checkpoint(1), store.recorder.checkpoint(None)
    assert first is not None
    assert first.note == "note 1\n"
    assert latest is not None
    assert latest.size == 3
    assert store.recorder.checkpoint(2) is None


def test_subject_map_bodies_are_read_as_of_any_published_size(store: LogStore) -> None:
    store.append(*_batch(0, [("a", 1)]))
    store.append(*_batch(1, [("bb", 1), ("c", 1)]))
    store.append(*_batch(3, [("dd", 1)]))
    recorder = store.recorder
    keys = [(4, 1), (4, 2), (0, 0), (3, 9)]
    assert recorder.subject_map_bodies(keys, 1) == {
        (4, 1): b"bucket a at 1",
        (0, 0): b"root node at 1",
    }
    assert recorder.subject_map_bodies(keys, 3) == {
        (4, 1): b"bucket c at 3",
        (4, 2): b"bucket bb at 3",
        (0, 0): b"root node at 3",
    }
    assert recorder.subject_map_bodies(keys, 4)[(4, 2)] == b"bucket dd at 4"
    assert recorder.subject_map_bodies(keys, 2)[(0, 0)] == b"root node at 1"
    note, latest = recorder.subject_note(3), recorder.subject_note(None)
    assert note is not None
    assert note.note == "map note 3\n"
    assert latest is not None
    assert latest.size == 4
    assert recorder.subject_note(2) is None
    below = [recorder.subject_note_at_or_below(size) for size in range(6)]
    assert [None if n is None else n.size for n in below] == [None, 1, 1, 3, 4, 4]
    assert below[2] == recorder.subject_note(1)


def test_nodes_are_read_by_level_and_index(store: LogStore) -> None:
    store.append(*_batch(0, [("a", 1), ("b", 1)]))
    found = store.recorder.nodes([(0, 0), (0, 1), (5, 7)])
    assert found == {(0, 0): _digest("leaf0"), (0, 1): _digest("leaf1")}


def test_index_taken_by_another_writer_is_a_conflict_and_stores_nothing(store: LogStore) -> None:
    store.append(*_batch(0, [("a", 1)]))
    with pytest.raises(StoreConflictError):
        store.append(*_batch(0, [("z", 1)]))
    assert store.recorder.log_size() == 1
    assert store.subject_events("z") == []


def test_subject_version_taken_is_a_conflict_and_stores_nothing(store: LogStore) -> None:
    store.append(*_batch(0, [("a", 1)]))
    with pytest.raises(StoreConflictError):
        store.append(*_batch(1, [("b", 1), ("a", 1)]))
    assert store.recorder.log_size() == 1
    assert store.recorder.checkpoint(None) is not None
    assert store.recorder.checkpoint(3) is None


def test_tokens_are_found_by_digest(store: LogStore) -> None:
    row = TokenRow(_digest("secret"), "agency", "kab-x", "label", "t")
    store.recorder.insert_token(row)
    assert store.recorder.token(_digest("secret")) == row
    assert store.recorder.token(_digest("other")) is None


def test_reopening_sees_the_same_log(database_url: str) -> None:
    first = open_store(database_url)
    first.append(*_batch(0, [("a", 1), ("b", 1)]))
    first.close()
    again = open_store(database_url)
    try:
        log = again.log(LOG)
        assert log.recorder.log_size() == 2
        assert log.recorder.nodes([(0, 1)]) == {(0, 1): _digest("leaf1")}
    finally:
        again.close()


def test_logs_sharing_a_store_have_their_own_indexes_rows_and_checkpoints(
    shared: EventStore,
) -> None:
    shared.append(*_batch(0, [("a", 1), ("b", 1)], log="kab-a"))
    shared.append(*_batch(0, [("a", 1)], log="kab-b"))  # index 0 and subject a again: its own
    a, b = shared.log("kab-a"), shared.log("kab-b")
    assert (a.recorder.log_size(), b.recorder.log_size()) == (2, 1)
    assert [e.index for e in b.recorder.entries(0, 10)] == [0]
    assert [e.index for e in a.subject_events("a")] == [0]
    assert [e.index for e in b.subject_events("a")] == [0]
    cp_a, cp_b = a.recorder.checkpoint(None), b.recorder.checkpoint(None)
    assert cp_a is not None
    assert cp_b is not None
    assert (cp_a.size, cp_b.size) == (2, 1)
    assert b.recorder.nodes([(0, 1)]) == {}
    assert shared.log("kab-c").recorder.log_size() == 0


def test_a_conflict_in_one_log_leaves_the_other_logs_alone(shared: EventStore) -> None:
    shared.append(*_batch(0, [("a", 1)], log="kab-a"))
    with pytest.raises(StoreConflictError):
        shared.append(*_batch(0, [("z", 1)], log="kab-a"))
    shared.append(*_batch(0, [("z", 1)], log="kab-b"))
    assert shared.log("kab-b").recorder.log_size() == 1


def test_writer_turns_of_different_logs_do_not_wait_for_each_other(shared: EventStore) -> None:
    a, b = shared.log("kab-a").recorder, shared.log("kab-b").recorder
    with a.writer_turn() as size_a, b.writer_turn() as size_b:
        assert (size_a, size_b) == (0, 0)


def test_reopening_a_postgres_store_runs_no_ddl_beside_a_busy_writer(postgres_url: str) -> None:
    """A store whose tables exist opens without DDL: CREATE OR REPLACE TRIGGER would wait for
    (and could deadlock with) a writer's open transaction, as a projection worker starting
    beside a busy server once did."""
    open_store(postgres_url).close()  # creates the tables
    schema = postgres_url.split("schema=")[1]
    with psycopg.connect(postgres_url.split("?")[0]) as busy:  # a writer mid-transaction
        busy.execute(f'LOCK TABLE "{schema}".jejak_entries IN ROW EXCLUSIVE MODE')
        opened: list[EventStore] = []
        thread = threading.Thread(target=lambda: opened.append(open_store(postgres_url)))
        thread.start()
        thread.join(60)
        blocked = thread.is_alive()
        busy.rollback()
        thread.join()
    for store in opened:
        store.close()
    assert not blocked, "opening the store waited for the writer's transaction (it ran DDL)"
