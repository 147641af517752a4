"""A log's subject map (docs/subject-map.md) kept by its writer: in memory for the next commit,
and in the store as append-only rows versioned by log size, so a proof at any published size
reads five rows (the subject's bucket and the four nodes above it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from eventsourcing.persistence import IntegrityError

from ledger.errors import NotFoundError
from ledger.proofs import ImpossibleProofError
from ledger.records import SubjectMapBatch, SubjectNoteRow
from ledger.signing import CheckpointSigner
from ledger.store import LogRecorder
from verification.subject_map import (
    MapChange,
    SubjectHead,
    SubjectMap,
    SubjectProof,
    bucket_of,
    proof_from_bodies,
    proof_keys,
    subject_key,
)


class LogSubjectMap:
    """The map of one log as its writer sees it: every head up to the writer's size."""

    def __init__(self, recorder: LogRecorder, signer: CheckpointSigner) -> None:
        self.recorder = recorder
        self.signer = signer
        self.map = SubjectMap()

    def replay(self, heads: Iterable[SubjectHead]) -> None:
        """Heads of entries already stored (the writer catching up)."""
        self.map.set_heads(heads)

    def batch(self, heads: Iterable[SubjectHead], size: int) -> tuple[SubjectMapBatch, MapChange]:
        """The rows and signed note a commit reaching `size` adds; `committed` once stored."""
        change = self.map.change(heads)
        note = SubjectNoteRow(size, change.root, self.signer.sign_subject_map(size, change.root))
        return SubjectMapBatch(change.rows(), note), change

    def committed(self, change: MapChange) -> None:
        self.map.apply(change)

    def head(self, subject: str) -> tuple[int, bytes] | None:
        """The subject's head (version, leaf hash) as of the map's size; None: no entry."""
        key = subject_key(subject)
        return self.map.buckets.get(bucket_of(key), {}).get(key)

    def store_if_missing(self, size: int, checkpoint_size: int | None) -> bool:
        """A log stored before subject maps (no note at its latest checkpoint): write the
        whole map as of `size` with its note. False when another process wrote it first."""
        if checkpoint_size is None or checkpoint_size != size:
            return False
        latest = self.recorder.subject_note(None)
        if latest is not None and latest.size >= size:
            return False
        root = self.map.root
        note = SubjectNoteRow(size, root, self.signer.sign_subject_map(size, root))
        try:
            self.recorder.insert_subject_map(SubjectMapBatch(self.map.bodies(), note))
        except IntegrityError:
            return False  # another process built it at the same size
        return True

    def note(self, size: int) -> SubjectNoteRow:
        return published_note(self.recorder, size)

    def proof(self, subject: str, size: int) -> SubjectProof:
        return stored_proof(self.recorder, subject, size)


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
