"""The Merkle tree's right edge: appending leaves and the perfect-subtree nodes they complete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from verification.merkle import fold_subtrees, node_hash

Node = tuple[int, int, bytes]
"""A perfect subtree: (level, index at that level, hash); it covers leaves
[index << level, (index + 1) << level)."""


def append_leaves(
    frontier: Sequence[Node], leaf_hashes: Iterable[bytes]
) -> tuple[list[Node], list[Node]]:
    """Push leaves onto the right edge; return the new frontier and every node completed."""
    stack = list(frontier)
    size = sum(1 << level for level, _, _ in stack)
    created: list[Node] = []
    for leaf in leaf_hashes:
        node: Node = (0, size, leaf)
        created.append(node)
        size += 1
        while stack and stack[-1][0] == node[0]:
            left = stack.pop()
            node = (node[0] + 1, left[1] >> 1, node_hash(left[2], node[2]))
            created.append(node)
        stack.append(node)
    return stack, created


def root_of(frontier: Sequence[Node]) -> bytes:
    """The RFC 9162 root hash of the tree whose right edge is `frontier`."""
    return fold_subtrees([digest for _, _, digest in frontier])
