"""A stored byte changed with SQL, triggers off: the exported bundle is refused at that entry."""

from __future__ import annotations

import sqlite3

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql

from ledger.bootstrap import Runtime
from ledger.records import stream_id
from tests.support import AGENCY, HEAD, STAFF, World, payload, wfa_request

REQUEST = "req-tamper-1"


def _flip(state: bytes, payload_b64: str) -> bytes:
    """Change one base64 character inside the stored payload (still valid base64)."""
    at = state.index(payload_b64[:40].encode()) + 20
    changed = b"B" if state[at : at + 1] != b"B" else b"C"
    return state[:at] + changed + state[at + 1 :]


def _tamper_sqlite(runtime: Runtime, stream: str, payload_b64: str) -> None:
    store = runtime.logs.log(AGENCY).store.shared
    table = store.app.recorder.events_table_name  # type: ignore[attr-defined]
    path = store.description.removeprefix("SQLite file ")
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            f"SELECT originator_id, state FROM {table} WHERE originator_version = 1"
        ).fetchall()
        [(originator, state)] = [r for r in rows if r[0].replace("-", "") == stream]
        conn.execute(f"DROP TRIGGER {table}_no_update")
        conn.execute(
            f"UPDATE {table} SET state = ? WHERE originator_id = ? AND originator_version = 1",
            (_flip(bytes(state), payload_b64), originator),
        )


def _tamper_postgres(runtime: Runtime, url: str, stream: str, payload_b64: str) -> None:
    table = runtime.logs.log(AGENCY).store.shared.app.recorder.events_table_name  # type: ignore[attr-defined]
    schema = url.rsplit("schema=", 1)[1]
    name = sql.Identifier(schema, table)
    with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
        [(state,)] = conn.execute(
            sql.SQL(
                "SELECT state FROM {} WHERE originator_id = %s AND originator_version = 1"
            ).format(name),
            (stream,),
        ).fetchall()
        trigger = sql.Identifier(f"{table}_append_only")
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(name, trigger))
        conn.execute(
            sql.SQL(
                "UPDATE {} SET state = %s WHERE originator_id = %s AND originator_version = 1"
            ).format(name),
            (_flip(bytes(state), payload_b64), stream),
        )


def test_changed_stored_byte_is_refused_naming_the_entry(
    runtime: Runtime, world: World, client: TestClient, database_url: str
) -> None:
    world.append(payload("wfa.requested", REQUEST, STAFF, wfa_request()))
    world.append(payload("wfa.approved", REQUEST, HEAD, {"note": "ok"}))
    [first, _] = runtime.logs.log(AGENCY).subject_events(REQUEST)
    payload_b64 = str(first.envelope["payload"])
    stream = stream_id(AGENCY, REQUEST)
    if database_url.startswith("sqlite"):
        _tamper_sqlite(runtime, stream.hex, payload_b64)
    else:
        _tamper_postgres(runtime, database_url, str(stream), payload_b64)
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
