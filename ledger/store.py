"""The event store: an eventsourcing application on SQLite or PostgreSQL, chosen by URL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import parse_qs, unquote, urlparse

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, StoredEvent, Transcoder

from ledger.errors import ConfigurationError, StoreConflictError
from ledger.payload_split import join, split
from ledger.private_files import private_file
from ledger.records import (
    CheckpointRow,
    EntryRecorded,
    LogBatch,
    SubjectMapBatch,
    SubjectNoteRow,
    stream_id,
)
from ledger.start_lock import start_lock
from ledger.transcoder import OrjsonTranscoder


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from the store: its index and its stored event."""

    index: int
    event: StoredEvent
    payload: bytes | None = None  # from jejak_payloads; None once redacted (or stored inside)


@dataclass(frozen=True)
class SnapshotRow:
    """A log's writer-state snapshot as stored: the log size and fold generation it stands
    at, and its sealed body (ledger/snapshot.py); the state's values are rows beside it."""

    size: int
    generation: int
    body: bytes


@dataclass(frozen=True)
class StateRead:
    """One state row read with the snapshot row it belongs to, in one statement: the value
    (None: absent) and the (generation, size) the rows stood at (None: no snapshot)."""

    value: bytes | None
    stands_at: tuple[int, int] | None


@dataclass(frozen=True)
class StateReads:
    """Several rows of one map read with the snapshot row they belong to, in one statement:
    the values found by key (a key not in it is absent) and where the rows stood."""

    values: dict[bytes, bytes]
    stands_at: tuple[int, int] | None


STATE_KEYS_PER_READ = 500
"""Keys asked for in one statement of `state_values` (bounded: far below any backend's limit
on parameters); more keys are read in several statements."""


@dataclass(frozen=True)
class StoredPayload:
    """Where a payload digest is recorded in a log: its entry, the envelope digest an exact
    resubmission repeats, and whether the payload was redacted since."""

    index: int
    envelope_sha256: bytes
    redacted: bool


StateRow = tuple[str, bytes, bytes]
"""(map, key bytes, value bytes): one value of a writer's state (ledger/state_codec.py)."""


@dataclass(frozen=True)
class TokenRow:
    """A bearer token as stored: only its SHA-256, never the token itself."""

    token_sha256: bytes
    role: str
    org: str | None
    label: str
    created_at: str


class StoreRecorder(Protocol):
    """What the ledger needs of a store beyond eventsourcing's recorder (both backends): the
    rows of any log the store holds, and the tokens."""

    datastore: Any

    def log_size(self, log: str) -> int: ...
    def log_sizes(self, logs: Sequence[str]) -> dict[str, int]: ...
    def writer_turn(self, log: str) -> AbstractContextManager[int]: ...
    def entries(self, log: str, start: int, stop: int) -> list[StoredEntry]: ...
    def nodes(self, log: str, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]: ...
    def checkpoint(self, log: str, size: int | None) -> CheckpointRow | None: ...
    def insert_token(self, token: TokenRow) -> None: ...
    def token(self, token_sha256: bytes) -> TokenRow | None: ...
    def subject_map_bodies(
        self, log: str, keys: Iterable[tuple[int, int]], size: int
    ) -> dict[tuple[int, int], bytes]: ...
    def subject_note(self, log: str, size: int | None) -> SubjectNoteRow | None: ...
    def subject_note_at_or_below(self, log: str, size: int) -> SubjectNoteRow | None: ...
    def insert_subject_map(self, log: str, batch: SubjectMapBatch) -> None: ...
    def payloads(self, log: str, indexes: Iterable[int]) -> dict[int, bytes]: ...
    def redactions(self, log: str) -> dict[int, int]: ...
    def erase_payload(self, log: str, index: int, registry_index: int) -> bool: ...
    def stored_payloads(self, log: str, digests: Iterable[bytes]) -> dict[bytes, StoredPayload]: ...
    def snapshot(self, log: str) -> SnapshotRow | None: ...
    def state_value(self, log: str, name: str, key: bytes) -> StateRead: ...
    def state_values(self, log: str, name: str, keys: Sequence[bytes]) -> StateReads: ...
    def state_keys(self, log: str, name: str) -> list[bytes]: ...
    def write_snapshot(
        self, log: str, base: int, snapshot: SnapshotRow, rows: Sequence[StateRow]
    ) -> bool: ...
    def reset_snapshot(self, log: str, generation: int) -> bool: ...


