"""The writer's subject map read from the store through a bounded cache (ledger/subject_map.py,
ledger/subject_map_cache.py) is the map a full in-memory `SubjectMap` of the same heads is: the
same root after every commit and the same head for every subject, however small its cache, as
of its own size while another writer appends, and without reading the log to open."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.bootstrap import open_runtime
from ledger.errors import LedgerCorruptedError
from ledger.records import SubjectMapBatch, SubjectNoteRow
from ledger.settings import Settings
from ledger.signing import CheckpointSigner
from ledger.store import EventStore, LogRecorder, open_store
from ledger.subject_map import LogSubjectMap, _bucket_and_ancestors
from tests.support import AGENCY, STAFF, World, payload, wfa_request
from verification.note import generate_key
from verification.subject_map import SubjectHead, SubjectMap, bucket_of, proof_keys, subject_key

ORIGIN = "jejak.test"
PRIVATE_KEY, _ = generate_key(ORIGIN)


def _clustered_subjects() -> list[str]:
    """Subjects sharing buckets and level-3 nodes (so a change meets a bucket's other heads
    and a node's other children), and some alone."""
    by_bucket: dict[int, list[str]] = {}
    by_node: dict[int, list[str]] = {}
    for i in range(3000):
        subject = f"s-{i}"
        bucket = bucket_of(subject_key(subject))
        by_bucket.setdefault(bucket, []).append(subject)
        by_node.setdefault(bucket >> 4, []).append(subject)
    shared_bucket = [s for group in by_bucket.values() if len(group) > 1 for s in group][:6]
    shared_node = [s for group in by_node.values() if len(group) > 2 for s in group][:9]
    return sorted({*shared_bucket, *shared_node, "alone-1", "alone-2", "alone-3"})


SUBJECTS = _clustered_subjects()


@pytest.fixture
def shared(database_url: str) -> Iterator[EventStore]:
    opened = open_store(database_url)
    yield opened
    opened.close()


def _recorder(shared: EventStore) -> LogRecorder:
    return shared.log(f"log-{uuid.uuid4().hex[:8]}").recorder


def _map(recorder: LogRecorder, capacity: int) -> LogSubjectMap:
    signer = CheckpointSigner(ORIGIN, PRIVATE_KEY).for_log(recorder.log)
    return LogSubjectMap(recorder, signer, capacity)


class Log:
    """Entries of a log as the map sees them: one head per entry, versions counted."""

    def __init__(self) -> None:
        self.heads: list[SubjectHead] = []
        self.versions: dict[str, int] = {}

    def add(self, subjects: list[str]) -> list[SubjectHead]:
        added = []
        for subject in subjects:
            version = self.versions[subject] = self.versions.get(subject, 0) + 1
            leaf_hash = hashlib.sha256(f"{subject}/{version}/{len(self.heads)}".encode()).digest()
            head = (subject, version, leaf_hash)
            self.heads.append(head)
            added.append(head)
        return added

    def full(self, size: int) -> SubjectMap:
        full = SubjectMap()
        full.set_heads(self.heads[:size])
        return full


def _commit(subject_map: LogSubjectMap, group: list[SubjectHead], size: int) -> None:
    """What the writer does for a group: its subjects' new heads, the rows stored, committed."""
    latest = {subject: (subject, v, h) for subject, v, h in group}
    batch, commit = subject_map.batch(latest.values(), size)
    subject_map.recorder.insert_subject_map(batch)
    subject_map.committed(commit)


def _same_as(subject_map: LogSubjectMap, full: SubjectMap) -> None:
    assert subject_map.root == full.root
    for subject in [*SUBJECTS, "never-written"]:
        bucket = full.buckets.get(bucket_of(subject_key(subject)), {})
        assert subject_map.head(subject) == bucket.get(subject_key(subject))
    wanted = [*SUBJECTS[::2], "never-written"]
    assert subject_map.heads(wanted) == {s: subject_map.head(s) for s in wanted}
    assert subject_map.nodes.cached <= subject_map.nodes.capacity


groups = st.lists(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=6), max_size=12)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(groups=groups, capacity=st.integers(0, 3))
def test_roots_and_heads_equal_the_full_map_after_every_commit(
    shared: EventStore, groups: list[list[str]], capacity: int
) -> None:
    recorder = _recorder(shared)
    subject_map, log = _map(recorder, capacity), Log()
    for subjects in groups:
        group = log.add(subjects)
        _commit(subject_map, group, len(log.heads))
        assert subject_map.size == len(log.heads)
        _same_as(subject_map, log.full(len(log.heads)))
        note = recorder.subject_note(len(log.heads))
        assert note is not None
        assert note.root == subject_map.root


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=st.lists(
        st.tuples(st.booleans(), st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=5)),
        min_size=1,
        max_size=10,
    ),
    stops=st.lists(st.integers(0, 40), max_size=4),
    capacity=st.integers(0, 2),
)
def test_a_writer_catching_up_with_another_answers_as_of_its_own_size(
    shared: EventStore, groups: list[tuple[bool, list[str]]], stops: list[int], capacity: int
) -> None:
    """Two writers of one log take turns (`True`: the first commits); each replays what the
    other stored, in pieces ending anywhere (mid-group too, as the writer's chunks of 2,000
    do), and before catching up answers as of its own older size."""
    recorder = _recorder(shared)
    writers = [_map(recorder, capacity), _map(recorder, capacity)]
    log = Log()
    for first, subjects in groups:
        writer = writers[0 if first else 1]
        behind = writer.size
        _same_as(writer, log.full(behind))  # never a newer size than its own
        pieces = sorted({behind, *(s for s in stops if behind < s < len(log.heads))})
        for start, stop in zip(pieces, [*pieces[1:], len(log.heads)], strict=True):
            writer.replay(log.heads[start:stop], stop)
            _same_as(writer, log.full(stop))
        writer.replay(log.heads[: writer.size], writer.size)  # again from 0: nothing changes
        group = log.add(subjects)
        _commit(writer, group, len(log.heads))
        _same_as(writer, log.full(len(log.heads)))


