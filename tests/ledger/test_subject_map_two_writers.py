"""Two processes' writers appending to the same log in turn (the CLI beside a server) keep one
subject map: every note either of them stored has the root a replay of the log rebuilds."""

from __future__ import annotations

from pathlib import Path

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.support import AGENCY, HEAD, STAFF, STAFF2, World, payload, wfa_request
from verification.subject_map import SubjectMap


def test_notes_written_by_two_writers_in_turn_rebuild_from_the_log(
    database_url: str, tmp_path: Path
) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    first = open_runtime(Settings.from_env(env))
    world = World(first).setup()
    second = open_runtime(Settings.from_env(env))
    try:
        other = World(second, agency_signer=world.agency_signer)
        world.append(payload("wfa.requested", "req-a", STAFF, wfa_request(STAFF)))
        other.append(payload("wfa.requested", "req-b", STAFF2, wfa_request(STAFF2)))
        world.append(payload("wfa.approved", "req-b", HEAD, {"note": "ok"}))
        other.append(payload("wfa.approved", "req-a", HEAD, {"note": "ok"}))
        ledger = second.logs.log(AGENCY)
        recorder = ledger.store.recorder
        size = recorder.log_size()
        rebuilt, checked = SubjectMap(), 0
        for stored in recorder.entries(0, size):
            event = ledger.store.decode(stored)
            leaf = event.leaf
            rebuilt.set_heads([(leaf["subject"], leaf["version"], bytes.fromhex(event.leaf_hash))])
            note = recorder.subject_note(stored.index + 1)
            if note is not None:
                assert note.root == rebuilt.root, f"the note at size {stored.index + 1}"
                checked += 1
        assert checked >= 4
    finally:
        second.close()
        first.close()
