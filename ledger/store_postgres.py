"""PostgreSQL log recorder: eventsourcing's recorder plus the log index, tree and checkpoints."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.errors import ConfigurationError
from ledger.records import CheckpointRow, LogBatch, SubjectMapBatch, SubjectNoteRow
from ledger.store import (
    APPEND_ONLY_TABLES,
    SnapshotRow,
    StateRead,
    StateReads,
    StateRow,
    StoredEntry,
    StoredPayload,
    TokenRow,
)

PAYLOAD_TABLES = [
    # the signed payload bytes, apart from the stored event so that a redaction can erase them
    "CREATE TABLE IF NOT EXISTS {schema}.jejak_payloads ("
    " log TEXT NOT NULL, idx BIGINT NOT NULL, payload BYTEA NOT NULL, PRIMARY KEY (log, idx))",
    # each payload erased: the entry and the registry index of its `entry.redacted`
    "CREATE TABLE IF NOT EXISTS {schema}.jejak_redactions ("
    " log TEXT NOT NULL, idx BIGINT NOT NULL, registry_index BIGINT NOT NULL,"
    " PRIMARY KEY (log, idx))",
]
SNAPSHOT_TABLES = [
    # each log writer's state as of its snapshot (derived rows, changed in place)
    "CREATE TABLE IF NOT EXISTS {schema}.jejak_state ("
    " log TEXT NOT NULL, map TEXT NOT NULL, key BYTEA NOT NULL, value BYTEA NOT NULL,"
    " PRIMARY KEY (log, map, key))",
    "CREATE TABLE IF NOT EXISTS {schema}.jejak_snapshots ("
    " log TEXT NOT NULL PRIMARY KEY, size BIGINT NOT NULL, generation INTEGER NOT NULL,"
    " body BYTEA NOT NULL)",
]
# the guard of `write_snapshot`: a stored snapshot of the same generation at a size in [base,
# size], or none at all when base is 0; the conflicting row stays locked to the commit
_SNAPSHOT_UPSERT = (
    "INSERT INTO {schema}.jejak_snapshots AS s (log, size, generation, body)"
    " SELECT %(log)s, %(size)s, %(generation)s, %(body)s WHERE %(base)s = 0"
    " OR EXISTS (SELECT 1 FROM {schema}.jejak_snapshots WHERE log = %(log)s)"
    " ON CONFLICT (log) DO UPDATE SET size = excluded.size, body = excluded.body"
    " WHERE s.generation = excluded.generation AND s.size BETWEEN %(base)s AND excluded.size"
)
_SNAPSHOT_RESET = (
    "INSERT INTO {schema}.jejak_snapshots AS s (log, size, generation, body)"
    " VALUES (%(log)s, 0, %(generation)s, '')"
    " ON CONFLICT (log) DO UPDATE SET size = 0, generation = excluded.generation, body = ''"
    " WHERE s.generation <= excluded.generation"
)

PAYLOAD_TRIGGERS = [
    # created after the append-only triggers: the refusal function comes first
    "CREATE OR REPLACE FUNCTION {schema}.jejak_erase_redacted_only() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM {schema}.jejak_redactions r"
    " WHERE r.log = OLD.log AND r.idx = OLD.idx) THEN RETURN OLD; END IF;"
    " RAISE EXCEPTION 'jejak_payloads: only a redacted payload may be erased'"
    " USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE OR REPLACE TRIGGER jejak_payloads_erase_redacted_only BEFORE UPDATE OR DELETE"
    " ON {schema}.jejak_payloads FOR EACH ROW"
    " EXECUTE FUNCTION {schema}.jejak_erase_redacted_only()",
    "CREATE OR REPLACE TRIGGER jejak_payloads_no_truncate BEFORE TRUNCATE"
    " ON {schema}.jejak_payloads FOR EACH STATEMENT"
    " EXECUTE FUNCTION {schema}.jejak_refuse_change()",
]


def without_prepared_statements(datastore: PostgresDatastore) -> None:
    """Every connection the datastore lends runs its statements unprepared.

    Under the poison load (tests/api/test_poison.py) a writer connection once answered
    `prepared statement "_pg3_8" does not exist` on every group for seconds: psycopg's cache of
    server-side prepared statements no longer matched the session, and each group borrowing
    that connection failed with 503. Not preparing (psycopg's `prepare_threshold = None`, which
    overrides eventsourcing's `prepare=True`) removes that state; a statement is parsed on each
    execution instead, a few µs on the server."""
    lend = datastore.get_connection

    @contextlib.contextmanager
    def unprepared() -> Iterator[psycopg.Connection[Any]]:
        with lend() as conn:
            conn.prepare_threshold = None
            yield conn

    datastore.get_connection = unprepared  # type: ignore[method-assign]


def connect(env: Mapping[str, str]) -> psycopg.Connection[Any]:
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "10")),
        autocommit=True,
    )


def ensure_schema(env: Mapping[str, str]) -> bool:
    """Create the configured schema if it does not exist yet; say whether this role may
    create tables in it (its owner or a superuser: True; a writer role set up by
    `jejak db init`: False, the tables are the owner's)."""
    schema = env["POSTGRES_SCHEMA"]
    with connect(env) as conn:
        row = conn.execute(
            "SELECT has_schema_privilege(current_user, oid, 'CREATE') FROM pg_namespace"
            " WHERE nspname = %s",
            (schema,),
        ).fetchone()
        if row is not None:
            return bool(row[0])
        try:
            conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))
        except psycopg.errors.InsufficientPrivilege as error:
            raise ConfigurationError(
                f"schema {schema} does not exist and role {env['POSTGRES_USER']} may not create"
                " it: run `jejak db init` as the database's administrator"
            ) from error
        return True