def test_a_buckets_ancestors_are_the_nodes_of_its_proof() -> None:
    for subject in SUBJECTS:
        assert _bucket_and_ancestors(bucket_of(subject_key(subject))) == proof_keys(subject)


def test_a_log_stored_before_subject_maps_is_built_once_then_read_from_the_store(
    shared: EventStore,
) -> None:
    recorder = _recorder(shared)
    subject_map, log = _map(recorder, 2), Log()
    heads = log.add([SUBJECTS[i % len(SUBJECTS)] for i in range(40)])
    subject_map.replay(heads[:25], 25)
    subject_map.replay(heads[25:], 40)
    assert subject_map.nodes.reads == 0  # nothing stored to read
    assert subject_map.store_if_missing(40, 40)
    assert not subject_map.pending
    _same_as(subject_map, log.full(40))
    _commit(subject_map, log.add(["alone-1", SUBJECTS[0]]), 42)
    _same_as(subject_map, log.full(42))
    other = _map(recorder, 2)
    other.replay(log.heads, 42)
    assert not other.pending
    _same_as(other, log.full(42))


def test_resuming_at_a_size_reads_one_row_and_no_entry(shared: EventStore) -> None:
    recorder = _recorder(shared)
    writer, log = _map(recorder, 4), Log()
    for start in range(0, 60, 6):
        _commit(writer, log.add(SUBJECTS[start % 12 : start % 12 + 6]), len(log.heads))
    opened = _map(recorder, 4)
    assert opened.resume(60)
    assert (opened.nodes.reads, opened.nodes.rows_read) == (1, 1)  # the root, checked
    assert opened.size == 60
    _same_as(opened, log.full(60))
    assert not _map(recorder, 4).resume(59)  # no note there: mid-group or before the map


def test_a_stored_root_that_disagrees_with_its_note_stops_the_writer(shared: EventStore) -> None:
    recorder = _recorder(shared)
    writer, log = _map(recorder, 4), Log()
    _commit(writer, log.add(["alone-1"]), 1)
    note = SubjectNoteRow(2, hashlib.sha256(b"another root").digest(), "note\n")
    recorder.insert_subject_map(SubjectMapBatch([], note))  # a note without its rows
    with pytest.raises(LedgerCorruptedError, match="at size 2 has root"):
        _map(recorder, 4).resume(2)
    with pytest.raises(LedgerCorruptedError, match="its note says"):
        writer.replay(log.add(["alone-2"]), 2)


def test_reopening_a_log_reads_no_map_row_per_entry(database_url: str, tmp_path: Path) -> None:
    """The map rows a writer reads to open stay a handful whatever the log's length (the
    entries its head replays are the head's, not the map's)."""
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    runtime = open_runtime(Settings.from_env(env))
    try:
        world = World(runtime).setup()
        logs = runtime.logs
        requests = [payload("wfa.requested", f"r-{i}", STAFF, wfa_request()) for i in range(60)]
        submissions = [logs.prepare(world.agency_signer.sign(p)) for p in requests]
        for start in range(0, len(submissions), 7):
            logs.log(AGENCY).append(submissions[start : start + 7])
        size = logs.log(AGENCY).size
        root = logs.log(AGENCY).subject_map.root
    finally:
        runtime.close()
    runtime = open_runtime(Settings.from_env(env))
    try:
        ledger = runtime.logs.log(AGENCY)
        assert ledger.size == size
        nodes = ledger.subject_map.nodes
        assert nodes.rows_read <= 2, "the root, checked against its note, once per catch-up"
        assert len(nodes) <= 1
        assert ledger.subject_map.root == root
        assert ledger.subject_map.head("r-59") == (
            1,
            bytes.fromhex(ledger.entry(size - 1).leaf_hash),
        )
        assert ledger.subject_map.head("r-never") is None
    finally:
        runtime.close()


def test_a_writer_behind_another_process_answers_as_of_its_own_size(
    database_url: str, tmp_path: Path
) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    first = open_runtime(Settings.from_env(env))
    world = World(first).setup()
    second = open_runtime(Settings.from_env(env))
    try:
        behind = second.logs.log(AGENCY)
        world.append(payload("wfa.requested", "req-a", STAFF, wfa_request(STAFF)))
        ahead = first.logs.log(AGENCY)
        assert behind.size < ahead.size
        assert behind.subject_map.head("req-a") is None  # stored, but after its size
        assert behind.subject_map.root != ahead.subject_map.root
        behind.catch_up()
        assert behind.size == ahead.size
        assert behind.subject_map.head("req-a") == ahead.subject_map.head("req-a") is not None
        assert behind.subject_map.root == ahead.subject_map.root
        assert not behind.subject_map.pending
    finally:
        second.close()
        first.close()
