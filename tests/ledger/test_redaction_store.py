"""Payloads apart from the stored events, and the one change the store allows on them: a
payload row may be deleted only once its redaction is recorded (one contract, both stores)."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from urllib.parse import urlparse

import psycopg
import pytest
from psycopg import sql

from ledger.store import EventStore, open_store
from tests.ledger.test_store_contract import LOG, _batch

Execute = Callable[[str], None]


@contextmanager
def _raw(database_url: str) -> Iterator[Execute]:
    """Run SQL on the store as the test's administrator, naming tables without a schema."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(urlparse(database_url).path[1:], isolation_level=None)

        def run_sqlite(statement: str) -> None:
            conn.execute(statement)

        try:
            yield run_sqlite
        finally:
            conn.close()
        return
    schema = database_url.rsplit("schema=", 1)[1]
    with psycopg.connect(database_url.split("?")[0], autocommit=True) as pg:
        pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))

        def run_postgres(statement: str) -> None:
            pg.execute(statement.encode())

        yield run_postgres


REFUSED = (sqlite3.IntegrityError, psycopg.errors.InsufficientPrivilege)


@pytest.fixture
def shared(database_url: str) -> Iterator[EventStore]:
    opened = open_store(database_url)
    opened.append(*_batch(0, [("a", 1), ("b", 1)]))
    yield opened
    opened.close()


def _raw_store(database_url: str) -> AbstractContextManager[Execute]:
    return _raw(database_url)


def test_stored_event_holds_no_payload_and_reads_put_it_back(shared: EventStore) -> None:
    store = shared.log(LOG)
    stored = store.recorder.entries(0, 2)
    assert [s.payload for s in stored] == [b"p0", b"p1"]
    for entry in stored:
        assert b"p0" not in entry.event.state
        assert base64.b64encode(b"p0") not in entry.event.state
    assert store.decode(stored[0]).payload_b64 == base64.b64encode(b"p0").decode()
    assert [e.payload_b64 for e in store.subject_events("b")] == [base64.b64encode(b"p1").decode()]


def test_payload_without_a_recorded_redaction_cannot_be_deleted_or_changed(
    shared: EventStore, database_url: str
) -> None:
    with _raw_store(database_url) as execute:
        with pytest.raises(REFUSED, match="only a redacted payload"):
            execute("DELETE FROM jejak_payloads")
        with pytest.raises(REFUSED):
            execute("UPDATE jejak_payloads SET payload = payload")
    assert shared.log(LOG).recorder.entries(0, 2)[0].payload == b"p0"


def test_erasing_a_redacted_payload_leaves_the_entry_and_nothing_else_changes(
    shared: EventStore, database_url: str
) -> None:
    recorder = shared.log(LOG).recorder
    assert recorder.erase_payload(0, 7) is True
    assert recorder.erase_payload(0, 7) is False  # already gone: nothing to do
    assert recorder.redactions() == {0: 7}
    stored = recorder.entries(0, 2)
    assert [s.payload for s in stored] == [None, b"p1"]
    assert shared.decode(stored[0]).payload_b64 is None
    with _raw_store(database_url) as execute:
        with pytest.raises(REFUSED, match="only a redacted payload"):
            execute("DELETE FROM jejak_payloads")  # entry 1 was not redacted
        with pytest.raises(REFUSED, match="append-only"):
            execute("DELETE FROM jejak_redactions")
        with pytest.raises(REFUSED, match="append-only"):
            execute("UPDATE jejak_redactions SET registry_index = 8")
    assert recorder.log_size() == 2
