"""Inclusion of many leaves in one tree, sharing the nodes already proven to reach the root."""

from __future__ import annotations

from collections.abc import Sequence

from verification.errors import (
    HashLengthError,
    InvalidProofError,
    ProofLengthError,
    RootMismatchError,
)
from verification.merkle import HASH_SIZE, inclusion_proof_nodes, node_hash

Range = tuple[int, int]


class InclusionVerifier:
    """Checks inclusion proofs against one (size, root), each as strictly as `verify_inclusion`.

    Every node a successful proof computed or used is remembered by the leaf range it covers:
    such a node is bound to the root. A later proof that reaches a remembered range stops
    hashing there and must match the remembered hash, and each of its remaining elements must
    equal the remembered sibling. Neighbouring entries thus cost a hash or two, not log2(size).
    """

    def __init__(self, size: int, root: bytes) -> None:
        self.size = size
        self.root = root
        self._proven: dict[Range, bytes] = {(0, size): root}

    def verify(self, leaf_hash: bytes, index: int, proof: Sequence[bytes]) -> None:
        """Raise a VerificationError unless `proof` includes `leaf_hash` at `index`."""
        if len(leaf_hash) != HASH_SIZE:
            raise HashLengthError("leaf hash", len(leaf_hash))
        ranges = inclusion_proof_nodes(index, self.size)  # refuses index >= size
        if len(proof) != len(ranges):
            raise ProofLengthError("inclusion", len(ranges), len(proof))
        proven = self._proven
        computed: list[tuple[Range, bytes]] = []
        lo, hi, node = index, index + 1, leaf_hash
        for step, ((start, end), sibling) in enumerate(zip(ranges, proof, strict=True)):
            known = proven.get((lo, hi))
            if known is not None:
                self._check_rest(node, known, ranges[step:], proof[step:])
                break
            if len(sibling) != HASH_SIZE:
                raise HashLengthError(f"proof[{step}]", len(sibling))
            computed.append(((lo, hi), node))
            computed.append(((start, end), sibling))
            if start < lo:
                node, lo = node_hash(sibling, node), start
            else:
                node, hi = node_hash(node, sibling), end
        else:
            if (lo, hi) != (0, self.size):
                raise InvalidProofError("inclusion proof does not reach the root")
            if node != self.root:
                raise RootMismatchError(expected=self.root, calculated=node)
        proven.update(computed)

    def _check_rest(
        self, node: bytes, known: bytes, ranges: Sequence[Range], rest: Sequence[bytes]
    ) -> None:
        if node != known:
            raise RootMismatchError(expected=self.root, calculated=node)
        for (start, end), sibling in zip(ranges, rest, strict=True):
            if self._proven.get((start, end)) != sibling:
                raise RootMismatchError(expected=self.root, calculated=sibling, what="proof node")
