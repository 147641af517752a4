"""PostgreSQL roles: an owner of the schema and a writer that may only read and append."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import psycopg
from psycopg import sql

from ledger.errors import ConfigurationError
from ledger.store_postgres import connect

DEFAULT_OWNER = "jejak_owner"
DEFAULT_WRITER = "jejak_writer"


def create_roles(
    env: Mapping[str, str], owner: str, writer: str, writer_password: str | None
) -> None:
    """Create the owner (no login) and the writer (login) roles if missing, and the schema
    owned by the owner. Run as an administrator (a superuser)."""
    schema = sql.Identifier(env["POSTGRES_SCHEMA"])
    with connect(env) as conn:
        for role, login in ((owner, False), (writer, True)):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if exists is None:
                _run(conn, sql.SQL("CREATE ROLE {} " + ("LOGIN" if login else "NOLOGIN")), role)
        if writer_password is not None:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(writer), sql.Literal(writer_password)
                )
            )
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                schema, sql.Identifier(owner)
            )
        )
        conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, sql.Identifier(owner)))


def grant(
    env: Mapping[str, str],
    owner: str,
    writer: str,
    log_tables: Sequence[str],
    read_tables: Sequence[str],
    erasable_tables: Sequence[str] = (),
    derived_tables: Sequence[str] = (),
) -> None:
    """Give every table and function of the schema to the owner; let the writer SELECT and
    INSERT the log tables, also DELETE the erasable ones (a redacted payload, which their
    trigger checks), and SELECT, INSERT, UPDATE and DELETE the read models' tables and the
    derived ones (the writers' snapshots: rebuilt from the log when damaged, never history).

    Not being their owner, the writer can neither ALTER (DISABLE TRIGGER) nor TRUNCATE them."""
    name = env["POSTGRES_SCHEMA"]
    schema, owner_id, writer_id = (sql.Identifier(n) for n in (name, owner, writer))
    with connect(env) as conn, conn.transaction():
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (name,)
        ).fetchall()
        for (table,) in tables:
            conn.execute(
                sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(
                    schema, sql.Identifier(table), owner_id
                )
            )
        functions = conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
            " ON n.oid = p.pronamespace WHERE n.nspname = %s",
            (name,),
        ).fetchall()
        for (signature,) in functions:  # regprocedure text is already quoted and qualified
            conn.execute(sql.SQL("ALTER FUNCTION " + signature + " OWNER TO {}").format(owner_id))
        conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM PUBLIC").format(schema))
        conn.execute(
            sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, writer_id)
        )
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, writer_id))
        for tables_, privileges in (
            (log_tables, "SELECT, INSERT"),
            (read_tables, "SELECT, INSERT, UPDATE, DELETE"),
            (derived_tables, "SELECT, INSERT, UPDATE, DELETE"),
            (erasable_tables, "SELECT, INSERT, DELETE"),  # a redacted payload (by trigger)
        ):
            for table in tables_:
                conn.execute(
                    sql.SQL("GRANT " + privileges + " ON {}.{} TO {}").format(
                        schema, sql.Identifier(table), writer_id
                    )
                )
        conn.execute(
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                schema, writer_id
            )
        )


def _run(conn: psycopg.Connection[object], statement: sql.SQL, role: str) -> None:
    try:
        conn.execute(statement.format(sql.Identifier(role)))
    except psycopg.errors.InsufficientPrivilege as error:
        raise ConfigurationError(
            f"cannot create role {role}: run `jejak db init` as a PostgreSQL superuser"
        ) from error
