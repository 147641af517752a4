"""Range proofs (docs/bundle.md `range`): the leaves [start, end) and the outside node hashes.

`range_nodes(0, size)` walks the RFC 9162 tree of `size` leaves: a subtree wholly outside the
range is one proof hash, a subtree wholly inside is hashed from the bundle's leaves. The
verifier hashes each inside subtree as its leaves stream by (`RangeBuilder`, O(log n) memory),
then folds inside and outside hashes into the root by the same recursion.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from verification.errors import InvalidProofError, ProofLengthError
from verification.merkle import node_hash, subtree_hash

Node = tuple[bool, int, int]
"""(inside, lo, hi): a subtree of the range walk, inside the range or outside it."""


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(size: int, start: int, end: int) -> list[Node]:
    """The subtrees, left to right, where the walk of docs/bundle.md stops."""
    if not 0 <= start < end <= size:
        raise InvalidProofError(f"range [{start}, {end}) is not inside a tree of size {size}")
    nodes: list[Node] = []

    def walk(lo: int, hi: int) -> None:
        if hi <= start or lo >= end:
            nodes.append((False, lo, hi))
        elif start <= lo and hi <= end:
            nodes.append((True, lo, hi))
        else:
            k = _split(hi - lo)
            walk(lo, lo + k)
            walk(lo + k, hi)

    walk(0, size)
    return nodes


def outside_count(size: int, start: int, end: int) -> int:
    return sum(1 for inside, _, _ in range_nodes(size, start, end) if not inside)


def range_root(
    size: int, start: int, end: int, inside: Sequence[bytes], outside: Sequence[bytes]
) -> bytes:
    """The root from the inside subtrees' hashes and the proof's outside hashes, every one used."""
    nodes = range_nodes(size, start, end)
    want_in = sum(1 for node in nodes if node[0])
    if len(inside) != want_in:
        raise InvalidProofError(f"{len(inside)} inside hashes, the range has {want_in} subtrees")
    if len(outside) != len(nodes) - want_in:
        raise ProofLengthError("range", len(nodes) - want_in, len(outside))
    ins, outs = iter(inside), iter(outside)

    def fold(lo: int, hi: int) -> bytes:
        if hi <= start or lo >= end:
            return next(outs)
        if start <= lo and hi <= end:
            return next(ins)
        k = _split(hi - lo)
        left = fold(lo, lo + k)
        return node_hash(left, fold(lo + k, hi))

    return fold(0, size)


def range_proof(leaf_hashes: Sequence[bytes], start: int, end: int) -> list[bytes]:
    """The outside hashes of a range of a tree whose every leaf hash is at hand (exporters)."""
    return [
        subtree_hash(leaf_hashes, lo, hi)
        for inside, lo, hi in range_nodes(len(leaf_hashes), start, end)
        if not inside
    ]


@dataclass
class _Subtree:
    lo: int
    hi: int
    stack: list[tuple[int, bytes]]  # (level, hash) perfect blocks relative to lo


class RangeBuilder:
    """Hashes the inside subtrees of one range from its leaves, given in index order.

    `add` each leaf hash of [start, end) in increasing index; `missing` is the first index of
    the range not given (None while the range is whole so far); `inside()` the subtree hashes
    once every leaf was given.
    """

    def __init__(self, size: int, start: int, end: int) -> None:
        self.size, self.start, self.end = size, start, end
        self._todo: Iterator[Node] = (n for n in range_nodes(size, start, end) if n[0])
        self._done: list[bytes] = []
        self._current: _Subtree | None = None
        self.next = start
        self.missing: int | None = None
        self._open()

    def _open(self) -> None:
        node = next(self._todo, None)
        self._current = None if node is None else _Subtree(node[1], node[2], [])

    def add(self, index: int, leaf_hash: bytes) -> None:
        if self.missing is not None or not self.start <= index < self.end:
            return
        if index < self.next:  # a repeated index: the entry checks name it
            return
        if index > self.next:
            self.missing = self.next
            return
        current = self._current
        if current is None:  # cannot happen: every index of the range is in one subtree
            raise InvalidProofError(f"index {index} falls outside the range's subtrees")
        stack, level, node = current.stack, 0, leaf_hash
        while stack and stack[-1][0] == level:
            node = node_hash(stack.pop()[1], node)
            level += 1
        stack.append((level, node))
        self.next += 1
        if self.next == current.hi:
            acc = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                acc = node_hash(left, acc)
            self._done.append(acc)
            self._open()

    def first_missing(self) -> int | None:
        """The first index of the range the bundle did not hold, or None if it held them all."""
        if self.missing is not None:
            return self.missing
        return None if self.next == self.end else self.next

    def inside(self) -> list[bytes]:
        return list(self._done)
