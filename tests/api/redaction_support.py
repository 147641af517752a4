"""Helpers for the redaction tests: a payload carrying a unique marker, and searches for that
marker in every table of a store (and, on SQLite, in the files' bytes)."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
from psycopg import sql

from ledger.bootstrap import Runtime


def sqlite_files(runtime: Runtime) -> list[Path]:
    """Every SQLite file of the runtime's store: the main file and each log's."""
    url = runtime.settings.database_url
    main = Path(urlparse(url).path[1:] if url.startswith("sqlite:////") else urlparse(url).path)
    main = main if main.is_absolute() else Path.cwd() / main
    return sorted(p for p in main.parent.rglob("*.db"))


def _needles(marker: str) -> list[bytes]:
    raw = marker.encode()
    # the marker as bytes, as hex (PostgreSQL's bytea as text) and inside base64 at each of
    # the three alignments a longer base64 text could hold it
    found = [raw, raw.hex().encode()]
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw)[4 if pad else 0 :]
        found.append(encoded[:-4])
    return found


def _holds(value: object, needles: list[bytes]) -> bool:
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return any(n in data for n in needles)
    return False


def sqlite_tables_holding(runtime: Runtime, marker: str) -> list[str]:
    """`file:table` of every SQLite table a row of which holds the marker."""
    needles, found = _needles(marker), []
    for path in sqlite_files(runtime):
        with sqlite3.connect(path) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
                if any(_holds(v, needles) for row in rows for v in row):
                    found.append(f"{path.name}:{table}")
        conn.close()
    return found


def sqlite_files_holding(runtime: Runtime, marker: str, vacuum: bool) -> list[str]:
    """The SQLite files (and WAL files) whose bytes hold the marker, after a WAL checkpoint
    (TRUNCATE) and, with `vacuum`, a VACUUM of each file."""
    needles, found = _needles(marker), []
    for path in sqlite_files(runtime):
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if vacuum:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
            if candidate.exists() and any(n in candidate.read_bytes() for n in needles):
                found.append(candidate.name)
    return found


def postgres_tables_holding(database_url: str, marker: str) -> list[str]:
    """Every table of the store's PostgreSQL schema a row of which, as text, holds the marker."""
    schema = parse_qs(urlparse(database_url).query).get("schema", ["public"])[0]
    needles, found = _needles(marker), []
    with psycopg.connect(database_url.split("?")[0]) as conn:
        tables = [
            str(r[0])
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
        ]
        for table in tables:
            rows = conn.execute(
                sql.SQL("SELECT t::text FROM {}.{} t").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            ).fetchall()
            if any(_holds(str(r[0]), needles) for r in rows):
                found.append(table)
    return found


def tables_holding(runtime: Runtime, marker: str) -> list[str]:
    url = runtime.settings.database_url
    if url.startswith("sqlite"):
        return sqlite_tables_holding(runtime, marker)
    return postgres_tables_holding(url, marker)
