"""A log stored before subject maps existed (no map rows) still opens: its writer builds the
map from the log once, publishes the note at its latest checkpoint, and goes on from there."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.support import AGENCY, STAFF, World, payload, wfa_request
from verification.logcheck import read_note
from verification.subject_map import parse_subject_proof, verify_subject_proof


def test_a_log_without_map_rows_gets_its_map_built_at_open(tmp_path: Path) -> None:
    settings = Settings.from_env({"JEJAK_DATA_DIR": str(tmp_path)})
    runtime = open_runtime(settings)
    World(runtime).setup()
    sizes = {log: runtime.logs.log(log).size for log in runtime.logs.ids()}
    sizes = {log: size for log, size in sizes.items() if size}
    runtime.close()
    databases = list(tmp_path.rglob("*.db"))  # the registry's file and one per agency log
    assert len(databases) > 1
    for database in databases:  # as stores of the previous release: no map tables
        with sqlite3.connect(database) as conn:
            conn.execute("DROP TABLE jejak_subject_map")
            conn.execute("DROP TABLE jejak_subject_notes")
    runtime = open_runtime(settings)
    try:
        key = runtime.log_verifier_key
        for log, size in sizes.items():
            ledger = runtime.logs.log(log)
            note = read_note(ledger.subject_map_note(size), key)
            assert (note.origin, note.size) == (f"{ledger.origin}/subjects", size)
            assert note.root == ledger.subject_map.root
        World(runtime).append(payload("wfa.requested", "req-new", STAFF, wfa_request(STAFF)))
        agency = runtime.logs.log(AGENCY)
        root = read_note(agency.subject_map_note(agency.size), key).root
        for subject in ("req-new", STAFF):
            proof = parse_subject_proof(agency.subject_proof(subject, agency.size))
            assert verify_subject_proof(proof, root, agency.size) is not None
    finally:
        runtime.close()
