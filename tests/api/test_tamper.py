"""A stored payload byte changed with SQL, triggers off: the exported bundle is refused at that
entry."""

from __future__ import annotations

import sqlite3

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql

from ledger.bootstrap import Runtime
from tests.support import AGENCY, HEAD, STAFF, World, payload, wfa_request

REQUEST = "req-tamper-1"


def _flip(payload: bytes) -> bytes:
    """Change one letter inside the stored payload's text (still valid JSON)."""
    return payload.replace(b"Penyusunan", b"Penyusunam", 1)


def _tamper_sqlite(runtime: Runtime, index: int) -> None:
    store = runtime.logs.log(AGENCY).store.shared
    path = store.description.removeprefix("SQLite file ")
    with sqlite3.connect(path) as conn:
        [(stored,)] = conn.execute(
            "SELECT payload FROM jejak_payloads WHERE log = ? AND idx = ?", (AGENCY, index)
        ).fetchall()
        conn.execute("DROP TRIGGER jejak_payloads_no_update")
        conn.execute(
            "UPDATE jejak_payloads SET payload = ? WHERE log = ? AND idx = ?",
            (_flip(bytes(stored)), AGENCY, index),
        )


def _tamper_postgres(url: str, index: int) -> None:
    schema = url.rsplit("schema=", 1)[1]
    name = sql.Identifier(schema, "jejak_payloads")
    with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
        [(stored,)] = conn.execute(
            sql.SQL("SELECT payload FROM {} WHERE log = %s AND idx = %s").format(name),
            (AGENCY, index),
        ).fetchall()
        trigger = sql.Identifier("jejak_payloads_erase_redacted_only")
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(name, trigger))
        conn.execute(
            sql.SQL("UPDATE {} SET payload = %s WHERE log = %s AND idx = %s").format(name),
            (_flip(bytes(stored)), AGENCY, index),
        )


def test_changed_stored_byte_is_refused_naming_the_entry(
    runtime: Runtime, world: World, client: TestClient, database_url: str
) -> None:
    world.append(payload("wfa.requested", REQUEST, STAFF, wfa_request()))
    world.append(payload("wfa.approved", REQUEST, HEAD, {"note": "ok"}))
    [first, _] = runtime.logs.log(AGENCY).subject_events(REQUEST)
    if database_url.startswith("sqlite"):
        _tamper_sqlite(runtime, first.index)
    else:
        _tamper_postgres(database_url, first.index)
    token = world.tokens["inspector"]
    response = client.get(
        "/v1/bundles",
        params={"log": AGENCY, "subject": REQUEST},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    from verification.verifier import verify_whole

    result = verify_whole(response.content, runtime.log_verifier_key)
    reasons = {(f.reason, f.index) for f in result.failures}
    assert ("payload-hash-mismatch", first.index) in reasons
    assert ("bad-signature", first.index) in reasons
