"""A changed tree node or checkpoint row is caught at start-up: the server refuses to start."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

import domain.state
from ledger.bootstrap import open_runtime
from ledger.errors import LedgerCorruptedError
from ledger.ledger import Ledger
from ledger.placement import sqlite_log_url
from ledger.settings import Settings
from ledger.store import store_environment
from tests.servers import ROOT, free_port
from tests.support import AGENCY, UNIT, World
from verification.merkle import perfect_subtrees


def _tamper(url: str, table: str, statement: str, params: tuple[object, ...]) -> None:
    """Run an UPDATE on the agency log's rows of an append-only table past its trigger, as a
    superuser could (`statement` ends in a WHERE clause; the log is added to it)."""
    statement += " AND log = ?"
    params = (*params, AGENCY)
    env = store_environment(url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        env = store_environment(sqlite_log_url(url, AGENCY))  # the agency log's own file
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        with sqlite3.connect(env["SQLITE_DBNAME"]) as conn:  # the ledger recreates the trigger
            conn.execute(f"DROP TRIGGER {table}_no_update")
            conn.execute(statement.format(table=table), params)
        return
    schema = env["POSTGRES_SCHEMA"]
    qualified = SQL("{}.{}").format(Identifier(schema), Identifier(table))
    with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
        conn.execute(SQL("ALTER TABLE {} DISABLE TRIGGER ALL").format(qualified))
        conn.execute(SQL(statement.replace("?", "%s")).format(table=qualified), params)
        conn.execute(SQL("ALTER TABLE {} ENABLE TRIGGER ALL").format(qualified))


def _settings(url: str, tmp_path: Path) -> dict[str, str]:
    return {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": url}


def _filled(url: str, tmp_path: Path) -> int:
    """A log with some entries; the latest checkpoint's size."""
    runtime = open_runtime(Settings.from_env(_settings(url, tmp_path)))
    try:
        World(runtime).setup()
        return runtime.logs.log(AGENCY).latest_checkpoint().size
    finally:
        runtime.close()


def _refused_start(url: str, tmp_path: Path) -> str:
    """`jejak serve` on the store: it must exit non-zero with one line; return that line."""
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env={**os.environ, **_settings(url, tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_start_refused_when_a_stored_tree_node_changed(database_url: str, tmp_path: Path) -> None:
    size = _filled(database_url, tmp_path)
    level, index = perfect_subtrees(0, size)[0]
    _tamper(
        database_url,
        "jejak_tree",
        "UPDATE {table} SET hash = ? WHERE level = ? AND idx = ?",
        (bytes(32), level, index),
    )
    settings = Settings.from_env(_settings(database_url, tmp_path))
    with pytest.raises(LedgerCorruptedError, match=f"jejak_checkpoints row log={AGENCY} size="):
        open_runtime(settings)  # the stored tree alone no longer hashes to the root
    with pytest.raises(
        LedgerCorruptedError, match=f"jejak_tree row log={AGENCY} level={level} idx={index}"
    ):
        open_runtime(settings, open_logs=True)  # the replayed leaves name the node
    line = _refused_start(database_url, tmp_path)
    assert f"jejak_tree row log={AGENCY} level={level} idx={index}" in line


def test_start_refused_when_the_checkpoint_root_changed(database_url: str, tmp_path: Path) -> None:
    size = _filled(database_url, tmp_path)
    _tamper(
        database_url,
        "jejak_checkpoints",
        "UPDATE {table} SET root = ? WHERE size = ?",
        (bytes(32), size),
    )
    line = _refused_start(database_url, tmp_path)
    assert f"jejak_checkpoints row log={AGENCY} size={size}" in line


def test_start_refused_when_the_checkpoint_note_is_not_signed_by_the_log_key(
    database_url: str, tmp_path: Path
) -> None:
    size = _filled(database_url, tmp_path)
    _tamper(
        database_url,
        "jejak_checkpoints",
        "UPDATE {table} SET note = replace(note, '\u2014 ', '\u2014 x') WHERE size = ?",
        (size,),
    )
    with pytest.raises(
        LedgerCorruptedError, match=f"jejak_checkpoints row log={AGENCY} size={size}: its note"
    ):
        open_runtime(Settings.from_env(_settings(database_url, tmp_path)))


def test_start_refused_with_one_line_when_an_entry_cannot_be_replayed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a log the writer left without a snapshot (it crashed before its first): start-up
    # replays it from entry 0 (after a snapshot only the tail is replayed)
    monkeypatch.setattr(Ledger, "_snapshot_at_close", lambda self: None)
    _filled(database_url, tmp_path)
    rule = domain.state.check_subject_kind

    def faulty(subject: str, existing: str | None, event_type: str) -> None:
        if subject == UNIT:  # a replay bug on one stored entry
            raise OverflowError("date value out of range")
        rule(subject, existing, event_type)

    monkeypatch.setattr(domain.state, "check_subject_kind", faulty)
    with pytest.raises(
        LedgerCorruptedError,
        match=rf"entry \d+ of log {AGENCY} cannot be replayed: OverflowError: date value",
    ):
        open_runtime(Settings.from_env(_settings(database_url, tmp_path)), open_logs=True)


def test_an_untouched_store_starts(database_url: str, tmp_path: Path) -> None:
    _filled(database_url, tmp_path)
    open_runtime(Settings.from_env(_settings(database_url, tmp_path))).close()
