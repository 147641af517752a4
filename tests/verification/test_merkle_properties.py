"""Property tests: generated proofs verify; bit flips and index or size changes are refused."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verification.errors import VerificationError
from verification.merkle import (
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 3000
LEAVES = tuple(leaf_hash(b"jejak-property-%d" % i) for i in range(2 * MAX_LEAVES + 2))
FAST = settings(deadline=None, max_examples=120)


@functools.lru_cache(maxsize=4096)
def root(size: int) -> bytes:
    return root_hash(LEAVES[:size])


def flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def refused(call: Callable[..., None], *args: object) -> bool:
    try:
        call(*args)
    except VerificationError:
        return True
    return False


def inclusion_shape(index: int, size: int) -> tuple[bool, ...]:
    """Which proof elements hash on the left: all that RFC 9162 verification depends on."""
    return tuple(end <= index for _, end in inclusion_proof_nodes(index, size))


def consistency_shape(old: int, new: int) -> tuple[bool, tuple[bool, ...]]:
    """Whether the old root seeds the fold, and which later elements lie inside the old tree."""
    nodes = consistency_proof_nodes(old, new)
    seeded = old & (old - 1) == 0
    return seeded, tuple(end <= old for _, end in (nodes if seeded else nodes[1:]))


sizes = st.integers(min_value=1, max_value=MAX_LEAVES)


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return draw(st.integers(0, size - 1)), size


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(sizes)
    return draw(st.integers(1, new)), new


@FAST
@given(inclusion_cases(), st.data())
def test_inclusion_proof_verifies_and_any_bit_flip_is_refused(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    proof = inclusion_proof(LEAVES[:size], index, size)
    leaf, good_root = LEAVES[index], root(size)
    verify_inclusion(leaf, index, size, proof, good_root)
    bit = data.draw(st.integers(0, 255), label="bit")
    assert refused(verify_inclusion, flip(leaf, bit), index, size, proof, good_root)
    assert refused(verify_inclusion, leaf, index, size, proof, flip(good_root, bit))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        damaged = [*proof]
        damaged[at] = flip(damaged[at], bit)
        assert refused(verify_inclusion, leaf, index, size, damaged, good_root)


@FAST
@given(inclusion_cases(), st.data())
def test_inclusion_proof_under_another_index_or_size_is_refused_unless_same_shape(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    proof = inclusion_proof(LEAVES[:size], index, size)
    leaf, good_root = LEAVES[index], root(size)
    other_index = data.draw(st.integers(-1, 2 * size).filter(lambda i: i != index), label="i")
    assert refused(verify_inclusion, leaf, other_index, size, proof, good_root)
    other_size = data.draw(st.integers(0, 2 * size + 1).filter(lambda s: s != size), label="s")
    same_shape = index < other_size and inclusion_shape(index, other_size) == inclusion_shape(
        index, size
    )
    assert refused(verify_inclusion, leaf, index, other_size, proof, good_root) != same_shape
    if index < other_size:  # against the other size's own root it never verifies
        assert refused(verify_inclusion, leaf, index, other_size, proof, root(other_size))


@FAST
@given(consistency_cases(), st.data())
def test_consistency_proof_verifies_and_any_bit_flip_is_refused(
    case: tuple[int, int], data: st.DataObject
) -> None:
    old, new = case
    proof = consistency_proof(LEAVES[:new], old, new)
    old_root, new_root = root(old), root(new)
    verify_consistency(old, new, proof, old_root, new_root)
    bit = data.draw(st.integers(0, 255), label="bit")
    assert refused(verify_consistency, old, new, proof, flip(old_root, bit), new_root)
    assert refused(verify_consistency, old, new, proof, old_root, flip(new_root, bit))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="element")
        damaged = [*proof]
        damaged[at] = flip(damaged[at], bit)
        assert refused(verify_consistency, old, new, damaged, old_root, new_root)


@FAST
@given(consistency_cases(), st.data())
def test_consistency_proof_under_other_sizes_is_refused_unless_same_shape(
    case: tuple[int, int], data: st.DataObject
) -> None:
    old, new = case
    proof = consistency_proof(LEAVES[:new], old, new)
    old_root, new_root = root(old), root(new)
    other_old = data.draw(st.integers(0, new + 1).filter(lambda s: s != old), label="old")
    other_new = data.draw(st.integers(0, 2 * new + 1).filter(lambda s: s != new), label="new")
    for o, n in ((other_old, new), (old, other_new)):
        same = 0 < o <= n and o != n and consistency_shape(o, n) == consistency_shape(old, new)
        assert refused(verify_consistency, o, n, proof, old_root, new_root) != same
        if 0 < o <= n:  # against the other sizes' own roots it never verifies
            assert old == new or refused(verify_consistency, o, n, proof, root(o), root(n))


@pytest.mark.parametrize(("index", "size"), [(0, 1000), (777, 1000), (999, 1000)])
def test_every_single_bit_flip_of_an_inclusion_proof_is_refused(index: int, size: int) -> None:
    proof = inclusion_proof(LEAVES[:size], index, size)
    leaf, good_root = LEAVES[index], root(size)
    for bit in range(256):
        assert refused(verify_inclusion, flip(leaf, bit), index, size, proof, good_root)
        assert refused(verify_inclusion, leaf, index, size, proof, flip(good_root, bit))
        for at in range(len(proof)):
            damaged = [*proof]
            damaged[at] = flip(damaged[at], bit)
            assert refused(verify_inclusion, leaf, index, size, damaged, good_root)


@pytest.mark.parametrize(("old", "new"), [(1, 1000), (333, 1000), (512, 1000), (999, 1000)])
def test_every_single_bit_flip_of_a_consistency_proof_is_refused(old: int, new: int) -> None:
    proof = consistency_proof(LEAVES[:new], old, new)
    old_root, new_root = root(old), root(new)
    for bit in range(256):
        assert refused(verify_consistency, old, new, proof, flip(old_root, bit), new_root)
        assert refused(verify_consistency, old, new, proof, old_root, flip(new_root, bit))
        for at in range(len(proof)):
            damaged = [*proof]
            damaged[at] = flip(damaged[at], bit)
            assert refused(verify_consistency, old, new, damaged, old_root, new_root)
