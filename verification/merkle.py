"""RFC 9162 Merkle tree hashes, proofs from leaf ranges, and strict proof verification."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from verification.errors import (
    HashLengthError,
    IndexOutOfRangeError,
    InvalidProofError,
    ProofLengthError,
    RootMismatchError,
    TreeSizeError,
)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

LeafRange = tuple[int, int]
"""Leaves [start, end) of a tree; a proof element is the Merkle hash of such a range."""

SubtreeKey = tuple[int, int]
"""A perfect subtree (level, index): it covers leaves [index << level, (index + 1) << level)."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right); lengths are the caller's to check (hot path)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


# --- Leaf-range helpers, shared with the store-backed tree --------------------------------------


def perfect_subtrees(start: int, end: int) -> list[SubtreeKey]:
    """Decompose leaves [start, end) into maximal aligned perfect subtrees, left to right.

    For [0, size) this is the tree's right edge ("frontier"); for any range returned by
    `inclusion_proof_nodes` or `consistency_proof_nodes` the levels strictly decrease, so
    `fold_subtrees` of their hashes is the range's Merkle hash. A store that keeps every
    perfect-subtree hash can therefore hash each proof range with O(log n) reads.
    """
    if not 0 <= start <= end:
        raise InvalidProofError(f"bad leaf range [{start}, {end})")
    keys: list[SubtreeKey] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def fold_subtrees(hashes: Sequence[bytes]) -> bytes:
    """Merkle hash of a range from its perfect-subtree hashes (left to right, sizes decreasing)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def inclusion_proof_nodes(index: int, size: int) -> list[LeafRange]:
    """The leaf range hashed by each element of the inclusion proof of `index`, in proof order."""
    if not 0 <= index < size:
        raise IndexOutOfRangeError(index, size)
    nodes: list[LeafRange] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            nodes.append((mid, hi))
            hi = mid
        else:
            nodes.append((lo, mid))
            lo = mid
    nodes.reverse()
    return nodes


def consistency_proof_nodes(old_size: int, new_size: int) -> list[LeafRange]:
    """The leaf range hashed by each element of the consistency proof old -> new, in proof order."""
    _check_sizes(old_size, new_size)
    nodes: list[LeafRange] = []
    lo, hi = 0, new_size
    old_is_subtree = True  # RFC 9162 SUBPROOF's b: [0, old) is still a node we descend into.
    while old_size != hi:
        mid = lo + _split(hi - lo)
        if old_size <= mid:
            nodes.append((mid, hi))
            hi = mid
        else:
            nodes.append((lo, mid))
            lo = mid
            old_is_subtree = False
    if not old_is_subtree:
        nodes.append((lo, hi))
    nodes.reverse()
    return nodes


# --- Hashing and proof generation over a full leaf list -----------------------------------------


def subtree_hash(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """Merkle hash of leaf_hashes[start:end], iteratively with a stack of perfect subtrees."""
    if not 0 <= start <= end <= len(leaf_hashes):
        raise InvalidProofError(f"bad leaf range [{start}, {end}) of {len(leaf_hashes)} leaves")
    stack: list[bytes] = []
    for count, i in enumerate(range(start, end), start=1):
        node = leaf_hashes[i]
        if len(node) != HASH_SIZE:
            raise HashLengthError(f"leaf_hashes[{i}]", len(node))
        while not count & 1:  # each trailing zero of the count completes one subtree
            node = node_hash(stack.pop(), node)
            count >>= 1
        stack.append(node)
    return fold_subtrees(stack)


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 9162 MTH of the leaf hashes; SHA-256 of the empty string for no leaves."""
    return subtree_hash(leaf_hashes, 0, len(leaf_hashes))


def _check_size(size: int, available: int) -> None:
    if size > available:
        raise InvalidProofError(f"tree size {size} exceeds the {available} leaves given")


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """RFC 9162 PATH(index, D[0:size]); O(size) hashing, as the ranges are disjoint."""
    _check_size(size, len(leaf_hashes))
    return [subtree_hash(leaf_hashes, s, e) for s, e in inclusion_proof_nodes(index, size)]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """RFC 9162 PROOF(old_size, D[0:new_size]); O(new_size) hashing, as the ranges are disjoint."""
    _check_size(new_size, len(leaf_hashes))
    return [subtree_hash(leaf_hashes, s, e) for s, e in consistency_proof_nodes(old_size, new_size)]


# --- Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ---------------------------------------


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise HashLengthError(what, len(value))


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, element in enumerate(proof):
        _check_hash(f"proof[{i}]", element)


def _check_sizes(old_size: int, new_size: int) -> None:
    if old_size < 0 or new_size < 0:
        raise TreeSizeError(old_size, new_size, "sizes must not be negative")
    if old_size > new_size:
        raise TreeSizeError(old_size, new_size, "the old tree is larger than the new one")
    if old_size == 0:
        raise TreeSizeError(old_size, new_size, "a proof from the empty tree is meaningless")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that `proof` implies for the leaf at `index` of a tree of `size` leaves."""
    _check_hash("leaf hash", leaf_hash)
    _check_proof(proof)
    expected = len(inclusion_proof_nodes(index, size))  # also refuses index >= size
    if len(proof) != expected:
        raise ProofLengthError("inclusion", expected, len(proof))
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProofError("inclusion proof does not reach the root")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise unless `proof` shows the leaf at `index` is in the tree of `size` with `root`."""
    _check_hash("root", root)
    calculated = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if calculated != root:
        raise RootMismatchError(expected=root, calculated=calculated)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise unless `proof` shows tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    _check_proof(proof)
    expected = len(consistency_proof_nodes(old_size, new_size))  # also checks the sizes
    if len(proof) != expected:
        raise ProofLengthError("consistency", expected, len(proof))
    if old_size == new_size:
        if old_root != new_root:
            raise RootMismatchError(expected=new_root, calculated=old_root, what="new root")
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is a perfect subtree of the new one
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProofError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise InvalidProofError("consistency proof does not reach the new root")
    if fr != old_root:
        raise RootMismatchError(expected=old_root, calculated=fr, what="old root")
    if sr != new_root:
        raise RootMismatchError(expected=new_root, calculated=sr, what="new root")
