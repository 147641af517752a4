"""The read store of one database: read-model rows and each log's positions, in one transaction.

A read store lives in the database that holds its logs (an agency's SQLite file, a PostgreSQL
server's schema), so a log's read models commit beside that log only."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL

from ledger.start_lock import start_lock
from ledger.store import may_create, store_environment
from projections.failures import ProjectionFailure
from projections.schema import (
    FAILURES,
    INDEXES,
    POSITIONS,
    REQUESTS,
    SNAPSHOTS,
    STATE,
    TABLES,
    Table,
)
from projections.state_rows import FORMAT as STATE_FORMAT

Row = dict[str, Any]
StateLookup = Callable[[str, str], bytes | None]  # (map, key) -> the stored value of one log
_STATE_VALUE = "SELECT value FROM {s}jp_state WHERE log = ? AND map = ? AND key = ?"
_INSERT_SNAPSHOT = "INSERT INTO {s}jp_snapshots (log, format, position, value) VALUES (?, ?, ?, ?)"
_MOVE_SNAPSHOT = (
    "UPDATE {s}jp_snapshots SET format = ?, position = ?, value = ? WHERE log = ? AND position = ?"
)
TRACKING_NAME = "jejak_projections"
READ_TABLES = (
    *(t.name for t in (*TABLES, POSITIONS, FAILURES, STATE, SNAPSHOTS)),
    f"{TRACKING_NAME}_tracking",
)


@dataclass(frozen=True)
class SnapshotWrite:
    """A step's new snapshot of the projector's state, and the position of the stored one
    that state was folded on (None: none, the fold began at entry 0 on no stored state)."""

    folded_on: int | None
    position: int
    value: bytes


class StateMovedError(Exception):
    """The stored state is not the one a step was folded on (another process followed or
    rebuilt this log meanwhile): the step is not committed; the follower reloads it."""


@dataclass
class RowBatch:
    """Everything one catch-up step of one log writes: upserted rows per table and each
    model's position in that log."""

    log: str = ""
    rows: dict[str, dict[tuple[object, ...], tuple[object, ...]]] = field(default_factory=dict)
    replaced: dict[str, dict[object, list[tuple[object, ...]]]] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)  # model -> entries of `log` applied
    failures: list[ProjectionFailure] = field(default_factory=list)
    state: list[tuple[str, str, bytes]] = field(default_factory=list)  # (map, key, value)
    snapshot: SnapshotWrite | None = None

    def keep_only(self, models: set[str]) -> None:
        """Drop the rows of tables whose model already applied this batch."""
        names = {t.name for t in TABLES if t.model in models}
        self.rows = {n: r for n, r in self.rows.items() if n in names}
        self.replaced = {n: r for n, r in self.replaced.items() if n in names}

    def put(self, table: Table, values: tuple[object, ...]) -> None:
        _storable(table, values)
        self.rows.setdefault(table.name, {})[values[: table.key]] = values

    def replace(self, table: Table, first: object, values: list[tuple[object, ...]]) -> None:
        """Replace every row of this log whose first key column equals `first` by `values`."""
        for row in values:
            _storable(table, row)
        self.replaced.setdefault(table.name, {})[first] = values

    def __len__(self) -> int:
        replaced = sum(len(v) for rows in self.replaced.values() for v in rows.values())
        return sum(len(rows) for rows in self.rows.values()) + replaced


def _storable(table: Table, values: tuple[object, ...]) -> None:
    """Refuse, while the row is computed (so the failure names its agency), a value that
    would fail the whole batch's transaction in the database."""
    for column, value in zip(table.columns, values, strict=False):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(f"{table.name}.{column} holds a NUL character, which cannot be stored")


class Cursorish(Protocol):
    def execute(self, statement: Any, params: Any = ...) -> Any: ...
    def executemany(self, statement: Any, params: Any) -> Any: ...
    def fetchall(self) -> Any: ...


