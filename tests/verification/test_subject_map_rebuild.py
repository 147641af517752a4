"""The subject map is derived from the log alone: replaying the demo's logs entry by entry
rebuilds the root of every subject-map note the ledger stored, and every note is signed by the
ledger key with the origin `<log origin>/subjects` and the size of its checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.demo.load import open_demo_runtime
from ledger.bootstrap import Runtime
from ledger.settings import Settings
from verification.logcheck import read_note
from verification.subject_map import SubjectMap, parse_subject_proof, verify_subject_proof


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data: Path = tmp_path_factory.mktemp("rebuild")
    runtime, _ = open_demo_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data)}))
    yield runtime
    runtime.close()


def test_replaying_each_log_rebuilds_every_stored_note_root(demo: Runtime) -> None:
    checked = 0
    for log_id in demo.logs.ids():
        ledger = demo.logs.log(log_id)
        recorder = ledger.store.recorder
        rebuilt = SubjectMap()
        for stored in recorder.entries(0, ledger.size):
            leaf = ledger.store.decode(stored)
            fields = leaf.leaf
            rebuilt.set_heads(
                [(fields["subject"], fields["version"], bytes.fromhex(leaf.leaf_hash))]
            )
            size = stored.index + 1
            note = recorder.subject_note(size)
            if recorder.checkpoint(size) is None:
                assert note is None
                continue
            assert note is not None, f"log {log_id} has a checkpoint but no map note at {size}"
            parsed = read_note(note.note, demo.log_verifier_key)
            assert parsed.origin == f"{ledger.origin}/subjects"
            assert (parsed.size, parsed.root) == (size, rebuilt.root) == (size, note.root)
            proof = parse_subject_proof(ledger.subject_proof(fields["subject"], size))
            head = verify_subject_proof(proof, parsed.root, size)
            assert head is not None
            assert head.version == fields["version"]
            checked += 1
    assert checked > 10


def test_every_subject_of_the_demo_is_proven_at_the_latest_size(demo: Runtime) -> None:
    for log_id in demo.logs.ids():
        ledger = demo.logs.log(log_id)
        size = ledger.size
        root = read_note(ledger.subject_map_note(size), demo.log_verifier_key).root
        heads: dict[str, tuple[int, str]] = {}
        for stored in ledger.store.recorder.entries(0, size):
            event = ledger.store.decode(stored)
            heads[event.leaf["subject"]] = (event.leaf["version"], event.leaf_hash)
        for subject, (version, leaf_hash) in heads.items():
            proof = parse_subject_proof(ledger.subject_proof(subject, size))
            head = verify_subject_proof(proof, root, size)
            assert head is not None
            assert (head.version, head.leaf_hash.hex()) == (version, leaf_hash)
        absent = parse_subject_proof(ledger.subject_proof(f"{log_id}/never", size))
        assert verify_subject_proof(absent, root, size) is None
