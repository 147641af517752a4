"""`jejak db init`: the PostgreSQL owner and writer roles, the schema and its grants."""

from __future__ import annotations

import argparse
from typing import Any

from ledger.errors import ConfigurationError
from ledger.placement import Placement
from ledger.roles import DEFAULT_OWNER, DEFAULT_WRITER, create_roles, grant
from ledger.settings import Settings
from ledger.start_lock import start_lock
from ledger.store import (
    DERIVED_TABLES,
    ERASABLE_TABLES,
    LOG_TABLES,
    describe,
    open_store,
    store_environment,
)
from projections.store import READ_TABLES, open_read_recorder


def servers(settings: Settings) -> list[str]:
    """Every PostgreSQL server holding logs: those of JEJAK_PLACEMENT, or JEJAK_DATABASE_URL."""
    if settings.placement_file is None:
        return [settings.database_url]
    return list(Placement.load(settings.placement_file).servers.values())


def cmd_init(args: argparse.Namespace) -> int:
    """Create (or bring up to date) roles, schema, tables and grants on every server holding
    logs; safe to run again. The log tables (entries, tree, checkpoints) are keyed by log."""
    settings = Settings.from_env()
    urls = servers(settings)
    for url in urls:
        if store_environment(url)["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
            raise ConfigurationError("jejak db init is for PostgreSQL (JEJAK_DATABASE_URL)")
    for url in urls:
        env = store_environment(url)
        with start_lock(env):
            create_roles(env, args.owner, args.writer, args.writer_password)
            open_store(url).close()  # creates the tables, as this administrator
            open_read_recorder(url).datastore.close()
            grant(
                env,
                args.owner,
                args.writer,
                LOG_TABLES,
                READ_TABLES,
                ERASABLE_TABLES,
                DERIVED_TABLES,
            )
        print(
            f"{describe(env)}: schema {env['POSTGRES_SCHEMA']} is owned by {args.owner};"
            f" {args.writer} may read and append the log tables and write the read models"
        )
    return 0


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add this module's subcommands to the `jejak` parser."""
    group = commands.add_parser("db", help="the PostgreSQL schema and its roles")
    sub = group.add_subparsers(dest="db_command", required=True)
    init = sub.add_parser(
        "init",
        help="create the owner and writer roles, the schema and its grants (run as a"
        " superuser; idempotent)",
    )
    init.add_argument("--owner", default=DEFAULT_OWNER, help="the role that owns the schema")
    init.add_argument("--writer", default=DEFAULT_WRITER, help="the role `jejak serve` logs in as")
    init.add_argument("--writer-password", help="set the writer's password")
    init.set_defaults(func=cmd_init)