def rewrite_risk(env: Mapping[str, str]) -> str | None:
    """Why the connected role could rewrite the log (a superuser, or a member of the log
    tables' owner), or None for a writer role that may only read and append."""
    with connect(env) as conn:
        row = conn.execute(
            "SELECT r.rolsuper, pg_has_role(current_user, t.tableowner, 'USAGE')"
            " FROM pg_roles r LEFT JOIN pg_tables t"
            " ON t.schemaname = %s AND t.tablename = 'jejak_entries'"
            " WHERE r.rolname = current_user",
            (env["POSTGRES_SCHEMA"],),
        ).fetchone()
    user = env["POSTGRES_USER"]
    if row is None:
        return None
    if row[0]:
        return f"connected as {user}, a superuser, which can disable the triggers and rewrite"
    if row[1]:
        return f"connected as {user}, the log tables' owner, which can disable their triggers"
    return None


def missing_tables(env: Mapping[str, str], tables: Sequence[str]) -> list[str]:
    """The tables of `tables` that the configured schema lacks."""
    with connect(env) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (env["POSTGRES_SCHEMA"],)
        ).fetchall()
    present = {str(r[0]) for r in rows}
    return [t for t in tables if t not in present]


def drop_schema(env: Mapping[str, str]) -> None:
    """Drop the configured schema with everything in it."""
    with connect(env) as conn:
        conn.execute(
            SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(env["POSTGRES_SCHEMA"]))
        )


def _pool_size(datastore: PostgresDatastore) -> int:
    return int(getattr(datastore.pool, "max_size", 2))


def _locks_table(statement: object) -> bool:
    return isinstance(statement, SQL | Composed) and "LOCK TABLE" in statement.as_string()


