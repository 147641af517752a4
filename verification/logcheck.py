"""One log's checks in a bundle/2: its checkpoint, consistency, entries, ranges and chains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from verification.errors import VerificationError
from verification.failures import (
    CheckpointError,
    ConsistencyError,
    FailedCheckError,
    InclusionError,
    MissingEntryError,
    RangeProofError,
)
from verification.inclusion import InclusionVerifier
from verification.merkle import verify_consistency
from verification.note import Checkpoint, key_name, parse_checkpoint, verify_note
from verification.ranges import RangeBuilder, range_root
from verification.records import LogRecord, RangeRecord


def log_origin(log_key: str, log: str) -> str:
    """The origin every checkpoint of `log` must carry: `<key name>/<log>` (DESIGN §4)."""
    return f"{key_name(log_key)}/{log}"


def read_note(note: str, log_key: str) -> Checkpoint:
    """A note signed by the log key, parsed as a checkpoint (raises VerificationError)."""
    return parse_checkpoint(verify_note(note, log_key))


def check_checkpoint(
    record: LogRecord, log_key: str, failures: list[FailedCheckError]
) -> Checkpoint | None:
    """The log's checkpoint if signed by the ledger key with the log's origin; else a failure."""
    origin = log_origin(log_key, record.log)
    try:
        checkpoint = read_note(record.checkpoint, log_key)
    except VerificationError as error:
        failures.append(CheckpointError(f"not signed by the log key: {error}"))
        return None
    problem = None
    if checkpoint.origin != origin:
        problem = f"origin {checkpoint.origin!r} is not {origin!r}"
    elif record.origin != origin:
        problem = f"the log record's origin {record.origin!r} is not {origin!r}"
    elif checkpoint.extensions:
        problem = "a checkpoint carries no extension lines"
    if problem is not None:
        failures.append(CheckpointError(problem))
        return None
    return checkpoint


def check_subject_map(
    record: LogRecord, log_key: str, checkpoint: Checkpoint, failures: list[FailedCheckError]
) -> Checkpoint | None:
    """The log's subject-map note (None when the record has none, or on a failure): signed by
    the log key, origin `<log origin>/subjects`, the checkpoint's size, no extension lines."""
    note = record.subject_map
    if note is None:
        return None
    origin = log_origin(log_key, record.log)
    try:
        subject_map = read_note(note, log_key)
    except VerificationError as error:
        failures.append(CheckpointError(f"subject-map note: {error}"))
        return None
    problem = None
    if subject_map.origin != f"{origin}/subjects":
        problem = f"subject-map origin {subject_map.origin!r} is not {origin}/subjects"
    elif subject_map.size != checkpoint.size:
        problem = f"subject-map size {subject_map.size} is not the checkpoint's {checkpoint.size}"
    elif subject_map.extensions:
        problem = "a subject-map note carries no extension lines"
    if problem is not None:
        failures.append(CheckpointError(problem))
        return None
    return subject_map


def check_consistency(
    record: LogRecord, checkpoint: Checkpoint, trusted: Checkpoint
) -> FailedCheckError | None:
    """The log's checkpoint extends the one the inspector kept (same tree or a proven prefix)."""
    if trusted.size > checkpoint.size:
        return ConsistencyError(
            f"the bundle's tree ({checkpoint.size}) is older than the trusted one ({trusted.size})"
        )
    if trusted.size == checkpoint.size:
        if trusted.root != checkpoint.root:
            return ConsistencyError(
                f"two roots for size {trusted.size}: trusted {trusted.root.hex()}, "
                f"bundle {checkpoint.root.hex()} (a forked log)"
            )
        return None
    proof = record.consistency
    if proof is None or proof.from_size != trusted.size:
        return ConsistencyError(f"the bundle has no consistency proof from size {trusted.size}")
    try:
        verify_consistency(
            trusted.size, checkpoint.size, proof.hashes, trusted.root, checkpoint.root
        )
    except VerificationError as error:
        return ConsistencyError(f"from size {trusted.size} to {checkpoint.size}: {error}")
    return None


@dataclass
class RangeCheck:
    """A range record of the log, built from its leaves as they stream by."""

    record: RangeRecord
    builder: RangeBuilder | None  # None: the range does not fit the checkpoint
    first_at: datetime | None = None  # integrated_at of entry `start`
    last_at: datetime | None = None  # integrated_at of entry `end - 1`
    done: bool = False


@dataclass
class Inclusion:
    """Inclusion of a log's entries: each by its proof, or by a range that covers it."""

    checkpoint: Checkpoint | None
    ranges: list[RangeCheck] = field(default_factory=list)
    proofs: InclusionVerifier | None = None
    missing: int | None = None  # the first index a range lacks, once seen

    @classmethod
    def of(cls, checkpoint: Checkpoint | None, ranges: Sequence[RangeRecord]) -> Inclusion:
        found = cls(checkpoint)
        if checkpoint is not None:
            found.proofs = InclusionVerifier(checkpoint.size, checkpoint.root)
        for record in ranges:
            builder = None
            if checkpoint is not None and record.end <= checkpoint.size:
                builder = RangeBuilder(checkpoint.size, record.start, record.end)
            found.ranges.append(RangeCheck(record, builder))
        return found

    def entry(
        self,
        index: int,
        leaf_hash: bytes,
        proof: tuple[bytes, ...] | None,
        at: datetime,
        failures: list[FailedCheckError],
    ) -> None:
        covered = False
        for check in self.ranges:
            record = check.record
            if record.start <= index < record.end:
                covered = True
                if check.builder is not None:
                    check.builder.add(index, leaf_hash)
                    if self.missing is None:
                        self.missing = check.builder.missing
                if index == record.start:
                    check.first_at = at
                if index == record.end - 1:
                    check.last_at = at
        if self.proofs is None:
            return
        if proof is not None:
            try:
                self.proofs.verify(leaf_hash, index, proof)
            except VerificationError as error:
                failures.append(InclusionError(index, str(error)))
        elif not covered:
            failures.append(InclusionError(index, "no inclusion proof, and no range covers it"))

    def finish_range(self, record: RangeRecord, failures: list[FailedCheckError]) -> None:
        """Check a range once its record is read: every entry present and the root rebuilt."""
        for check in self.ranges:
            if check.record == record and not check.done:
                check.done = True
                _finish(check, self.checkpoint, failures)
                return
        failures.append(RangeProofError(record.start, "a range record the first pass missed"))

    def finish(self, failures: list[FailedCheckError]) -> None:
        for check in self.ranges:
            if not check.done:
                check.done = True
                _finish(check, self.checkpoint, failures)


def _finish(
    check: RangeCheck, checkpoint: Checkpoint | None, failures: list[FailedCheckError]
) -> None:
    record, builder = check.record, check.builder
    where = f"range [{record.start}, {record.end})"
    if checkpoint is None:
        return  # the checkpoint's own failure says it all
    if builder is None:
        failures.append(
            RangeProofError(
                record.start, f"{where} reaches past the checkpoint's {checkpoint.size}"
            )
        )
        return
    missing = builder.first_missing()
    if missing is not None:
        failures.append(
            MissingEntryError(missing, f"entry {missing} of {where} is not in the bundle")
        )
        return
    try:
        root = range_root(
            checkpoint.size, record.start, record.end, builder.inside(), record.hashes
        )
    except VerificationError as error:
        failures.append(RangeProofError(record.start, f"{where}: {error}"))
        return
    if root != checkpoint.root:
        failures.append(
            RangeProofError(
                record.start,
                f"{where} rebuilds root {root.hex()}, the checkpoint's is {checkpoint.root.hex()}",
            )
        )
