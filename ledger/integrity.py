"""The start-up check of the stored tree: the latest checkpoint signs the root the rows hold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from ledger.errors import LedgerCorruptedError
from ledger.records import CheckpointRow
from ledger.tree import Node
from verification.errors import VerificationError
from verification.merkle import SubtreeKey, fold_subtrees, perfect_subtrees
from verification.note import parse_checkpoint, verify_note


class TreeSource(Protocol):
    log: str

    def nodes(self, keys: Iterable[SubtreeKey]) -> dict[SubtreeKey, bytes]: ...
    def checkpoint(self, size: int | None) -> CheckpointRow | None: ...


def check_stored_tree(
    source: TreeSource, verifier_key: str, origin: str, replayed: Sequence[Node]
) -> None:
    """Refuse (LedgerCorruptedError, one line naming the row) a store whose latest checkpoint
    does not verify by the log key, or whose stored tree nodes do not hash to its root.

    `replayed` is the tree's right edge as recomputed from the entries' leaves: where the
    checkpoint covers the same size, each stored node must equal the recomputed one."""
    checkpoint = source.checkpoint(None)
    if checkpoint is None:
        return
    log = source.log
    row = f"jejak_checkpoints row log={log} size={checkpoint.size}"
    try:
        parsed = parse_checkpoint(verify_note(checkpoint.note, verifier_key))
    except VerificationError as error:
        raise LedgerCorruptedError(
            f"{row}: its note does not verify by the log key: {error}"
        ) from error
    if (parsed.origin, parsed.size, parsed.root) != (origin, checkpoint.size, checkpoint.root):
        raise LedgerCorruptedError(
            f"{row}: its signed note (origin {parsed.origin}, size {parsed.size}, root"
            f" {parsed.root.hex()}) disagrees with the row (root {checkpoint.root.hex()})"
        )
    keys = perfect_subtrees(0, checkpoint.size)
    stored = source.nodes(keys)
    for level, index in keys:
        if (level, index) not in stored:
            raise LedgerCorruptedError(
                f"jejak_tree row log={log} level={level} idx={index} is missing"
            )
    recomputed = {(level, index): digest for level, index, digest in replayed}
    if len(replayed) == len(keys) and set(recomputed) == set(keys):
        for key in keys:
            if stored[key] != recomputed[key]:
                raise LedgerCorruptedError(
                    f"jejak_tree row log={log} level={key[0]} idx={key[1]}"
                    f" holds {stored[key].hex()},"
                    f" the entries' leaves hash to {recomputed[key].hex()}"
                )
    root = fold_subtrees([stored[key] for key in keys])
    if root != checkpoint.root:
        raise LedgerCorruptedError(
            f"{row}: its root {checkpoint.root.hex()} is not the stored tree's root {root.hex()}"
        )
