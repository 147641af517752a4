"""Interoperability: our RFC 9162 trees against pymerkle, an independent implementation."""

from __future__ import annotations

import random

import pymerkle  # type: ignore[import-untyped]
import pytest

from verification.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

RNG = random.Random(9162)
DATA = [RNG.randbytes(RNG.randrange(0, 40)) for _ in range(300)]
LEAVES = [leaf_hash(d) for d in DATA]


@pytest.fixture(scope="module")
def other() -> pymerkle.InmemoryTree:
    tree = pymerkle.InmemoryTree(algorithm="sha256")  # 0x00 / 0x01 prefixes by default
    for data in DATA:
        tree.append_entry(data)
    return tree


def test_leaf_hashes_and_roots_agree_for_every_size(other: pymerkle.InmemoryTree) -> None:
    for index, expected in enumerate(LEAVES):
        assert other.get_leaf(index + 1) == expected  # pymerkle counts leaves from one
    for size in range(len(LEAVES) + 1):
        assert other.get_root(size) == root_hash(LEAVES[:size])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300])
def test_inclusion_proofs_agree_and_verify_both_ways(
    other: pymerkle.InmemoryTree, size: int
) -> None:
    root = root_hash(LEAVES[:size])
    for index in range(size):
        theirs = other.prove_inclusion(index + 1, size)
        ours = inclusion_proof(LEAVES, index, size)
        assert theirs.path == [LEAVES[index], *ours]  # pymerkle's path starts with the leaf
        pymerkle.verify_inclusion(LEAVES[index], root, theirs)
        verify_inclusion(LEAVES[index], index, size, theirs.path[1:], other.get_root(size))


@pytest.mark.parametrize("new", [1, 2, 5, 8, 13, 64, 100, 257, 300])
def test_consistency_proofs_verify_both_ways(other: pymerkle.InmemoryTree, new: int) -> None:
    for old in range(1, new + 1):
        old_root, new_root = root_hash(LEAVES[:old]), root_hash(LEAVES[:new])
        pymerkle.verify_consistency(old_root, new_root, other.prove_consistency(old, new))
        proof = consistency_proof(LEAVES, old, new)
        verify_consistency(old, new, proof, other.get_root(old), other.get_root(new))
