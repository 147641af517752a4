"""Builds tests/verification/vectors/subject_map.json: subject maps with their roots, proofs of
membership and absence, and damaged proofs named after their damage, each with its verdict.

`python -m tests.verification.subject_map_vectors` rewrites the file; test_subject_map.py
checks that the file is what this builds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from verification.subject_map import SubjectMap, SubjectProof, bucket_of, subject_key

VECTORS = Path(__file__).parent / "vectors" / "subject_map.json"
LOG = "kab-contoh"


def _leaf(subject: str, version: int) -> bytes:
    return hashlib.sha256(f"{subject}#{version}".encode()).digest()


def bucket_mates() -> tuple[str, str]:
    """The first two subjects `kab-contoh/wfa/N` that share a bucket (found by counting)."""
    seen: dict[int, str] = {}
    n = 0
    while True:
        subject = f"{LOG}/wfa/{n:04d}"
        bucket = bucket_of(subject_key(subject))
        if bucket in seen:
            return seen[bucket], subject
        seen[bucket] = subject
        n += 1


def _heads(versions: dict[str, int]) -> list[tuple[str, int, bytes]]:
    return [(s, v, _leaf(s, v)) for s, v in sorted(versions.items())]


def _map(versions: dict[str, int]) -> SubjectMap:
    built = SubjectMap()
    built.set_heads(_heads(versions))
    return built


def _proof_json(proof: SubjectProof) -> dict[str, Any]:
    return proof.as_json()


def build_vectors() -> dict[str, Any]:
    mate, other = bucket_mates()
    v1 = {"198703122010011002": 2, mate: 1, other: 3, f"{LOG}/unit/keuangan": 1, "é/ü/子": 1}
    v2 = {**v1, other: 4, f"{LOG}/wfa/later": 1}
    maps = {"empty": ({}, 0), "v1": (v1, 8), "v2": (v2, 10)}
    built = {name: _map(versions) for name, (versions, _) in maps.items()}
    out_maps = [
        {
            "name": name,
            "size": size,
            "heads": [
                {"subject": s, "version": v, "leaf_hash": h.hex()} for s, v, h in _heads(versions)
            ],
            "root": built[name].root.hex(),
        }
        for name, (versions, size) in maps.items()
    ]
    proofs: list[dict[str, Any]] = []

    def add(name: str, on: str, proof: dict[str, Any], expect: dict[str, Any], note: str) -> None:
        root = built[on].root.hex()
        proofs.append(
            {
                "name": name,
                "map": on,
                "root": root,
                "size": maps[on][1],
                "proof": proof,
                "expect": expect,
                "description": note,
            }
        )

    def member(versions: dict[str, int], subject: str) -> dict[str, Any]:
        version = versions[subject]
        return {"verdict": "member", "version": version, "leaf_hash": _leaf(subject, version).hex()}

    def proof(on: str, subject: str) -> dict[str, Any]:
        return _proof_json(built[on].proof(subject, maps[on][1]))

    add(
        "membership",
        "v1",
        proof("v1", "198703122010011002"),
        member(v1, "198703122010011002"),
        "a subject alone in its bucket",
    )
    add(
        "membership-shared-bucket",
        "v1",
        proof("v1", other),
        member(v1, other),
        "a subject whose bucket holds another subject's head too",
    )
    add(
        "membership-non-ascii",
        "v2",
        proof("v2", "é/ü/子"),
        member(v2, "é/ü/子"),
        "the key hashes the subject's UTF-8 bytes",
    )
    add(
        "absence",
        "v1",
        proof("v1", f"{LOG}/wfa/never"),
        {"verdict": "absent"},
        "a subject without any entry: no bucket item has its key",
    )
    add(
        "absence-empty-map",
        "empty",
        proof("empty", "198703122010011002"),
        {"verdict": "absent"},
        "the empty map: every sibling an empty subtree's hash",
    )
    tampered = proof("v1", "198703122010011002")
    first = tampered["siblings"][1][3]
    tampered["siblings"][1][3] = ("0" if first[0] != "0" else "1") + first[1:]
    add(
        "tampered-sibling",
        "v1",
        tampered,
        {"verdict": "invalid", "error": "root-mismatch"},
        "one level-3 sibling hash changed",
    )
    stale = proof("v1", other)
    stale["size"] = maps["v2"][1]
    add(
        "stale-root",
        "v2",
        stale,
        {"verdict": "invalid", "error": "root-mismatch"},
        "a proof of the map at size 8 relabelled and checked against the root at size 10,"
        " where the subject's head moved on",
    )
    missing = proof("v1", other)
    missing["bucket"] = [i for i in missing["bucket"] if i["key"] == subject_key(other).hex()]
    add(
        "bucket-missing-item",
        "v1",
        missing,
        {"verdict": "invalid", "error": "root-mismatch"},
        "the bucket without the other subject's head",
    )
    unsorted = proof("v1", other)
    unsorted["bucket"] = list(reversed(unsorted["bucket"]))
    add(
        "bucket-unsorted",
        "v1",
        unsorted,
        {"verdict": "invalid", "error": "bucket-item"},
        "the bucket's two items in decreasing key order",
    )
    wrong = proof("v1", other)
    for item in wrong["bucket"]:
        if item["key"] == subject_key(other).hex():
            item["version"] = 2
    add(
        "wrong-version",
        "v1",
        wrong,
        {"verdict": "invalid", "error": "root-mismatch"},
        "the subject's head claimed at version 2 (its chain has 3)",
    )
    return {
        "description": "Subject-map vectors (docs/subject-map.md). Leaf hashes are"
        " SHA-256(subject#version) stand-ins. Each proof is checked against `root`"
        " (the root of map `map`, whose size is `size`).",
        "maps": out_maps,
        "proofs": proofs,
    }


def render() -> str:
    return json.dumps(build_vectors(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    VECTORS.write_text(render(), encoding="utf-8")
