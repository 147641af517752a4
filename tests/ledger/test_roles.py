"""`jejak db init`: the writer role may read and append the log, never rewrite it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from api.cli import main
from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.store import LOG_TABLES, drop_postgres_schema, store_environment
from tests.servers import Server
from tests.support import World, unit_payload


@dataclass(frozen=True)
class Roles:
    admin_url: str
    writer_url: str
    owner: str
    writer: str
    schema: str


@pytest.fixture
def roles(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Roles]:
    """Fresh roles of this test's own (roles are global to the PostgreSQL server)."""
    tag = uuid.uuid4().hex[:8]
    owner, writer = f"jejak_owner_{tag}", f"jejak_writer_{tag}"
    writer_url = postgres_url.replace("postgresql://postgres@", f"postgresql://{writer}@")
    schema = store_environment(postgres_url)["POSTGRES_SCHEMA"]
    yield Roles(postgres_url, writer_url, owner, writer, schema)
    drop_postgres_schema(postgres_url)
    with psycopg.connect(postgres_url.split("?")[0], autocommit=True) as conn:
        for role in (writer, owner):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def _db_init(roles: Roles, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEJAK_DATABASE_URL", roles.admin_url)
    assert main(["db", "init", "--owner", roles.owner, "--writer", roles.writer]) == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET idx = idx",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
        "ALTER TABLE {table} DISABLE TRIGGER ALL",
    ],
)
def test_the_writer_role_may_not_rewrite_log_tables(
    roles: Roles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, statement: str
) -> None:
    _db_init(roles, monkeypatch)
    _db_init(roles, monkeypatch)  # idempotent
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": roles.writer_url}
    )
    open_runtime(settings).close()  # the writer writes the genesis entry
    with psycopg.connect(roles.writer_url.split("?")[0], autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (roles.writer,)
        for table in LOG_TABLES:
            qualified = sql.SQL("{}.{}").format(sql.Identifier(roles.schema), sql.Identifier(table))
            text = statement.replace("SET idx = idx", "SET " + _column(table) + " = NULL")
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                conn.execute(sql.SQL(text).format(table=qualified))
            # refused by privileges, not by the append-only trigger
            assert "append-only" not in str(refused.value)
            assert "permission denied" in str(refused.value) or "must be owner" in str(
                refused.value
            )
            assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(qualified)).fetchone()


def _column(table: str) -> str:
    return {
        "jejak_events": "topic",
        "jejak_tokens": "label",
        "jejak_checkpoints": "note",
        "jejak_subject_notes": "note",
    }.get(table, "idx")


def test_a_server_running_as_the_writer_role_appends_and_serves(
    roles: Roles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _db_init(roles, monkeypatch)
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": roles.writer_url}
    runtime = open_runtime(Settings.from_env(env))
    world = World(runtime).setup()
    token = world.tokens["agency"]
    runtime.close()
    server = Server(env, tmp_path / "server.log")
    try:
        headers = {"Authorization": f"Bearer {token}"}
        appended = httpx.post(
            f"{server.url}/v1/entries",
            json=world.agency_signer.sign(unit_payload("kab-contoh/umum")),
            headers=headers,
            timeout=30,
        )
        assert appended.status_code == 201, appended.text
        index = appended.json()["index"]
        entry = httpx.get(
            f"{server.url}/v1/logs/kab-contoh/entries/{index}", headers=headers, timeout=30
        )
        assert entry.status_code == 200, entry.text
        # the read models (written by the projection worker, as the writer) catch up
        read = httpx.get(
            f"{server.url}/v1/agencies/kab-contoh/requests",
            params={"min_index": index},
            headers=headers,
            timeout=60,
        )
        assert read.status_code == 200, read.text
    finally:
        server.stop()


def test_only_the_writer_role_is_free_of_rewrite_risk(
    roles: Roles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _db_init(roles, monkeypatch)
    for url, risky in ((roles.admin_url, True), (roles.writer_url, False)):
        settings = Settings.from_env(
            {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": url}
        )
        runtime = open_runtime(settings)
        try:
            risk = runtime.registry.store.rewrite_risk()
        finally:
            runtime.close()
        assert (risk is not None) == risky, risk
        assert not risky or "superuser" in str(risk)


def test_the_writer_role_erases_a_redacted_payload_and_no_other(
    roles: Roles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ledger.redaction import redact
    from tests.support import AGENCY

    _db_init(roles, monkeypatch)
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": roles.writer_url}
    runtime = open_runtime(Settings.from_env(env))
    try:
        World(runtime).setup()
        last = runtime.logs.log(AGENCY).size - 1
        redact(runtime.logs, runtime.operator, AGENCY, last, "UU 27/2022 Pasal 43", "")
        assert runtime.logs.log(AGENCY).entry(last).payload_b64 is None
    finally:
        runtime.close()
    payloads = sql.SQL("{}.{}").format(
        sql.Identifier(roles.schema), sql.Identifier("jejak_payloads")
    )
    with psycopg.connect(roles.writer_url.split("?")[0], autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="only a redacted payload"):
            conn.execute(sql.SQL("DELETE FROM {}").format(payloads))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("TRUNCATE {}").format(payloads))