class _ReadMixin:
    """The statements both backends share; `_sql` adapts `{s}` and placeholders."""

    datastore: Any

    def _sql(self, statement: str) -> Any:
        raise NotImplementedError

    def _tables(self) -> list[str]:
        tables = (*TABLES, POSITIONS, FAILURES, STATE, SNAPSHOTS)
        return [*(t.create() for t in tables), *INDEXES]

    @contextmanager
    def cursor(self, *, commit: bool) -> Iterator[Cursorish]:
        with self.datastore.transaction(commit=commit) as curs:
            yield curs

    def rows(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        with self.cursor(commit=False) as curs:
            curs.execute(self._sql(statement), params)
            return [dict(r) for r in curs.fetchall()]

    def write_batch(self, curs: Cursorish, batch: RowBatch, fail_before_positions: bool) -> None:
        self.write_state(curs, batch)  # first: it refuses a step folded on another state
        by_name = {t.name: t for t in TABLES}
        for name, replaced in sorted(batch.replaced.items()):
            table = by_name[name]
            first = table.columns[0]
            delete = f"DELETE FROM {{s}}{name} WHERE {first} = ? AND agency = ?"  # noqa: S608
            curs.executemany(self._sql(delete), [(key, batch.log) for key in replaced])
            values = [row for rows in replaced.values() for row in rows]
            if values:
                curs.executemany(self._sql(table.upsert()), values)
        for name, rows in sorted(batch.rows.items()):
            if rows:
                curs.executemany(self._sql(by_name[name].upsert()), list(rows.values()))
        self.write_failures(curs, batch.failures)
        if fail_before_positions:
            raise SimulatedCrashError("crash after the rows, before the positions")
        if batch.positions:
            curs.executemany(
                self._sql(POSITIONS.upsert()),
                [(batch.log, model, size) for model, size in sorted(batch.positions.items())],
            )

    def write_failures(self, curs: Cursorish, failures: Sequence[ProjectionFailure]) -> None:
        """Record each parked agency with the entry its read models could not apply."""
        if failures:
            curs.executemany(
                self._sql(FAILURES.upsert()), [(f.agency, f.entry, f.error) for f in failures]
            )

    def write_state(self, curs: Cursorish, batch: RowBatch) -> None:
        """The projector's snapshot and changed state rows, beside the rows they made.

        The snapshot moves only from the one the step was folded on (a row lock on
        PostgreSQL), so two processes following one log never mix their states."""
        snapshot = batch.snapshot
        if snapshot is not None:
            if snapshot.folded_on is None:
                statement = f"{_INSERT_SNAPSHOT} ON CONFLICT (log) DO NOTHING RETURNING log"
                values: tuple[object, ...] = (batch.log, STATE_FORMAT, snapshot.position)
                curs.execute(self._sql(statement), (*values, snapshot.value))
            else:
                values = (STATE_FORMAT, snapshot.position, snapshot.value, batch.log)
                curs.execute(
                    self._sql(f"{_MOVE_SNAPSHOT} RETURNING log"), (*values, snapshot.folded_on)
                )
            if len(curs.fetchall()) != 1:
                raise StateMovedError(
                    f"the stored state of log {batch.log} is not the one this step was folded"
                    " on (another process follows or rebuilt the log); it is reloaded"
                )
        if batch.state:
            curs.executemany(self._sql(STATE.upsert()), [(batch.log, *row) for row in batch.state])

    def snapshot(self, log: str) -> tuple[int, bytes] | None:
        """The stored snapshot of `log`'s state (its format and bytes), if any."""
        found = self.rows("SELECT format, value FROM {s}jp_snapshots WHERE log = ?", (log,))
        return None if not found else (int(found[0]["format"]), bytes(found[0]["value"]))

    def state_value(self, log: str, name: str, key: str) -> bytes | None:
        """One stored value of one of `log`'s state maps."""
        found = self.rows(_STATE_VALUE, (log, name, key))
        return None if not found else bytes(found[0]["value"])

    @contextmanager
    def state_reader(self, log: str) -> Iterator[StateLookup]:
        """`state_value` of `log` in one read transaction held open (a fold's cache misses:
        one statement each, not a transaction each)."""
        statement = self._sql(_STATE_VALUE)
        with self.cursor(commit=False) as curs:

            def value(name: str, key: str) -> bytes | None:
                curs.execute(statement, (log, name, key))
                found = curs.fetchall()
                return None if not found else bytes(found[0]["value"])

            yield value

    def request_ids(self, log: str) -> list[str]:
        """The requests of `log` with a stored row."""
        found = self.rows(f"SELECT subject FROM {{s}}{REQUESTS.name} WHERE agency = ?", (log,))  # noqa: S608
        return [str(r["subject"]) for r in found]

    def clear_state(self, log: str) -> None:
        """Drop `log`'s stored state and snapshot (the fold starts again at entry 0)."""
        with self.cursor(commit=True) as curs:
            self._overwrite_deleted(curs)
            self._delete_state(curs, log)

    def _delete_state(self, curs: Cursorish, log: str) -> None:
        for table in (STATE, SNAPSHOTS):
            curs.execute(self._sql(f"DELETE FROM {{s}}{table.name} WHERE log = ?"), (log,))  # noqa: S608

    def failures(self, log: str | None = None) -> list[ProjectionFailure]:
        """The parked logs this store holds (of one log, or of all)."""
        where = "" if log is None else " WHERE agency = ?"
        found = self.rows(
            f"SELECT agency, entry, error FROM {{s}}jp_failures{where} ORDER BY agency, entry",  # noqa: S608
            () if log is None else (log,),
        )
        return [
            ProjectionFailure(str(r["agency"]), int(r["entry"]), str(r["error"])) for r in found
        ]

    def positions(self, log: str) -> dict[str, int]:
        """How many entries of `log` each model has applied, as stored."""
        found = self.rows("SELECT model, log_size FROM {s}jp_positions WHERE log = ?", (log,))
        return {str(r["model"]): int(r["log_size"]) for r in found}

    def set_position(self, log: str, model: str, size: int) -> None:
        """Store one (model, log) position on its own (a rebuild's bookkeeping)."""
        with self.cursor(commit=True) as curs:
            curs.execute(self._sql(POSITIONS.upsert()), (log, model, size))

    def clear(self, log: str, tables: Sequence[Table], models: Sequence[str]) -> None:
        """Empty one log's rows of `tables`, its recorded failure, its positions of `models`
        and the projector's stored state (it folds the log from entry 0 again)."""
        with self.cursor(commit=True) as curs:
            self._overwrite_deleted(curs)
            self._delete_state(curs, log)
            curs.execute(self._sql("DELETE FROM {s}jp_failures WHERE agency = ?"), (log,))
            for table in tables:
                delete = f"DELETE FROM {{s}}{table.name} WHERE agency = ?"  # noqa: S608
                curs.execute(self._sql(delete), (log,))
            for model in models:
                curs.execute(
                    self._sql("DELETE FROM {s}jp_positions WHERE log = ? AND model = ?"),
                    (log, model),
                )

    def _overwrite_deleted(self, curs: Cursorish) -> None:
        """Before rows go (a rebuild after a redaction): make the database overwrite them."""


class SimulatedCrashError(Exception):
    """Raised by tests inside the write transaction to simulate a crash."""


class SQLiteReadRecorder(_ReadMixin, SQLiteTrackingRecorder):
    """Read-model tables beside eventsourcing's SQLite tracking table."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self._tables_sql()]

    def _tables_sql(self) -> list[str]:
        return [self._sql(s) for s in self._tables()]

    def _sql(self, statement: str) -> str:
        return statement.replace("{s}", "").replace("{bytes}", "BLOB")

    def _overwrite_deleted(self, curs: Cursorish) -> None:
        curs.execute("PRAGMA secure_delete = ON")  # no copy of a cleared row stays in the file


class PostgresReadRecorder(_ReadMixin, PostgresTrackingRecorder):
    """Read-model tables beside eventsourcing's PostgreSQL tracking table, in the log's schema."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements += [SQL(self._sql(s)).format() for s in self._tables()]

    def _sql(self, statement: str) -> str:
        schema = '"' + self.datastore.schema.replace('"', '""') + '".'
        return statement.replace("{s}", schema).replace("{bytes}", "BYTEA").replace("?", "%s")


ReadRecorder = SQLiteReadRecorder | PostgresReadRecorder


def open_read_recorder(database_url: str) -> ReadRecorder:
    """Open the read store in a log's own database (its SQLite file or PostgreSQL schema)."""
    env = store_environment(database_url)
    env.pop("APPLICATION_RECORDER_TOPIC", None)
    env["POSTGRES_POOL_SIZE"] = "2"
    with start_lock(env):  # another process may be creating the same tables right now
        if env["PERSISTENCE_MODULE"] != "eventsourcing.sqlite":
            may_create(env, READ_TABLES)
        factory = InfrastructureFactory[TrackingRecorder].construct(Environment(TRACKING_NAME, env))
        if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
            return factory.tracking_recorder(SQLiteReadRecorder)  # type: ignore[return-value]
        return factory.tracking_recorder(PostgresReadRecorder)  # type: ignore[return-value]
