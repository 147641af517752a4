"""The subject map against its published vectors, and its root against a straightforward
implementation of docs/subject-map.md written here from the text alone."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from tests.verification.subject_map_vectors import VECTORS, render
from verification.subject_map import (
    EMPTY,
    SubjectMap,
    SubjectProofError,
    SubjectProofSizeError,
    parse_subject_proof,
    verify_subject_proof,
)

DATA = json.loads(VECTORS.read_text(encoding="utf-8"))


def straightforward_root(heads: list[tuple[str, int, bytes]]) -> bytes:
    """Every one of the 65,536 buckets hashed, then every level, with no shortcut."""
    buckets: list[list[tuple[bytes, int, bytes]]] = [[] for _ in range(65536)]
    for subject, version, leaf in heads:
        key = hashlib.sha256(subject.encode()).digest()
        buckets[key[0] * 256 + key[1]].append((key, version, leaf))
    level = [
        hashlib.sha256(
            b"\x02" + b"".join(k + v.to_bytes(8, "big") + h for k, v, h in sorted(b))
        ).digest()
        for b in buckets
    ]
    while len(level) > 1:
        level = [
            hashlib.sha256(b"\x03" + b"".join(level[i : i + 16])).digest()
            for i in range(0, len(level), 16)
        ]
    return level[0]


def test_the_published_vectors_are_what_the_script_builds() -> None:
    assert VECTORS.read_text(encoding="utf-8") == render()


@pytest.mark.parametrize("vector", DATA["maps"], ids=lambda v: v["name"])
def test_each_vector_root_is_the_straightforward_root(vector: dict[str, object]) -> None:
    heads = [
        (h["subject"], h["version"], bytes.fromhex(h["leaf_hash"]))
        for h in vector["heads"]  # type: ignore[attr-defined]
    ]
    assert straightforward_root(heads).hex() == vector["root"]


def test_the_empty_map_root_is_e0() -> None:
    assert straightforward_root([]) == EMPTY[0] == SubjectMap().root


@pytest.mark.parametrize("vector", DATA["proofs"], ids=lambda v: v["name"])
def test_each_proof_gets_its_verdict(vector: dict[str, object]) -> None:
    expect = vector["expect"]
    assert isinstance(expect, dict)
    proof = parse_subject_proof(vector["proof"])
    root = bytes.fromhex(str(vector["root"]))
    if expect["verdict"] == "invalid":
        with pytest.raises(SubjectProofError) as raised:
            verify_subject_proof(proof, root)
        assert raised.value.code == expect["error"]
        return
    head = verify_subject_proof(proof, root, int(str(vector["size"])))
    if expect["verdict"] == "absent":
        assert head is None
    else:
        assert head is not None
        assert (head.version, head.leaf_hash.hex()) == (expect["version"], expect["leaf_hash"])


def test_a_proof_checked_against_a_note_of_another_size_is_stale() -> None:
    vector = next(v for v in DATA["proofs"] if v["name"] == "membership")
    proof = parse_subject_proof(vector["proof"])
    with pytest.raises(SubjectProofSizeError) as raised:
        verify_subject_proof(proof, bytes.fromhex(vector["root"]), vector["size"] + 1)
    assert (raised.value.expected, raised.value.actual) == (vector["size"] + 1, vector["size"])


def test_incremental_updates_reach_the_straightforward_root() -> None:
    rng = random.Random(11)
    subjects = [f"s{n}" for n in range(300)]
    incremental = SubjectMap()
    versions: dict[str, int] = {}
    for _ in range(6):
        group = rng.sample(subjects, 40)
        heads = []
        for subject in group:
            versions[subject] = versions.get(subject, 0) + 1
            heads.append((subject, versions[subject], bytes([versions[subject]]) * 32))
        incremental.set_heads(heads)
    expected = straightforward_root([(s, v, bytes([v]) * 32) for s, v in versions.items()])
    assert incremental.root == expected
    for subject in subjects[:20]:
        head = verify_subject_proof(incremental.proof(subject, 1), expected)
        assert (head is None) == (subject not in versions)


@pytest.mark.parametrize(
    "damage",
    [
        None,
        [],
        {"subject": 1},
        {"subject": "s", "size": -1, "bucket": [], "siblings": []},
        {"subject": "s", "size": 1, "bucket": [{"key": "zz"}], "siblings": [[]] * 4},
        {"subject": "s", "size": 1, "bucket": [], "siblings": [["00" * 32] * 14] * 4},
    ],
)
def test_malformed_proofs_are_refused_by_a_typed_error(damage: object) -> None:
    with pytest.raises(SubjectProofError):
        parse_subject_proof(damage)
