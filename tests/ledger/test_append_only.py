"""The stored log refuses UPDATE and DELETE at the database level, on both stores."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlparse

import psycopg
import pytest
from psycopg import sql

from ledger.store import open_store
from tests.ledger.test_store_contract import _batch

COLUMN = {
    "jejak_entries": "version",
    "jejak_tree": "hash",
    "jejak_checkpoints": "note",
    "jejak_subject_map": "body",
    "jejak_subject_notes": "note",
}
TABLES = list(COLUMN)


def test_sqlite_tables_refuse_update_and_delete(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    store.append(*_batch(0, [("a", 1)]))
    events_table = store.app.recorder.events_table_name  # type: ignore[attr-defined]
    store.close()
    path = urlparse(sqlite_url).path[1:]
    with sqlite3.connect(path) as conn:
        for table in [*TABLES, events_table]:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(f"DELETE FROM {table}")
            column = COLUMN.get(table, "topic")
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(f"UPDATE {table} SET {column} = {column}")


def test_postgres_tables_refuse_update_delete_and_truncate(postgres_url: str) -> None:
    store = open_store(postgres_url)
    store.append(*_batch(0, [("a", 1)]))
    events_table = store.app.recorder.events_table_name  # type: ignore[attr-defined]
    store.close()
    schema = postgres_url.rsplit("schema=", 1)[1]
    with psycopg.connect(postgres_url.split("?")[0], autocommit=True) as conn:
        for table in [*TABLES, events_table]:
            name = sql.Identifier(schema, table)
            for statement in (
                sql.SQL("DELETE FROM {}").format(name),
                sql.SQL("TRUNCATE {}").format(name),
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                    conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                sql.SQL("UPDATE {} SET hash = hash").format(sql.Identifier(schema, "jejak_tree"))
            )