class LogRecorder:
    """One log's rows in a store that may hold several logs (a PostgreSQL server's tables)."""

    def __init__(self, recorder: StoreRecorder, log: str) -> None:
        self._recorder = recorder
        self.log = log
        self.datastore = recorder.datastore

    def log_size(self) -> int:
        return self._recorder.log_size(self.log)

    def writer_turn(self) -> AbstractContextManager[int]:
        """The log's writer lock (PostgreSQL), yielding its size as stored under it."""
        return self._recorder.writer_turn(self.log)

    def entries(self, start: int, stop: int) -> list[StoredEntry]:
        return self._recorder.entries(self.log, start, stop)

    def nodes(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return self._recorder.nodes(self.log, keys)

    def checkpoint(self, size: int | None) -> CheckpointRow | None:
        return self._recorder.checkpoint(self.log, size)

    def insert_token(self, token: TokenRow) -> None:
        self._recorder.insert_token(token)

    def subject_map_bodies(
        self, keys: Iterable[tuple[int, int]], size: int
    ) -> dict[tuple[int, int], bytes]:
        return self._recorder.subject_map_bodies(self.log, keys, size)

    def subject_note(self, size: int | None) -> SubjectNoteRow | None:
        return self._recorder.subject_note(self.log, size)

    def subject_note_at_or_below(self, size: int) -> SubjectNoteRow | None:
        """The latest subject-map note of a size at or below `size`: the store's map rows are
        whole as of that size (every group commit writes the rows with its note)."""
        return self._recorder.subject_note_at_or_below(self.log, size)

    def insert_subject_map(self, batch: SubjectMapBatch) -> None:
        self._recorder.insert_subject_map(self.log, batch)

    def token(self, token_sha256: bytes) -> TokenRow | None:
        return self._recorder.token(token_sha256)

    def redactions(self) -> dict[int, int]:
        """The entries of this log whose payload was erased -> their redaction's registry index."""
        return self._recorder.redactions(self.log)

    def erase_payload(self, index: int, registry_index: int) -> bool:
        """Erase entry `index`'s payload, recording its redaction (registry entry)."""
        return self._recorder.erase_payload(self.log, index, registry_index)

    def stored_payloads(self, digests: Iterable[bytes]) -> dict[bytes, StoredPayload]:
        """Where each of these payload digests is recorded in this log (absent: nowhere),
        through the unique index of `jejak_entries`."""
        return self._recorder.stored_payloads(self.log, digests)

    # The writer's snapshot (derived rows: the writer role may change and delete them) -------

    def snapshot(self) -> SnapshotRow | None:
        return self._recorder.snapshot(self.log)

    def state_value(self, name: str, key: bytes) -> StateRead:
        """A state row and the snapshot it belongs to, read in one statement."""
        return self._recorder.state_value(self.log, name, key)

    def state_values(self, name: str, keys: Sequence[bytes]) -> StateReads:
        """Rows of one map (at most `STATE_KEYS_PER_READ` keys) and their snapshot row, read in
        one statement."""
        return self._recorder.state_values(self.log, name, keys)

    def state_keys(self, name: str) -> list[bytes]:
        """The keys of one map's stored rows (a whole map: for maps of few keys)."""
        return self._recorder.state_keys(self.log, name)

    def write_snapshot(self, base: int, snapshot: SnapshotRow, rows: Sequence[StateRow]) -> bool:
        """Store a state's changed rows and its snapshot body in one transaction, only where
        the stored snapshot is of the same generation at a size in [base, snapshot.size] (the
        rows then hold everything up to `base`, and `rows` the changes since) or there is
        none and `base` is 0. False (nothing written) otherwise: another writer moved it."""
        return self._recorder.write_snapshot(self.log, base, snapshot, rows)

    def reset_snapshot(self, generation: int) -> bool:
        """Delete this log's state rows and leave an empty snapshot of `generation` at size 0
        (a refold from entry 0 starts there), unless a later generation is stored."""
        return self._recorder.reset_snapshot(self.log, generation)


class LogApplication(Application[uuid.UUID]):
    """The eventsourcing application that holds every subject's stream of entries."""

    name = "jejak"

    def construct_transcoder(self) -> Transcoder:
        """eventsourcing's JSON format, written by orjson (ledger/transcoder.py)."""
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder


class EventStore:
    """One opened store (a SQLite file, a PostgreSQL schema): appends batches atomically and
    reads entries, nodes and tokens of the logs it holds."""

    def __init__(self, app: LogApplication, description: str, env: Mapping[str, str]) -> None:
        self.app = app
        self.env = env
        self.recorder = cast(StoreRecorder, app.recorder)
        self.description = description

    def log(self, log: str) -> LogStore:
        """One log's view of this store."""
        return LogStore(self, log)

    def append(self, events: list[EntryRecorded], batch: LogBatch) -> None:
        """Commit events with their index rows, tree nodes and checkpoint in one transaction;
        each event's payload goes to `jejak_payloads`, its envelope is stored without it."""
        stored: list[EntryRecorded] = []
        for event in events:
            without, payload = split(event)
            stored.append(without)
            if payload is not None:
                batch.payloads.append((event.index, payload))
        try:  # the event store's put: `Application.save`'s aggregate bookkeeping is not needed
            self.app.events.put(stored, log_batch=batch)
        except IntegrityError as error:
            raise StoreConflictError(f"another writer appended first: {error}") from error

    def decode(self, entry: StoredEntry) -> EntryRecorded:
        return join(
            cast(EntryRecorded, self.app.mapper.to_domain_event(entry.event)), entry.payload
        )

    def stream_events(self, log: str, stream: uuid.UUID) -> list[EntryRecorded]:
        """Every entry of one stream of `log`, in version order, with their payloads."""
        events = [
            cast(EntryRecorded, self.app.mapper.to_domain_event(stored))
            for stored in self.app.recorder.select_events(stream)
        ]
        payloads = self.recorder.payloads(log, [e.index for e in events])
        return [join(e, payloads.get(e.index)) for e in events]

    def rewrite_risk(self) -> str | None:
        """On PostgreSQL, why this connection's role could rewrite stored history (it should
        be the writer role of `jejak db init`); None when it cannot, and on SQLite."""
        if self.env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
            return None
        from ledger.store_postgres import rewrite_risk

        return rewrite_risk(self.env)

    def close(self) -> None:
        self.app.close()


class LogStore:
    """One log in a store: what its writer and readers use (`recorder` is bound to the log)."""

    def __init__(self, store: EventStore, log: str) -> None:
        self.shared = store
        self.log = log
        self.recorder = LogRecorder(store.recorder, log)
        self.description = f"{store.description}, log {log}"
        self.env = store.env

    def append(self, events: list[EntryRecorded], batch: LogBatch) -> None:
        self.shared.append(events, batch)

    def decode(self, entry: StoredEntry) -> EntryRecorded:
        return self.shared.decode(entry)

    def subject_events(self, subject: str) -> list[EntryRecorded]:
        """Every entry of one subject of this log, in version order."""
        return self.shared.stream_events(self.log, stream_id(self.log, subject))

    def rewrite_risk(self) -> str | None:
        return self.shared.rewrite_risk()


def store_environment(database_url: str) -> dict[str, str]:
    """The eventsourcing environment for a `sqlite:///path` or `postgresql://` URL."""
    parsed = urlparse(database_url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/file.db and sqlite:////absolute/file.db, as SQLAlchemy spells them
        path = unquote(parsed.path)
        path = path[1:] if path.startswith("//") else path.lstrip("/")
        if not path:
            raise ConfigurationError("a sqlite URL needs a file path: sqlite:///var/jejak.db")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "ledger.store_sqlite:SQLiteLogRecorder",
        }
    if parsed.scheme in ("postgresql", "postgres"):
        query = parse_qs(parsed.query)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "POSTGRES_POOL_SIZE": "8",
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "ledger.store_postgres:PostgresLogRecorder",
        }
    raise ConfigurationError(
        f"unsupported database URL {database_url!r}: use sqlite:///FILE or postgresql://..."
    )


