"""Helpers for projection tests: a runner on a runtime and a digest of every read-model table."""

from __future__ import annotations

import hashlib
import json

from ledger.bootstrap import Runtime
from projections.runner import ProjectionRunner
from projections.schema import TABLES
from projections.store import open_read_recorder


def runner_for(runtime: Runtime, batch: int = 1000) -> ProjectionRunner:
    reads = open_read_recorder(runtime.settings.database_url)
    return ProjectionRunner(runtime.ledger.store, reads, batch=batch)


def digest(runner: ProjectionRunner) -> str:
    """SHA-256 over every table's rows in primary-key order."""
    h = hashlib.sha256()
    for table in TABLES:
        order = ", ".join(table.columns[: table.key])
        for row in runner.reads.rows(f"SELECT * FROM {{s}}{table.name} ORDER BY {order}"):
            h.update(json.dumps([table.name, *row.values()], default=str).encode())
    return h.hexdigest()


def rules(runner: ProjectionRunner) -> list[str]:
    return sorted(str(r["rule"]) for r in runner.reads.rows("SELECT rule FROM {s}jp_flags"))
