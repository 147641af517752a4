"""Helpers for projection tests: a runner on a runtime and a digest of every read-model table."""

from __future__ import annotations

import hashlib
import json

from ledger.bootstrap import Runtime
from projections.runner import ProjectionRunner
from projections.schema import TABLES
from projections.store import Row


def runner_for(runtime: Runtime, batch: int = 1000) -> ProjectionRunner:
    """A runner on the runtime's stores (left open when the runner closes)."""
    return ProjectionRunner(runtime.logs.stores, batch=batch)


def table_rows(runner: ProjectionRunner, table: str, columns: str = "*") -> list[Row]:
    """Every row of a read-model table, over every agency log's read store."""
    found: list[Row] = []
    for log in runner.logs():
        statement = f"SELECT {columns} FROM {{s}}{table} WHERE agency = ?"
        found.extend(runner.reads_of(log).rows(statement, (log,)))
    return found


def digest(runner: ProjectionRunner) -> str:
    """SHA-256 over every log's rows of every table, in primary-key order."""
    h = hashlib.sha256()
    for log in runner.logs():
        for table in TABLES:
            order = ", ".join(table.columns[: table.key])
            statement = f"SELECT * FROM {{s}}{table.name} WHERE agency = ? ORDER BY {order}"
            for row in runner.reads_of(log).rows(statement, (log,)):
                h.update(json.dumps([log, table.name, *row.values()], default=str).encode())
    return h.hexdigest()


def rules(runner: ProjectionRunner) -> list[str]:
    return sorted(str(r["rule"]) for r in table_rows(runner, "jp_flags", "rule"))
