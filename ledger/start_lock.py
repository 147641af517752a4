"""One start-up at a time per store: schema creation and the genesis entry under one lock.

On PostgreSQL the lock is a session advisory lock on a fixed key (per schema) held on a
connection of its own; on SQLite an exclusive `flock` on `<database>.lock` beside the file.
Either goes with the process if it dies. Nested use in one thread (opening the runtime opens
the store) takes the lock once."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from ledger.private_files import FILE_MODE, private_dir

# the first half of the two-int advisory key: "jejk" in ASCII, so other users' keys are apart
LOCK_CLASS = 0x6A656A6B
_held = threading.local()


@contextlib.contextmanager
def start_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Hold the start-up lock of the store that `env` (see `store_environment`) names."""
    name = _name(env)
    depth: dict[str, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(name):
        depth[name] += 1
        try:
            yield
        finally:
            depth[name] -= 1
        return
    lock = _sqlite_lock if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite" else _postgres_lock
    with lock(env):
        depth[name] = 1
        try:
            yield
        finally:
            depth[name] = 0


def _name(env: Mapping[str, str]) -> str:
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return "sqlite:" + os.path.abspath(env["SQLITE_DBNAME"])
    return "postgres:{POSTGRES_HOST}:{POSTGRES_PORT}/{POSTGRES_DBNAME}/{POSTGRES_SCHEMA}".format(
        **env
    )


@contextlib.contextmanager
def _sqlite_lock(env: Mapping[str, str]) -> Iterator[None]:
    path = Path(env["SQLITE_DBNAME"] + ".lock")
    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


@contextlib.contextmanager
def _postgres_lock(env: Mapping[str, str]) -> Iterator[None]:
    from ledger.store_postgres import connect

    with connect(env) as conn:
        key = (LOCK_CLASS, env["POSTGRES_SCHEMA"])
        conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
