"""Inclusion and consistency proofs from the stored perfect subtrees: O(log n) nodes, one read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from ledger.errors import LedgerError
from ledger.tree import Node
from verification.errors import VerificationError
from verification.merkle import (
    LeafRange,
    SubtreeKey,
    consistency_proof_nodes,
    fold_subtrees,
    inclusion_proof_nodes,
    perfect_subtrees,
)


class NodeSource(Protocol):
    def nodes(self, keys: Iterable[SubtreeKey]) -> dict[SubtreeKey, bytes]: ...


class ImpossibleProofError(LedgerError):
    """Proof parameters that no tree can satisfy (index ≥ size, old > new, size 0)."""

    rule = "impossible-proof"


class ProofReader:
    """Builds proofs from a store of perfect subtree hashes, fetching each batch in one read."""

    def __init__(self, source: NodeSource) -> None:
        self.source = source

    def _hashes(
        self, proofs: list[list[LeafRange]], known: Sequence[Node] = ()
    ) -> list[list[bytes]]:
        covers = {r: perfect_subtrees(*r) for proof in proofs for r in proof}  # shared ranges once
        have = {(level, index): digest for level, index, digest in known}
        wanted = {key for cover in covers.values() for key in cover if key not in have}
        have.update(self.source.nodes(wanted))
        missing = wanted - have.keys()
        if missing:
            raise LedgerError(f"tree nodes {sorted(missing)[:3]} are missing from the store")
        hashes = {r: fold_subtrees([have[k] for k in cover]) for r, cover in covers.items()}
        return [[hashes[r] for r in proof] for proof in proofs]

    def subtree_hashes(self, ranges: Sequence[LeafRange]) -> list[bytes]:
        """The hashes of the subtrees [lo, hi) (any, not only perfect ones), in one read."""
        return self._hashes([list(ranges)])[0]

    def inclusion_proofs(
        self, indexes: Sequence[int], size: int, known: Sequence[Node] = ()
    ) -> list[list[bytes]]:
        """Proofs of several entries against one tree size."""
        try:
            ranges = [inclusion_proof_nodes(index, size) for index in indexes]
        except VerificationError as error:
            raise ImpossibleProofError(str(error)) from error
        return self._hashes(ranges, known)

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        """The proof that the tree of size `new` extends the tree of size `old`."""
        try:
            ranges = consistency_proof_nodes(old, new)
        except VerificationError as error:
            raise ImpossibleProofError(str(error)) from error
        return self._hashes([ranges])[0]

    def root(self, size: int) -> bytes:
        """The root hash of the tree of `size` entries, from its right edge."""
        if size <= 0:
            raise ImpossibleProofError("the empty tree has no stored nodes")
        return self._hashes([[(0, size)]])[0][0]