class PostgresLogRecorder(PostgresApplicationRecorder):
    """Writes each group commit's events, index rows, tree nodes and checkpoint atomically."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        without_prepared_statements(datastore)
        # Every insert into the events table happens in its log's writer turn (the advisory
        # lock of `writer_turn`), which keeps each log's indexes gap-free in commit order; the
        # read models follow those indexes, not the notification ids (logs of one server commit
        # in parallel). The library's LOCK TABLE ... IN EXCLUSIVE MODE would serialise every
        # log of the server and needs UPDATE, DELETE or TRUNCATE privilege, which the writer
        # role must not have.
        self.lock_table_statements = [s for s in self.lock_table_statements if not _locks_table(s)]
        # A turn holds one pooled connection for its lock and borrows another to commit: at
        # most half the pool's connections hold turns, so a commit always finds one free.
        self._turns = threading.BoundedSemaphore(max(1, _pool_size(datastore) // 2))
        self._group_sql = self._group_statement(outside_turn=False)
        self._group_sql_outside_turn = self._group_statement(outside_turn=True)
        self._state_sql = self._sql(
            "SELECT (SELECT value FROM {schema}.jejak_state"
            " WHERE log = %s AND map = %s AND key = %s) AS value,"
            " s.generation, s.size FROM (SELECT 1) AS one"
            " LEFT JOIN {schema}.jejak_snapshots s ON s.log = %s"
        )
        schema = Identifier(datastore.schema)
        self.sql_create_statements += [self._sql(s) for s in self._table_statements()]
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {}.jejak_refuse_change() RETURNS trigger"
                " LANGUAGE plpgsql AS $$ BEGIN"
                " RAISE EXCEPTION '% is append-only', TG_TABLE_NAME"
                " USING ERRCODE = 'insufficient_privilege'; END $$"
            ).format(schema)
        )
        for table in (self.events_table_name, *APPEND_ONLY_TABLES):
            self.sql_create_statements.append(
                SQL(
                    "CREATE OR REPLACE TRIGGER {trigger} BEFORE UPDATE OR DELETE OR TRUNCATE"
                    " ON {schema}.{table} FOR EACH STATEMENT"
                    " EXECUTE FUNCTION {schema}.jejak_refuse_change()"
                ).format(
                    trigger=Identifier(f"{table}_append_only"),
                    schema=schema,
                    table=Identifier(table),
                )
            )
        self.sql_create_statements += [self._sql(s) for s in PAYLOAD_TRIGGERS]

    def _sql(self, statement: str) -> Composed:
        return SQL(statement).format(
            schema=Identifier(self.datastore.schema), events=Identifier(self.events_table_name)
        )

    @staticmethod
    def _table_statements() -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {schema}.jejak_entries ("
            " log TEXT NOT NULL, idx BIGINT NOT NULL, stream UUID NOT NULL,"
            " version INTEGER NOT NULL, payload_sha256 BYTEA NOT NULL,"
            " envelope_sha256 BYTEA NOT NULL, PRIMARY KEY (log, idx),"
            " UNIQUE (log, payload_sha256), UNIQUE (stream, version))",
            "CREATE TABLE IF NOT EXISTS {schema}.jejak_tree ("
            " log TEXT NOT NULL, level SMALLINT NOT NULL, idx BIGINT NOT NULL,"
            " hash BYTEA NOT NULL, PRIMARY KEY (log, level, idx))",
            "CREATE TABLE IF NOT EXISTS {schema}.jejak_checkpoints ("
            " log TEXT NOT NULL, size BIGINT NOT NULL, root BYTEA NOT NULL,"
            " note TEXT NOT NULL, published_at TEXT NOT NULL, PRIMARY KEY (log, size))",
            # a subject-map node's body (bucket items, or 16 child hashes) from log size `size`
            "CREATE TABLE IF NOT EXISTS {schema}.jejak_subject_map ("
            " log TEXT NOT NULL, level SMALLINT NOT NULL, idx INTEGER NOT NULL,"
            " size BIGINT NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (log, level, idx, size))",
            "CREATE TABLE IF NOT EXISTS {schema}.jejak_subject_notes ("
            " log TEXT NOT NULL, size BIGINT NOT NULL, root BYTEA NOT NULL,"
            " note TEXT NOT NULL, PRIMARY KEY (log, size))",
            "CREATE TABLE IF NOT EXISTS {schema}.jejak_tokens ("
            " token_sha256 BYTEA PRIMARY KEY, role TEXT NOT NULL, org TEXT,"
            " label TEXT NOT NULL, created_at TEXT NOT NULL)",
            *PAYLOAD_TABLES,
            *SNAPSHOT_TABLES,
        ]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """A group commit's events, index rows, tree nodes and checkpoint in ONE statement.

        The library's insert is a pipelined transaction of a dozen round trips (BEGIN, its
        statements, syncs, COMMIT), ~20 waits on the socket per group: with one log per agency
        most groups hold one or two entries, and those waits cost more CPU than the entries
        (issue #9). A single INSERT of data-modifying CTEs on an autocommit connection is
        atomic (one implicit transaction) and durable when it returns; a unique violation
        (another writer appended first) raises eventsourcing's IntegrityError as before."""
        batch = kwargs.get("log_batch")
        if not isinstance(batch, LogBatch):
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        checkpoints = [batch.checkpoint] if batch.checkpoint is not None else []
        params = (
            events,
            batch.log,
            [e.index for e in batch.entries],
            [e.stream for e in batch.entries],
            [e.version for e in batch.entries],
            [e.payload_sha256 for e in batch.entries],
            [e.envelope_sha256 for e in batch.entries],
            batch.log,
            [node[0] for node in batch.nodes],
            [node[1] for node in batch.nodes],
            [node[2] for node in batch.nodes],
            batch.log,
            [cp.size for cp in checkpoints],
            [cp.root for cp in checkpoints],
            [cp.note for cp in checkpoints],
            [cp.published_at for cp in checkpoints],
            *self._subject_map_params(batch.log, batch.subject_map),
            batch.log,
            [p[0] for p in batch.payloads],
            [p[1] for p in batch.payloads],
        )
        statement = self._group_sql
        if batch.outside_turn:
            statement = self._group_sql_outside_turn
            params = (self._turn_key(batch.log), *params)
        with self.datastore.get_connection() as conn:
            rows = conn.execute(statement, params).fetchall()
        if events and not rows:  # the turn was held: nothing inserted
            raise IntegrityError(f"log {batch.log}: another writer holds the writer turn")
        return [int(row["notification_id"]) for row in rows]

    @staticmethod
    def _subject_map_params(log: str, batch: SubjectMapBatch | None) -> tuple[object, ...]:
        """The parameters of the group statement's subject-map rows and note (none: empty)."""
        nodes = [] if batch is None else batch.nodes
        notes = [] if batch is None else [batch.note]
        size = 0 if batch is None else batch.note.size
        return (
            log,
            [n[0] for n in nodes],
            [n[1] for n in nodes],
            [size for _ in nodes],
            [n[2] for n in nodes],
            log,
            [n.size for n in notes],
            [n.root for n in notes],
            [n.note for n in notes],
        )

    def insert_subject_map(self, log: str, batch: SubjectMapBatch) -> None:
        """A map written on its own (a log that predates subject maps, built at open)."""
        with self.datastore.transaction(commit=True) as curs:
            note = batch.note
            curs.executemany(
                self._sql("INSERT INTO {schema}.jejak_subject_map VALUES (%s,%s,%s,%s,%s)"),
                [(log, level, idx, note.size, body) for level, idx, body in batch.nodes],
            )
            curs.execute(
                self._sql("INSERT INTO {schema}.jejak_subject_notes VALUES (%s,%s,%s,%s)"),
                (log, note.size, note.root, note.note),
            )

    def _group_statement(self, outside_turn: bool) -> Composed:
        """The group commit's statement. `outside_turn` (a writer committing without the
        writer turn, see `Ledger._commit_group`): every insert is gated on the turn's lock
        being free (taken for this statement only), so a writer that holds the turn is never
        overtaken, again and again, by one that does not; a gated statement inserts nothing
        and answers no row, which `insert_events` raises as the conflict it is."""
        gate, free = SQL(""), SQL("")
        if outside_turn:
            gate = SQL("gate AS (SELECT pg_try_advisory_xact_lock(hashtext(%s)) AS free), ")
            free = SQL(" WHERE (SELECT free FROM gate)")
        return SQL(
            "WITH {gate}ev AS (INSERT INTO {schema}.{events}"
            " (originator_id, originator_version, topic, state)"
            " SELECT originator_id, originator_version, topic, state"
            " FROM unnest(%s::{schema}.{event_type}[]){free} RETURNING notification_id),"
            " en AS (INSERT INTO {schema}.jejak_entries SELECT %s::text, * FROM"
            " unnest(%s::bigint[], %s::uuid[], %s::integer[], %s::bytea[], %s::bytea[]){free}),"
            " tr AS (INSERT INTO {schema}.jejak_tree SELECT %s::text, * FROM"
            " unnest(%s::smallint[], %s::bigint[], %s::bytea[]){free}),"
            " cp AS (INSERT INTO {schema}.jejak_checkpoints SELECT %s::text, * FROM"
            " unnest(%s::bigint[], %s::bytea[], %s::text[], %s::text[]){free}),"
            " sm AS (INSERT INTO {schema}.jejak_subject_map SELECT %s::text, * FROM"
            " unnest(%s::smallint[], %s::integer[], %s::bigint[], %s::bytea[]){free}),"
            " sn AS (INSERT INTO {schema}.jejak_subject_notes SELECT %s::text, * FROM"
            " unnest(%s::bigint[], %s::bytea[], %s::text[]){free}),"
            " pl AS (INSERT INTO {schema}.jejak_payloads SELECT %s::text, * FROM"
            " unnest(%s::bigint[], %s::bytea[]){free})"
            " SELECT notification_id FROM ev"
        ).format(
            gate=gate,
            free=free,
            schema=Identifier(self.datastore.schema),
            events=Identifier(self.events_table_name),
            event_type=Identifier(self.stored_event_type_name),
        )

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        """No NOTIFY: nothing listens (the read models are woken by the writer in-process and
        poll otherwise), and a transaction that notified takes PostgreSQL's one notify-queue
        lock at commit, which would serialise the commits of every log of the server."""

    def _rows(
        self, statement: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> list[DictRow]:
        """One statement on an autocommit connection: its own snapshot, one round trip (no
        BEGIN and ROLLBACK around it)."""
        with self.datastore.get_connection() as conn:
            return conn.execute(self._sql(statement), params, prepare=True).fetchall()

    def _turn_key(self, log: str) -> str:
        """The advisory lock's name of a log's writer turn (hashed to its key in SQL)."""
        return f"jejak-writer:{self.datastore.schema}:{log}"

    @contextlib.contextmanager
    def writer_turn(self, log: str) -> Iterator[int]:
        """Hold this log's writer lock (a session advisory lock on a borrowed connection)
        and yield the log size under it.

        Every server process writing to the log takes its turn here, so a writer catches up
        with what the others appended and commits before anyone else can: group commits from
        several processes never conflict, however busy they are. The lock goes with the
        connection if the process dies."""
        key = self._turn_key(log)
        with self._turns, self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            try:
                # read after the lock was granted (not in the locking statement, whose snapshot
                # predates the grant), so it sees what the previous holder committed
                yield self.log_size(log)
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def log_size(self, log: str) -> int:
        row = self._rows("SELECT MAX(idx) AS m FROM {schema}.jejak_entries WHERE log = %s", (log,))[
            0
        ]
        return 0 if row["m"] is None else int(row["m"]) + 1

    def log_sizes(self, logs: Sequence[str]) -> dict[str, int]:
        """The sizes of several logs of this server in one round trip (an index probe each)."""
        rows = self._rows(
            "SELECT l.log, (SELECT MAX(idx) FROM {schema}.jejak_entries e WHERE e.log = l.log)"
            " AS m FROM unnest(%s::text[]) AS l(log)",
            (list(logs),),
        )
        return {str(r["log"]): 0 if r["m"] is None else int(r["m"]) + 1 for r in rows}

    def entries(self, log: str, start: int, stop: int) -> list[StoredEntry]:
        rows = self._rows(
            "SELECT e.idx, s.originator_id, s.originator_version, s.topic, s.state, p.payload"
            " FROM {schema}.jejak_entries e JOIN {schema}.{events} s"
            " ON s.originator_id = e.stream AND s.originator_version = e.version"
            " LEFT JOIN {schema}.jejak_payloads p ON p.log = e.log AND p.idx = e.idx"
            " WHERE e.log = %s AND e.idx >= %s AND e.idx < %s ORDER BY e.idx",
            (log, start, stop),
        )
        return [
            StoredEntry(
                index=int(r["idx"]),
                event=StoredEvent(
                    r["originator_id"], int(r["originator_version"]), r["topic"], bytes(r["state"])
                ),
                payload=None if r["payload"] is None else bytes(r["payload"]),
            )
            for r in rows
        ]

    # Payloads and redactions ------------------------------------------------------------------

    def payloads(self, log: str, indexes: Iterable[int]) -> dict[int, bytes]:
        wanted = sorted(set(indexes))
        if not wanted:
            return {}
        rows = self._rows(
            "SELECT idx, payload FROM {schema}.jejak_payloads"
            " WHERE log = %s AND idx = ANY(%s::bigint[])",
            (log, wanted),
        )
        return {int(r["idx"]): bytes(r["payload"]) for r in rows}

    def redactions(self, log: str) -> dict[int, int]:
        rows = self._rows(
            "SELECT idx, registry_index FROM {schema}.jejak_redactions WHERE log = %s", (log,)
        )
        return {int(r["idx"]): int(r["registry_index"]) for r in rows}

    def erase_payload(self, log: str, index: int, registry_index: int) -> bool:
        """Record the redaction of entry `index` and erase its payload in one transaction;
        False when the store holds no payload row for it. The dead tuple is reclaimed by
        (auto)vacuum; no query of any role sees it after the commit."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._sql(
                    "INSERT INTO {schema}.jejak_redactions VALUES (%s,%s,%s) ON CONFLICT DO NOTHING"
                ),
                (log, index, registry_index),
            )
            curs.execute(
                self._sql("DELETE FROM {schema}.jejak_payloads WHERE log = %s AND idx = %s"),
                (log, index),
            )
            return curs.rowcount > 0

    def stored_payloads(self, log: str, digests: Iterable[bytes]) -> dict[bytes, StoredPayload]:
        wanted = sorted(set(digests))
        if not wanted:
            return {}
        rows = self._rows(
            "SELECT e.payload_sha256, e.idx, e.envelope_sha256, r.idx IS NOT NULL AS redacted"
            " FROM {schema}.jejak_entries e LEFT JOIN {schema}.jejak_redactions r"
            " ON r.log = e.log AND r.idx = e.idx"
            " WHERE e.log = %s AND e.payload_sha256 = ANY(%s::bytea[])",
            (log, wanted),
        )
        return {
            bytes(r["payload_sha256"]): StoredPayload(
                int(r["idx"]), bytes(r["envelope_sha256"]), bool(r["redacted"])
            )
            for r in rows
        }

    # Snapshots --------------------------------------------------------------------------------

    def snapshot(self, log: str) -> SnapshotRow | None:
        rows = self._rows(
            "SELECT size, generation, body FROM {schema}.jejak_snapshots WHERE log = %s", (log,)
        )
        if not rows:
            return None
        r = rows[0]
        return SnapshotRow(int(r["size"]), int(r["generation"]), bytes(r["body"]))

    def state_value(self, log: str, name: str, key: bytes) -> StateRead:
        """A working-set miss: composed once (`_state_sql`), ~100 µs of CPU less a read."""
        with self.datastore.get_connection() as conn:
            (r,) = conn.execute(self._state_sql, (log, name, key, log)).fetchall()
        stands_at = None if r["generation"] is None else (int(r["generation"]), int(r["size"]))
        return StateRead(None if r["value"] is None else bytes(r["value"]), stands_at)

    def state_values(self, log: str, name: str, keys: Sequence[bytes]) -> StateReads:
        rows = self._rows(
            "SELECT s.generation, s.size, j.key, j.value FROM {schema}.jejak_snapshots s"
            " LEFT JOIN {schema}.jejak_state j"
            " ON j.log = s.log AND j.map = %s AND j.key = ANY(%s) WHERE s.log = %s",
            (name, list(keys), log),
        )
        if not rows:
            return StateReads({}, None)
        values = {bytes(r["key"]): bytes(r["value"]) for r in rows if r["key"] is not None}
        return StateReads(values, (int(rows[0]["generation"]), int(rows[0]["size"])))

    def state_keys(self, log: str, name: str) -> list[bytes]:
        rows = self._rows(
            "SELECT key FROM {schema}.jejak_state WHERE log = %s AND map = %s", (log, name)
        )
        return [bytes(r["key"]) for r in rows]

    def write_snapshot(
        self, log: str, base: int, snapshot: SnapshotRow, rows: Sequence[StateRow]
    ) -> bool:
        params = {
            "log": log,
            "size": snapshot.size,
            "generation": snapshot.generation,
            "body": snapshot.body,
            "base": base,
        }
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._sql(_SNAPSHOT_UPSERT), params)
            if curs.rowcount == 0:
                return False
            curs.execute(
                self._sql(
                    "INSERT INTO {schema}.jejak_state SELECT %s::text, * FROM"
                    " unnest(%s::text[], %s::bytea[], %s::bytea[])"
                    " ON CONFLICT (log, map, key) DO UPDATE SET value = excluded.value"
                ),
                (log, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
            )
        return True

    def reset_snapshot(self, log: str, generation: int) -> bool:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._sql(_SNAPSHOT_RESET), {"log": log, "generation": generation})
            if curs.rowcount == 0:
                return False
            curs.execute(self._sql("DELETE FROM {schema}.jejak_state WHERE log = %s"), (log,))
        return True

    def nodes(self, log: str, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = self._rows(
            "SELECT t.level, t.idx, t.hash FROM {schema}.jejak_tree t"
            " JOIN unnest(%s::smallint[], %s::bigint[]) AS k(level, idx)"
            " ON t.log = %s AND t.level = k.level AND t.idx = k.idx",
            ([k[0] for k in wanted], [k[1] for k in wanted], log),
        )
        return {(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in rows}

    def _at_size(self, select: str, log: str, size: int | None) -> DictRow | None:
        """The row of `select` (one log's rows, each of one log size) at `size`, or the latest
        when `size` is None; None when there is none."""
        if size is None:
            rows = self._rows(f"{select} ORDER BY size DESC LIMIT 1", (log,))
        else:
            rows = self._rows(f"{select} AND size = %s", (log, size))
        return rows[0] if rows else None

    def checkpoint(self, log: str, size: int | None) -> CheckpointRow | None:
        r = self._at_size("SELECT * FROM {schema}.jejak_checkpoints WHERE log = %s", log, size)
        if r is None:
            return None
        return CheckpointRow(int(r["size"]), bytes(r["root"]), r["note"], r["published_at"])

    def subject_map_bodies(
        self, log: str, keys: Iterable[tuple[int, int]], size: int
    ) -> dict[tuple[int, int], bytes]:
        """Each node's body as of log size `size` (its latest row at or below it), one query."""
        wanted = list(keys)
        if not wanted:
            return {}
        rows = self._rows(
            "SELECT k.level, k.idx, m.body FROM unnest(%s::smallint[], %s::integer[])"
            " AS k(level, idx) CROSS JOIN LATERAL (SELECT body FROM {schema}.jejak_subject_map"
            " WHERE log = %s AND level = k.level AND idx = k.idx AND size <= %s"
            " ORDER BY size DESC LIMIT 1) m",
            ([k[0] for k in wanted], [k[1] for k in wanted], log, size),
        )
        return {(int(r["level"]), int(r["idx"])): bytes(r["body"]) for r in rows}

    def subject_note(self, log: str, size: int | None) -> SubjectNoteRow | None:
        r = self._at_size(
            "SELECT size, root, note FROM {schema}.jejak_subject_notes WHERE log = %s", log, size
        )
        return None if r is None else SubjectNoteRow(int(r["size"]), bytes(r["root"]), r["note"])

    def subject_note_at_or_below(self, log: str, size: int) -> SubjectNoteRow | None:
        rows = self._rows(
            "SELECT size, root, note FROM {schema}.jejak_subject_notes WHERE log = %s"
            " AND size <= %s ORDER BY size DESC LIMIT 1",
            (log, size),
        )
        r = rows[0] if rows else None
        return None if r is None else SubjectNoteRow(int(r["size"]), bytes(r["root"]), r["note"])

    def insert_token(self, token: TokenRow) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self._sql("INSERT INTO {schema}.jejak_tokens VALUES (%s,%s,%s,%s,%s)"),
                (token.token_sha256, token.role, token.org, token.label, token.created_at),
            )

    def token(self, token_sha256: bytes) -> TokenRow | None:
        rows = self._rows(
            "SELECT * FROM {schema}.jejak_tokens WHERE token_sha256 = %s", (token_sha256,)
        )
        if not rows:
            return None
        r = rows[0]
        return TokenRow(bytes(r["token_sha256"]), r["role"], r["org"], r["label"], r["created_at"])
