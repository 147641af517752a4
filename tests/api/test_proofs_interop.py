"""Checkpoints and proofs served by the API, checked by pymerkle, an independent RFC 9162 code."""

from __future__ import annotations

import pymerkle  # type: ignore[import-untyped]
from fastapi.testclient import TestClient

from tests.support import AGENCY, World, unit_payload
from verification.merkle import verify_consistency
from verification.note import parse_checkpoint, verify_note


def test_served_proofs_and_checkpoints_match_pymerkle(client: TestClient, world: World) -> None:
    sizes = []
    for batch in range(5):  # several group commits, so several published checkpoints
        world.append(*[unit_payload(f"unit-{batch}-{i}") for i in range(batch * 3 + 1)])
        sizes.append(world.runtime.logs.log(AGENCY).size)
    size = sizes[-1]
    other = pymerkle.InmemoryTree(algorithm="sha256")
    for index in range(size):
        other.append_entry(world.runtime.logs.log(AGENCY).entry(index).leaf_json.encode())
    log = f"/v1/logs/{AGENCY}"

    key = client.get("/v1/log-key").text.strip()
    checkpoints = {
        s: parse_checkpoint(verify_note(client.get(f"{log}/checkpoints/{s}").text, key))
        for s in sizes
    }
    for s, checkpoint in checkpoints.items():
        assert checkpoint.root == other.get_root(s)
    for index in range(size):
        served = client.get(f"{log}/proofs/inclusion?index={index}&size={size}").json()
        theirs = other.prove_inclusion(index + 1, size)
        assert [bytes.fromhex(h) for h in served["hashes"]] == theirs.path[1:]
        pymerkle.verify_inclusion(
            bytes.fromhex(served["leaf_hash"]), checkpoints[size].root, theirs
        )
    for old in sizes[:-1]:
        old_root, new_root = checkpoints[old].root, checkpoints[size].root
        pymerkle.verify_consistency(old_root, new_root, other.prove_consistency(old, size))
        served = client.get(f"{log}/proofs/consistency?old={old}&new={size}").json()
        verify_consistency(
            old, size, [bytes.fromhex(h) for h in served["hashes"]], old_root, new_root
        )
