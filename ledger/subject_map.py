"""A log's subject map (docs/subject-map.md) kept by its writer: in the store as append-only
rows versioned by log size, so a proof at any published size reads five rows (the subject's
bucket and the four nodes above it), and in memory only as a bounded cache of those rows
(`ledger/subject_map_cache.py`), so the writer's memory and start-up do not grow with the log."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError

from ledger.errors import LedgerCorruptedError, NotFoundError
from ledger.proofs import ImpossibleProofError
from ledger.records import SubjectMapBatch, SubjectNoteRow
from ledger.signing import CheckpointSigner
from ledger.store import LogRecorder
from ledger.subject_map_cache import (
    CACHE_BUCKETS,
    EMPTY_BODY,
    NodeCache,
    bucket_heads,
    head_in_bucket,
    node_children,
)
from verification.subject_map import (
    EMPTY,
    LEVELS,
    NODE_PREFIX,
    KeyedHead,
    MapChange,
    NodeKey,
    SubjectHead,
    SubjectProof,
    bucket_of,
    map_change,
    proof_from_bodies,
    proof_keys,
    subject_key,
)

PARSED_LEVELS = 3
"""The nodes of levels 0..2 (273) are also kept parsed into their 16 child hashes: a commit of
n buckets passes up to 1 + 16 + n of them."""


@dataclass(frozen=True)
class MapCommit:
    """A commit's change of the map, computed by `LogSubjectMap.batch` for the log size
    `size`; `LogSubjectMap.committed` makes it current once its rows are stored."""

    size: int
    change: MapChange


class LogSubjectMap:
    """The map of one log as its writer sees it, as of the writer's size `size`.

    It is the store's map rows as of `nodes.size` (the latest size at or below `size` the log
    published a note at: every group commit stores its rows with its note) and, in `pending`,
    the heads of the entries from there to `size` that the writer replayed (none once it has
    caught up with a commit; the whole log, once, for a log stored before subject maps, until
    `store_if_missing` writes its map). Only a bounded cache of the rows is in memory
    (`NodeCache`), so it answers as of its writer's size whatever other processes append.

    Used by the writer's thread (`head` may be called from any: the cache is thread-safe)."""

    def __init__(
        self, recorder: LogRecorder, signer: CheckpointSigner, capacity: int = CACHE_BUCKETS
    ) -> None:
        self.recorder = recorder
        self.signer = signer
        self.nodes = NodeCache(recorder, capacity)
        self.size = 0
        self.pending: dict[bytes, tuple[int, int, bytes]] = {}  # key -> (index, version, hash)
        # the child hashes of the resident nodes, parsed once from the body they are of
        self._parsed: dict[NodeKey, tuple[bytes, list[bytes]]] = {}

    # Following the log ---------------------------------------------------------------------

    def resume(self, size: int) -> bool:
        """Stand at `size` from the store alone (a writer starting from a snapshot of its head),
        the stored root checked against the note. False, and nothing changed, when the log
        published no note at `size` (a log stored before subject maps): replay it then."""
        note = None if size == 0 else self.recorder.subject_note(size)
        if size and note is None:
            return False
        self.nodes.reset(size)  # every cached body may be of another size
        self.size = size
        self.pending = {}
        if note is not None:
            self._check_root(note)
        return True

    def replay(self, heads: Sequence[SubjectHead], size: int) -> None:
        """The heads of stored entries, one per entry, the last of entry `size - 1` (the writer
        catching up). Heads the map reflects already are skipped (a fold again from 0, after a
        redaction, ends at the same map). Their rows are stored: the map reads the store as of
        the latest note at or below `size`, and keeps the heads after that note only."""
        start = size - len(heads)
        if size <= self.size:
            return
        if start > self.size:
            raise LedgerCorruptedError(
                f"the subject map of log {self.recorder.log} stands at size {self.size},"
                f" not at {start} where the replayed entries start"
            )
        skipped = self.size - start
        for index, (subject, version, leaf_hash) in enumerate(heads[skipped:], self.size):
            self.pending[subject_key(subject)] = (index, version, leaf_hash)
        self.size = size
        self._rebase()

    def _rebase(self) -> None:
        """Read the store as of its latest note at or below `size` (when newer than the
        cache's), dropping what the replayed entries changed since the cache's size."""
        note = self.recorder.subject_note_at_or_below(self.size)
        if note is None or note.size <= self.nodes.size:
            return
        changed: dict[NodeKey, None] = {}
        for bucket in {bucket_of(key) for key in self.pending}:
            changed.update(dict.fromkeys(_bucket_and_ancestors(bucket)))
        self.nodes.advance(note.size, changed)
        self.pending = {k: head for k, head in self.pending.items() if head[0] >= note.size}
        self._check_root(note)

    def _check_root(self, note: SubjectNoteRow) -> None:
        root = self._stored_root()
        if root != note.root:
            raise LedgerCorruptedError(
                f"the stored subject map of log {self.recorder.log} at size {note.size} has"
                f" root {root.hex()}, its note says {note.root.hex()}"
            )

    def _stored_root(self) -> bytes:
        body = self.nodes.body((0, 0))
        return EMPTY[0] if body == EMPTY_BODY else hashlib.sha256(NODE_PREFIX + body).digest()

    # Reading -------------------------------------------------------------------------------

    def head(self, subject: str) -> tuple[int, bytes] | None:
        """The subject's (version, leaf hash) as of `size`, None when it has no entry: from
        memory when its bucket is cached, else one row read."""
        key = subject_key(subject)
        found = self.pending.get(key)
        if found is not None:
            return found[1], found[2]
        return head_in_bucket(self.nodes.body((LEVELS, bucket_of(key))), key)

    def heads(self, subjects: Iterable[str]) -> dict[str, tuple[int, bytes] | None]:
        """`head` of each subject, the buckets not cached read in one store call (a group's
        subjects, before the writer checks it, cost one read instead of one each)."""
        keys = {subject: subject_key(subject) for subject in subjects}
        found: dict[str, tuple[int, bytes] | None] = {}
        for subject, key in keys.items():
            pending = self.pending.get(key)
            if pending is not None:
                found[subject] = pending[1], pending[2]
        bodies = self.nodes.bodies(
            (LEVELS, bucket_of(k)) for s, k in keys.items() if s not in found
        )
        for subject, key in keys.items():
            if subject not in found:
                found[subject] = head_in_bucket(bodies[(LEVELS, bucket_of(key))], key)
        return found

    @property
    def root(self) -> bytes:
        """The map's root as of `size`."""
        if not self.pending:
            return self._stored_root()
        return self._change([]).root

    # Committing ----------------------------------------------------------------------------

    def batch(self, heads: Iterable[SubjectHead], size: int) -> tuple[SubjectMapBatch, MapCommit]:
        """The rows and signed note a commit reaching `size` adds; `committed` once stored."""
        change = self._change([(subject_key(s), v, h) for s, v, h in heads])
        note = SubjectNoteRow(size, change.root, self.signer.sign_subject_map(size, change.root))
        return SubjectMapBatch(change.rows(), note), MapCommit(size, change)

    def committed(self, commit: MapCommit) -> None:
        """The rows of `commit` are stored: the map stands at its size (the change covered
        the pending heads as well)."""
        change = commit.change
        self.nodes.update(commit.size, change.bodies)
        for key, children in change.children.items():
            if key[0] < PARSED_LEVELS:
                self._parsed[key] = (change.bodies[key], children)
        self.size = commit.size
        self.pending = {}

    def _change(self, heads: list[KeyedHead]) -> MapChange:
        """The change setting the pending heads and then `heads` over the stored map, reading
        the touched buckets and their ancestors (the misses in one store call)."""
        every = [(key, version, leaf_hash) for key, (_, version, leaf_hash) in self.pending.items()]
        every += heads
        wanted: list[NodeKey] = [(0, 0)]
        for bucket in {bucket_of(key) for key, _, _ in every}:
            wanted += _bucket_and_ancestors(bucket)
        bodies = self.nodes.bodies(wanted)
        stored_buckets = {}
        children = {}
        parsed = self._parsed
        for key, body in bodies.items():
            if body == EMPTY_BODY:
                continue
            if key[0] == LEVELS:
                stored_buckets[key[1]] = bucket_heads(body)
                continue
            memo = parsed.get(key)
            if memo is not None and memo[0] is body:
                children[key] = memo[1]
            else:
                children[key] = node_children(body)
                if key[0] < PARSED_LEVELS:
                    parsed[key] = (body, children[key])
        return map_change(every, stored_buckets, children)

    def store_if_missing(self, size: int, checkpoint_size: int | None) -> bool:
        """A log stored before subject maps (no note at its latest checkpoint): write the
        whole map as of `size` with its note (from the heads replayed: the one time the map is
        whole in memory). False when another process wrote it first."""
        if checkpoint_size is None or checkpoint_size != size or self.size != size:
            return False
        latest = self.recorder.subject_note(None)
        if latest is not None and latest.size >= size:
            self._rebase()
            return False
        change = self._change([])
        note = SubjectNoteRow(size, change.root, self.signer.sign_subject_map(size, change.root))
        try:
            self.recorder.insert_subject_map(SubjectMapBatch(change.rows(), note))
        except IntegrityError:
            self._rebase()  # another process built it at the same size
            return False
        self.committed(MapCommit(size, change))
        return True

    def note(self, size: int) -> SubjectNoteRow:
        return published_note(self.recorder, size)

    def proof(self, subject: str, size: int) -> SubjectProof:
        return stored_proof(self.recorder, subject, size)


