"""The head records of one log of a bundle/2: each subject-map proof checked against the log's
subject-map note, and the chain the bundle holds checked to run from version 1 to that head."""

from __future__ import annotations

from verification.failures import FailedCheckError, HeadProofError, MissingEntryError
from verification.note import Checkpoint
from verification.records import HeadRecord
from verification.subject_map import (
    SubjectProofError,
    SubjectProofSizeError,
    parse_subject_proof,
    verify_subject_proof,
)

ABSENT = 0
"""The proven version of a subject the map proves to have no entry."""


def check_head(
    record: HeadRecord,
    subject_map: Checkpoint | None,
    chain: tuple[int, str, int] | None,
    first: tuple[int, int] | None,
    failures: list[FailedCheckError],
    partial: list[str],
) -> int | None:
    """The head's proven version (ABSENT for a proven absence), or None when not proven.

    `chain` is the bundle's last entry of the subject in this log (version, leaf hash, index),
    `first` its first (version, index) when that is past version 1; what cannot be proven goes
    to `partial`, what is wrong to `failures`."""
    subject, log = record.subject, record.log
    if subject_map is None:
        partial.append(
            f"the head of {subject} in log {log} is not proven: the bundle has no verified"
            " subject-map note of the log"
        )
        return None
    try:
        proof = parse_subject_proof(record.proof)
        if proof.subject != subject:
            raise HeadProofError(None, f"the head record of {subject} proves {proof.subject!r}")
        head = verify_subject_proof(proof, subject_map.root, subject_map.size)
    except SubjectProofSizeError as stale:
        partial.append(
            f"the head of {subject} in log {log} is not proven: its proof is of size"
            f" {stale.actual}, the subject-map note's is {stale.expected} (a stale proof)"
        )
        return None
    except SubjectProofError as error:
        failures.append(HeadProofError(None, f"the head of {subject}: {error}"))
        return None
    except HeadProofError as error:
        failures.append(error)
        return None
    if head is None:
        if chain is not None:
            failures.append(
                HeadProofError(
                    None,
                    f"the subject map proves {subject} absent at size {subject_map.size},"
                    f" but the bundle holds its version {chain[0]}",
                )
            )
            return None
        return ABSENT
    where = f"(its head at size {subject_map.size} is version {head.version})"
    if chain is None:
        failures.append(
            MissingEntryError(
                None, f"versions 1..{head.version} of {subject} are not in the bundle {where}"
            )
        )
        return None
    version, leaf_hash, last_index = chain
    if first is not None and first[0] > 1:
        failures.append(
            MissingEntryError(
                first[1], f"versions 1..{first[0] - 1} of {subject} are not in the bundle {where}"
            )
        )
        return None
    if version < head.version:
        failures.append(
            MissingEntryError(
                last_index,
                f"versions {version + 1}..{head.version} of {subject}, after this entry (version"
                f" {version}), are not in the bundle {where}",
            )
        )
        return None
    if version > head.version or leaf_hash != head.leaf_hash.hex():
        failures.append(
            HeadProofError(
                None,
                f"the bundle's last entry of {subject} is version {version} ({leaf_hash}),"
                f" its proven head version {head.version} ({head.leaf_hash.hex()})",
            )
        )
        return None
    return head.version
