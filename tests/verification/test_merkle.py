"""RFC 9162 Merkle hashing and proofs against published vectors and a recursive reference."""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Callable, Sequence

import pytest

from verification import merkle
from verification.errors import (
    HashLengthError,
    IndexOutOfRangeError,
    InvalidProofError,
    ProofLengthError,
    RootMismatchError,
    TreeSizeError,
    VerificationError,
)
from verification.merkle import (
    consistency_proof,
    consistency_proof_nodes,
    fold_subtrees,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    root_hash,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)


def h(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text)


# --- Published vectors --------------------------------------------------------------------------
# transparency-dev/merkle testonly/constants.go: LeafInputs(), RootHashes(), NodeHashes().
LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
ROOTS = [  # RootHashes(): index = tree size, 0..8
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
NODE_HASHES = [  # NodeHashes(): [level][index]
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]
LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]

# (index, size, proof): proof/verify_test.go inclusionProofs (its leaf numbers are 1-based,
# converted here) and testonly/reference_test.go TestRefInclusionProof.
INCLUSION_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (0, 1, []),
    (0, 2, [h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")]),
    (1, 2, [h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")]),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# (old_size, new_size, proof): proof/verify_test.go consistencyProofs.
CONSISTENCY_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

# proof/verify_test.go: sha256SomeHash, used as a "random root" and an inserted component.
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_ROOT = ROOTS[0]


# --- Recursive RFC 9162 reference (section 2.1), written from the RFC for cross-checking -------


def ref_mth(d: Sequence[bytes]) -> bytes:
    if len(d) == 0:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]  # already leaf hashes
    k = 1 << ((len(d) - 1).bit_length() - 1)
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = 1 << ((len(d) - 1).bit_length() - 1)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


REF_LEAVES = tuple(leaf_hash(i.to_bytes(2, "big")) for i in range(70))


@functools.cache
def ref_mth_cached(end: int) -> bytes:
    return ref_mth(REF_LEAVES[:end])


# --- Published vectors ----------------------------------------------------------------------------


def test_leaf_hashes_match_the_published_level_zero_nodes() -> None:
    assert NODE_HASHES[0] == LEAVES


@pytest.mark.parametrize("size", range(9))
def test_root_hash_matches_the_published_root_for_every_size(size: int) -> None:
    assert root_hash(LEAVES[:size]) == ROOTS[size]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert root_hash([]) == hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT


def test_perfect_subtree_hashes_match_the_published_node_hashes() -> None:
    for level, row in enumerate(NODE_HASHES):
        for index, expected in enumerate(row):
            start, end = index << level, (index + 1) << level
            assert perfect_subtrees(start, end) == [(level, index)]
            assert subtree_hash(LEAVES, start, end) == expected


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proof_matches_the_published_proof(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert inclusion_proof(LEAVES, index, size) == proof
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proof_matches_the_published_proof(
    old: int, new: int, proof: list[bytes]
) -> None:
    assert consistency_proof(LEAVES, old, new) == proof
    verify_consistency(old, new, proof, ROOTS[old], ROOTS[new])


# --- Known-bad vectors, named after their damage as transparency-dev/merkle's testdata/ does ----

InclusionArgs = tuple[bytes, int, int, list[bytes], bytes]


def _flip(value: bytes, byte: int, bit: int) -> bytes:
    out = bytearray(value)
    out[byte] ^= 1 << bit
    return bytes(out)


def damaged_inclusion(index: int, size: int, proof: list[bytes]) -> dict[str, InclusionArgs]:
    """testdata/inclusion/<n>/<name>.json, generated from a happy path as corruptInclusionProof."""
    leaf, root = LEAVES[index], ROOTS[size]
    cases: dict[str, InclusionArgs] = {
        "leafIdx-sub-@1": (leaf, index - 1, size, proof, root),
        "leafIdx-plus-@1": (leaf, index + 1, size, proof, root),
        "leafIdx-XOR-@2": (leaf, index ^ 2, size, proof, root),
        "treeSize-mul-@2": (leaf, index, size * 2, proof, root),
        "treeSize-div-@2": (leaf, index, size // 2, proof, root),
        "wrong-leaf": (b"WrongLeaf", index, size, proof, root),
        "empty-root": (leaf, index, size, proof, EMPTY_ROOT),
        "random-root": (leaf, index, size, proof, SOME_HASH),
        "trailing-garbage": (leaf, index, size, [*proof, b""], root),
        "trailing-root": (leaf, index, size, [*proof, root], root),
        "preceding-garbage": (leaf, index, size, [b"", *proof], root),
        "preceding-root": (leaf, index, size, [root, *proof], root),
        # Names of our own, in the same style:
        "extended-proof": (leaf, index, size, [*proof, SOME_HASH], root),
        "index-equals-size": (leaf, size, size, proof, root),
        "flipped-leaf-bit-@0": (_flip(leaf, 0, 0), index, size, proof, root),
        "flipped-root-bit-@255": (leaf, index, size, proof, _flip(root, 31, 7)),
    }
    for i in range(len(proof)):
        modified = [*proof]
        modified[i] = _flip(modified[i], 0, 3)
        cases[f"modified-proof[{i}]-bit-@3"] = (leaf, index, size, modified, root)
    if proof:
        cases["removed-component"] = (leaf, index, size, proof[:-1], root)
    if len(proof) > 1:
        cases["inserted-component"] = (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root)
    if size > 1:
        cases["wrong-index"] = (leaf, (index + 1) % size, size, proof, root)
    cases["wrong-size"] = (leaf, index, nearest_size_of_another_shape(index, size), proof, root)
    return cases


def proof_shape(index: int, size: int) -> tuple[bool, ...]:
    """For each proof element, whether it is hashed on the left; RFC 9162 verification sees
    only this, so a proof verifies unchanged under any (index, size) with the same shape."""
    return tuple(end <= index for _, end in inclusion_proof_nodes(index, size))


def nearest_size_of_another_shape(index: int, size: int) -> int:
    candidates = (size + d * sign for d in range(1, size + 2) for sign in (1, -1))
    shape = proof_shape(index, size)
    return next(s for s in candidates if s > index and proof_shape(index, s) != shape)


INCLUSION_BAD = [
    pytest.param(*args, id=f"inclusion/{index}:{size}/{name}")
    for index, size, proof in INCLUSION_VECTORS
    for name, args in damaged_inclusion(index, size, proof).items()
]


@pytest.mark.parametrize(("leaf", "index", "size", "proof", "root"), INCLUSION_BAD)
def test_damaged_inclusion_proof_is_refused(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    with pytest.raises(VerificationError):
        verify_inclusion(leaf, index, size, proof, root)


ConsistencyArgs = tuple[int, int, list[bytes], bytes, bytes]


def damaged_consistency(old: int, new: int, proof: list[bytes]) -> dict[str, ConsistencyArgs]:
    """testdata/consistency/<n>/<name>.json, generated as corruptConsistencyProof does."""
    r1, r2 = ROOTS[old], ROOTS[new]
    cases: dict[str, ConsistencyArgs] = {
        "size1-sub-@1": (old - 1, new, proof, r1, r2),
        "size1-plus-@1": (old + 1, new, proof, r1, r2),
        "size1-XOR-@2": (old ^ 2, new, proof, r1, r2),
        "size2-mul-@2": (old, new * 2, proof, r1, r2),
        "size2-div-@2": (old, new // 2, proof, r1, r2),
        "wrong-root1": (old, new, proof, b"WrongRoot", r2),
        "wrong-root2": (old, new, proof, r1, b"WrongRoot"),
        "swapped-roots": (old, new, proof, r2, r1),
        "empty-proof": (old, new, [], r1, r2),
        "trailing-garbage": (old, new, [*proof, b""], r1, r2),
        "trailing-root1": (old, new, [*proof, r1], r1, r2),
        "trailing-root2": (old, new, [*proof, r2], r1, r2),
        "preceding-garbage": (old, new, [b"", *proof], r1, r2),
        "preceding-root1": (old, new, [r1, *proof], r1, r2),
        "preceding-root2": (old, new, [r2, *proof], r1, r2),
        "preceding-proof-@0": (old, new, [proof[0], *proof], r1, r2),
        "truncated-proof": (old, new, proof[:-1], r1, r2),
        # Names of our own, in the same style:
        "extended-proof": (old, new, [*proof, SOME_HASH], r1, r2),
        "flipped-root1-bit-@0": (old, new, proof, _flip(r1, 0, 0), r2),
        "flipped-root2-bit-@0": (old, new, proof, r1, _flip(r2, 0, 0)),
    }
    for i in range(len(proof)):
        modified = [*proof]
        modified[i] = _flip(modified[i], 0, 4)
        cases[f"modified-proof@{i}-bit-@4"] = (old, new, modified, r1, r2)
    return cases


CONSISTENCY_BAD = [
    pytest.param(*args, id=f"consistency/{old}:{new}/{name}")
    for old, new, proof in CONSISTENCY_VECTORS
    if proof
    for name, args in damaged_consistency(old, new, proof).items()
]

# testdata/consistency/additional/*.json ("don't care" roots are the ASCII texts of the Go test).
ROOT1, ROOT2 = b"don't care 1", b"don't care 2"
CONSISTENCY_ADDITIONAL = [
    pytest.param(0, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT, id="size1-is-zero-is-useless"),
    pytest.param(0, 0, [], EMPTY_ROOT, ROOT2, id="roots-do-not-match-and-sizes-are-zero"),
    pytest.param(1, 1, [], EMPTY_ROOT, ROOT2, id="roots-do-not-match-and-sizes-are-one"),
    pytest.param(2, 1, [], ROOT1, ROOT2, id="size1-is-greater-than-size2-again"),
    pytest.param(1, 0, [], ROOT1, ROOT2, id="size1-is-greater-than-size2"),
    pytest.param(0, 1, [], ROOT1, ROOT2, id="size1-is-zero-and-does-not-equal-size2"),
    pytest.param(0, 1, [], EMPTY_ROOT, ROOT2, id="size1-is-zero-and-size2-is-not-zero"),
    pytest.param(1, 1, [], ROOT1, ROOT2, id="sizes-are-equal-one-but-roots-are-not"),
    pytest.param(0, 0, [], ROOT1, ROOT1, id="sizes-are-equal-zero-and-proof-is-empty"),
    pytest.param(0, 0, [], ROOT1, ROOT2, id="sizes-are-equal-zero-but-roots-are-not"),
    pytest.param(1, 2, [], ROOT1, ROOT2, id="sizes-do-not-match-and-proof-is-empty"),
    pytest.param(
        1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT, id="sizes-match-but-proof-is-not-empty-one"
    ),
    pytest.param(
        0, 0, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT, id="sizes-match-but-proof-is-not-empty-zero"
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "proof", "root1", "root2"), CONSISTENCY_BAD + CONSISTENCY_ADDITIONAL
)
def test_damaged_consistency_proof_is_refused(
    old: int, new: int, proof: list[bytes], root1: bytes, root2: bytes
) -> None:
    with pytest.raises(VerificationError):
        verify_consistency(old, new, proof, root1, root2)


# --- Each failure raises its own error, carrying the values that disagreed ----------------------


def test_wrong_root_reports_expected_and_calculated_roots() -> None:
    index, size, proof = INCLUSION_VECTORS[5]
    with pytest.raises(RootMismatchError, match="does not match expected") as caught:
        verify_inclusion(LEAVES[index], index, size, proof, ROOTS[7])
    assert caught.value.expected == ROOTS[7]
    assert caught.value.calculated == ROOTS[8]


def test_size_change_that_keeps_the_proof_shape_still_verifies() -> None:
    # Inherent to RFC 9162: leaf 5's path in trees of 7 and 8 leaves takes the same turns, so
    # the size-8 proof folds to the size-8 root under size 7 too. The root binds the size (the
    # signed checkpoint carries both), which is why verifiers must take size and root together.
    index, size, proof = INCLUSION_VECTORS[5]
    assert proof_shape(5, 7) == proof_shape(5, 8)
    verify_inclusion(LEAVES[index], index, 7, proof, ROOTS[size])
    with pytest.raises(RootMismatchError):
        verify_inclusion(LEAVES[index], index, 7, proof, ROOTS[7])


def test_index_equal_to_size_is_refused_before_hashing() -> None:
    # sigstore-python's verifier accepts index >= size when the proof happens to fold right.
    with pytest.raises(IndexOutOfRangeError) as caught:
        verify_inclusion(LEAVES[0], 1, 1, [], ROOTS[1])
    assert (caught.value.index, caught.value.size) == (1, 1)


def test_negative_index_is_refused() -> None:
    with pytest.raises(IndexOutOfRangeError):
        verify_inclusion(LEAVES[0], -1, 1, [], ROOTS[1])


def test_truncated_proof_reports_expected_length() -> None:
    index, size, proof = INCLUSION_VECTORS[4]
    with pytest.raises(ProofLengthError) as caught:
        verify_inclusion(LEAVES[index], index, size, proof[:-1], ROOTS[size])
    assert (caught.value.expected, caught.value.actual) == (3, 2)


@pytest.mark.parametrize("which", ["leaf", "root", "proof"])
def test_hash_of_wrong_length_is_refused(which: str) -> None:
    index, size, proof = INCLUSION_VECTORS[4]
    leaf, root = LEAVES[index], ROOTS[size]
    short = b"\x00" * 31
    args = {
        "leaf": (short, index, size, proof, root),
        "root": (leaf, index, size, proof, short),
        "proof": (leaf, index, size, [proof[0], short, proof[2]], root),
    }[which]
    with pytest.raises(HashLengthError, match="31 bytes long"):
        verify_inclusion(*args)


def test_consistency_from_the_empty_tree_is_refused() -> None:
    with pytest.raises(TreeSizeError, match="empty tree"):
        verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)


def test_consistency_to_a_smaller_tree_is_refused() -> None:
    with pytest.raises(TreeSizeError) as caught:
        verify_consistency(3, 2, [], ROOTS[3], ROOTS[2])
    assert (caught.value.old_size, caught.value.new_size) == (3, 2)


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    verify_consistency(5, 5, [], ROOTS[5], ROOTS[5])
    with pytest.raises(ProofLengthError):
        verify_consistency(5, 5, [ROOTS[5]], ROOTS[5], ROOTS[5])
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(5, 5, [], ROOTS[5], ROOTS[6])
    assert caught.value.expected == ROOTS[6]


def test_swapped_roots_name_the_old_root_as_mismatched() -> None:
    old, new, proof = CONSISTENCY_VECTORS[2]
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(old, new, proof, ROOTS[new], ROOTS[old])
    assert caught.value.what == "old root"
    assert caught.value.expected == ROOTS[new]


def test_generators_refuse_sizes_beyond_the_leaves_given() -> None:
    with pytest.raises(InvalidProofError):
        inclusion_proof(LEAVES, 0, 9)
    with pytest.raises(InvalidProofError):
        consistency_proof(LEAVES, 1, 9)
    with pytest.raises(IndexOutOfRangeError):
        inclusion_proof(LEAVES, 8, 8)


# --- Range-based generators against the recursive reference, all sizes up to 70 ---------------


@pytest.mark.parametrize("size", range(1, 71))
def test_inclusion_proofs_match_the_reference_for_every_index(size: int) -> None:
    leaves = REF_LEAVES[:size]
    root = ref_mth_cached(size)
    assert root_hash(leaves) == root
    for index in range(size):
        proof = inclusion_proof(leaves, index, size)
        assert proof == ref_path(index, leaves)
        verify_inclusion(leaves[index], index, size, proof, root)


@pytest.mark.parametrize("new", range(1, 71))
def test_consistency_proofs_match_the_reference_for_every_old_size(new: int) -> None:
    leaves = REF_LEAVES[:new]
    for old in range(1, new + 1):
        proof = consistency_proof(leaves, old, new)
        assert proof == ref_subproof(old, leaves, True)
        verify_consistency(old, new, proof, ref_mth_cached(old), ref_mth_cached(new))


def _covers(ranges: Sequence[tuple[int, int]]) -> list[int]:
    return [i for start, end in ranges for i in range(start, end)]


@pytest.mark.parametrize("size", range(1, 71))
def test_proof_ranges_are_disjoint_and_hash_from_perfect_subtrees(size: int) -> None:
    def from_subtrees(start: int, end: int) -> bytes:
        keys = perfect_subtrees(start, end)
        levels = [level for level, _ in keys]
        assert levels == sorted(levels, reverse=True)
        return fold_subtrees([subtree_hash(REF_LEAVES, i << lv, (i + 1) << lv) for lv, i in keys])

    node_sets = [inclusion_proof_nodes(i, size) for i in range(size)]
    node_sets += [consistency_proof_nodes(old, size) for old in range(1, size + 1)]
    for nodes in node_sets:
        covered = _covers(nodes)
        assert len(covered) == len(set(covered))
        for start, end in nodes:
            assert from_subtrees(start, end) == subtree_hash(REF_LEAVES, start, end)


def test_perfect_subtrees_tile_any_range_with_aligned_blocks() -> None:
    for start in range(40):
        for end in range(start, 40):
            keys = perfect_subtrees(start, end)
            assert _covers([(i << lv, (i + 1) << lv) for lv, i in keys]) == list(range(start, end))
    assert perfect_subtrees(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert perfect_subtrees(3, 13) == [(0, 3), (2, 1), (2, 2), (0, 12)]


# --- Scale: iterative and linear ----------------------------------------------------------------


def test_root_hash_needs_no_recursion() -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(5000)]
    expected = root_hash(leaves)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(60)
    try:
        assert root_hash(leaves) == expected
        assert inclusion_proof(leaves, 4321, 5000)
    finally:
        sys.setrecursionlimit(limit)


def _count_hashes(monkeypatch: pytest.MonkeyPatch, call: Callable[[], object]) -> int:
    calls = 0
    real = merkle.node_hash

    def counting(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting)
    call()
    return calls


def test_proof_generation_hashes_each_interior_node_at_most_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(1000)]
    assert _count_hashes(monkeypatch, lambda: inclusion_proof(leaves, 777, 1000)) < 1000
    assert _count_hashes(monkeypatch, lambda: consistency_proof(leaves, 333, 1000)) < 1000