def open_store(database_url: str) -> EventStore:
    """Open (and create if needed) the store named by `database_url`."""
    env = store_environment(database_url)
    description = describe(env)
    with start_lock(env):  # another process may be creating the same tables right now
        if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            private_file(Path(env["SQLITE_DBNAME"]))
        else:
            may_create(env, (*LOG_TABLES, *ERASABLE_TABLES, *DERIVED_TABLES))
        try:
            app = LogApplication(env=env)
        except Exception as error:
            raise ConfigurationError(f"cannot open the store ({description}): {error}") from error
    return EventStore(app, description, env)


APPEND_ONLY_TABLES = (
    "jejak_entries",
    "jejak_tree",
    "jejak_checkpoints",
    "jejak_subject_map",
    "jejak_subject_notes",
    "jejak_redactions",
)
"""Tables whose rows no role may change or delete (by trigger, on both backends), beside the
events table."""
LOG_TABLES = ("jejak_events", *APPEND_ONLY_TABLES, "jejak_tokens")
"""Every table of a log store the writer role reads and inserts into (not the payloads)."""
ERASABLE_TABLES = ("jejak_payloads",)
"""Rows the writer role may delete: a payload, once its redaction is recorded (by trigger)."""
DERIVED_TABLES = ("jejak_state", "jejak_snapshots")
"""The writers' snapshots (ledger/snapshot.py): derived from the history, never part of it, so
the writer role may insert, update and delete them; a damaged one is refused and rebuilt."""