def _bucket_and_ancestors(bucket: int) -> list[NodeKey]:
    """The bucket and the nodes above it (`path` without the positions)."""
    return [(LEVELS, bucket), (3, bucket >> 4), (2, bucket >> 8), (1, bucket >> 12), (0, 0)]


def published_note(recorder: LogRecorder, size: int) -> SubjectNoteRow:
    """The subject-map note the log published at `size`; NotFoundError when none."""
    found = recorder.subject_note(size)
    if found is None:
        raise NotFoundError(f"log {recorder.log} published no subject-map note of size {size}")
    return found


def stored_proof(recorder: LogRecorder, subject: str, size: int) -> SubjectProof:
    """The head (or absence) of `subject` at a size whose note was published: five row reads
    (the subject's bucket and the four nodes above it, each as of `size`)."""
    (proof,) = stored_proofs(recorder, [subject], size)
    return proof


def stored_proofs(
    recorder: LogRecorder, subjects: Iterable[str], size: int
) -> Iterator[SubjectProof]:
    """`stored_proof` of each subject, the note's publication checked once for all."""
    if size < 1:
        raise ImpossibleProofError("a subject-map proof is of a size of at least 1")
    published_note(recorder, size)
    for subject in subjects:
        bodies = recorder.subject_map_bodies(proof_keys(subject), size)
        yield proof_from_bodies(subject, size, bodies)