def may_create(env: dict[str, str], tables: Sequence[str]) -> None:
    """On PostgreSQL, create the schema if needed and let eventsourcing create the tables
    only where some are missing and this role may (`CREATE_TABLE`); a writer role needs them
    all there already."""
    from ledger.store_postgres import ensure_schema, missing_tables

    creates = ensure_schema(env)
    missing = missing_tables(env, tables)
    # Only a store that lacks tables runs the DDL: CREATE OR REPLACE TRIGGER on a live table
    # takes a lock that deadlocks with a running writer's inserts (a projection worker starting
    # beside a busy server died of it, and its read models stalled).
    env["CREATE_TABLE"] = "yes" if creates and missing else "no"
    if not creates and missing:
        raise ConfigurationError(
            f"schema {env['POSTGRES_SCHEMA']} lacks {', '.join(missing)} and role"
            f" {env['POSTGRES_USER']} may not create tables: run `jejak db init` as the"
            " database's administrator"
        )


def describe(env: Mapping[str, str]) -> str:
    """The store an environment names, for messages."""
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return f"SQLite file {env['SQLITE_DBNAME']}"
    return (
        f"PostgreSQL {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/"
        f"{env['POSTGRES_DBNAME']} schema {env['POSTGRES_SCHEMA']}"
    )


def drop_postgres_schema(database_url: str) -> None:
    """Remove a PostgreSQL schema and everything in it (tests and benchmarks only)."""
    from ledger.store_postgres import drop_schema

    with contextlib.suppress(KeyError):
        drop_schema(store_environment(database_url))
