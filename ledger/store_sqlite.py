"""The SQLite log recorder: eventsourcing's recorder plus the log index, tree and checkpoints."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

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

PAYLOAD_STATEMENTS = [
    # the signed payload bytes, apart from the stored event so that a redaction can erase them
    "CREATE TABLE IF NOT EXISTS jejak_payloads ("
    " log TEXT NOT NULL, idx INTEGER NOT NULL, payload BLOB NOT NULL,"
    " PRIMARY KEY (log, idx)) WITHOUT ROWID",
    # each payload erased: the entry and the registry index of its `entry.redacted`
    "CREATE TABLE IF NOT EXISTS jejak_redactions ("
    " log TEXT NOT NULL, idx INTEGER NOT NULL, registry_index INTEGER NOT NULL,"
    " PRIMARY KEY (log, idx)) WITHOUT ROWID",
    "CREATE TRIGGER IF NOT EXISTS jejak_payloads_no_update BEFORE UPDATE ON jejak_payloads"
    " BEGIN SELECT RAISE(ABORT, 'jejak_payloads is erase-only'); END",
    "CREATE TRIGGER IF NOT EXISTS jejak_payloads_erase_redacted_only"
    " BEFORE DELETE ON jejak_payloads WHEN NOT EXISTS (SELECT 1 FROM jejak_redactions r"
    " WHERE r.log = OLD.log AND r.idx = OLD.idx)"
    " BEGIN SELECT RAISE(ABORT, 'jejak_payloads: only a redacted payload may be erased'); END",
]


SNAPSHOT_STATEMENTS = [
    # each log writer's state as of its snapshot (derived rows, changed in place)
    "CREATE TABLE IF NOT EXISTS jejak_state ("
    " log TEXT NOT NULL, map TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
    " PRIMARY KEY (log, map, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS jejak_snapshots ("
    " log TEXT NOT NULL PRIMARY KEY, size INTEGER NOT NULL, generation INTEGER NOT NULL,"
    " body BLOB NOT NULL)",
]
# the guard of `write_snapshot`, in the statement that takes the write lock: a stored snapshot
# of the same generation at a size in [base, size], or none at all when base is 0
_SNAPSHOT_UPSERT = (
    "INSERT INTO jejak_snapshots (log, size, generation, body)"
    " SELECT ?1, ?2, ?3, ?4 WHERE ?5 = 0 OR EXISTS (SELECT 1 FROM jejak_snapshots WHERE log = ?1)"
    " ON CONFLICT (log) DO UPDATE SET size = excluded.size, body = excluded.body"
    " WHERE jejak_snapshots.generation = excluded.generation"
    " AND jejak_snapshots.size BETWEEN ?5 AND excluded.size"
)
_SNAPSHOT_RESET = (
    "INSERT INTO jejak_snapshots (log, size, generation, body) VALUES (?1, 0, ?2, x'')"
    " ON CONFLICT (log) DO UPDATE SET size = 0, generation = excluded.generation, body = x''"
    " WHERE jejak_snapshots.generation <= excluded.generation"
)


class SQLiteLogRecorder(SQLiteApplicationRecorder):
    """Writes each group commit's events, index rows, tree nodes and checkpoint atomically."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements += [
            "CREATE TABLE IF NOT EXISTS jejak_entries ("
            " log TEXT NOT NULL, idx INTEGER NOT NULL, stream TEXT NOT NULL,"
            " version INTEGER NOT NULL, payload_sha256 BLOB NOT NULL,"
            " envelope_sha256 BLOB NOT NULL, PRIMARY KEY (log, idx),"
            " UNIQUE (log, payload_sha256), UNIQUE (stream, version)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS jejak_tree ("
            " log TEXT NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL,"
            " hash BLOB NOT NULL, PRIMARY KEY (log, level, idx)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS jejak_checkpoints ("
            " log TEXT NOT NULL, size INTEGER NOT NULL, root BLOB NOT NULL,"
            " note TEXT NOT NULL, published_at TEXT NOT NULL, PRIMARY KEY (log, size))",
            # a subject-map node's body (bucket items, or 16 child hashes) from log size `size`
            "CREATE TABLE IF NOT EXISTS jejak_subject_map ("
            " log TEXT NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL,"
            " size INTEGER NOT NULL, body BLOB NOT NULL,"
            " PRIMARY KEY (log, level, idx, size))",
            "CREATE TABLE IF NOT EXISTS jejak_subject_notes ("
            " log TEXT NOT NULL, size INTEGER NOT NULL, root BLOB NOT NULL,"
            " note TEXT NOT NULL, PRIMARY KEY (log, size))",
            "CREATE TABLE IF NOT EXISTS jejak_tokens ("
            " token_sha256 BLOB PRIMARY KEY, role TEXT NOT NULL, org TEXT,"
            " label TEXT NOT NULL, created_at TEXT NOT NULL)",
        ]
        statements += PAYLOAD_STATEMENTS
        statements += SNAPSHOT_STATEMENTS
        for table in (self.events_table_name, *APPEND_ONLY_TABLES):
            for action in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} "
                    f"BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        return statements

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        batch = kwargs.get("log_batch")
        if isinstance(batch, LogBatch):
            log = batch.log
            c.executemany(
                "INSERT INTO jejak_entries VALUES (?,?,?,?,?,?)",
                [
                    (log, e.index, e.stream.hex, e.version, e.payload_sha256, e.envelope_sha256)
                    for e in batch.entries
                ],
            )
            c.executemany(
                "INSERT INTO jejak_tree VALUES (?,?,?,?)", [(log, *n) for n in batch.nodes]
            )
            c.executemany(
                "INSERT INTO jejak_payloads VALUES (?,?,?)", [(log, *p) for p in batch.payloads]
            )
            if batch.checkpoint is not None:
                cp = batch.checkpoint
                c.execute(
                    "INSERT INTO jejak_checkpoints VALUES (?,?,?,?,?)",
                    (log, cp.size, cp.root, cp.note, cp.published_at),
                )
            if batch.subject_map is not None:
                _insert_subject_map(c, log, batch.subject_map)
        return ids

    def insert_subject_map(self, log: str, batch: SubjectMapBatch) -> None:
        """A map written on its own (a log that predates subject maps, built at open)."""
        with self.datastore.transaction(commit=True) as c:
            _insert_subject_map(c, log, batch)

    # Reads ---------------------------------------------------------------------------------

    def _rows(self, statement: str, params: Sequence[object] = ()) -> list[Any]:
        """One statement on the pooled connection, in autocommit mode: its own read snapshot,
        without the BEGIN and ROLLBACK around it (~200 µs of a ~240 µs read; the working
        set's misses are such reads)."""
        with self.datastore.get_connection(commit=False) as conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall())

    @contextlib.contextmanager
    def writer_turn(self, log: str) -> Iterator[int]:
        """Yield the log size as stored now, so the writer catches up with what other
        processes (the CLI, a second server) appended before it checks a group.

        SQLite serialises the commits themselves with its file lock; an entry appended between
        this read and the commit surfaces as a unique-key conflict, and the group is retried."""
        yield self.log_size(log)

    def log_size(self, log: str) -> int:
        rows = self._rows("SELECT MAX(idx) FROM jejak_entries WHERE log = ?", (log,))
        return 0 if rows[0][0] is None else int(rows[0][0]) + 1

    def log_sizes(self, logs: Sequence[str]) -> dict[str, int]:
        return {log: self.log_size(log) for log in logs}

    def entries(self, log: str, start: int, stop: int) -> list[StoredEntry]:
        rows = self._rows(  # the table name is ours, not input
            "SELECT e.idx, s.originator_id, s.originator_version, s.topic, s.state,"  # noqa: S608
            f" p.payload FROM jejak_entries e JOIN {self.events_table_name} s"
            " ON s.originator_id = e.stream AND s.originator_version = e.version"
            " LEFT JOIN jejak_payloads p ON p.log = e.log AND p.idx = e.idx"
            " WHERE e.log = ? AND e.idx >= ? AND e.idx < ? ORDER BY e.idx",
            (log, start, stop),
        )
        return [
            StoredEntry(
                index=int(r[0]),
                event=StoredEvent(uuid.UUID(r[1]), int(r[2]), str(r[3]), bytes(r[4])),
                payload=None if r[5] is None else bytes(r[5]),
            )
            for r in rows
        ]

    # Payloads and redactions ------------------------------------------------------------------

    def payloads(self, log: str, indexes: Iterable[int]) -> dict[int, bytes]:
        wanted = sorted(set(indexes))
        found: dict[int, bytes] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            marks = ",".join("?" for _ in chunk)
            for r in self._rows(
                f"SELECT idx, payload FROM jejak_payloads WHERE log = ? AND idx IN ({marks})",  # noqa: S608
                [log, *chunk],
            ):
                found[int(r[0])] = bytes(r[1])
        return found

    def redactions(self, log: str) -> dict[int, int]:
        rows = self._rows("SELECT idx, registry_index FROM jejak_redactions WHERE log = ?", (log,))
        return {int(r[0]): int(r[1]) for r in rows}

    def erase_payload(self, log: str, index: int, registry_index: int) -> bool:
        """Record the redaction of entry `index` and erase its payload in one transaction,
        overwriting the freed bytes (`secure_delete`), then fold the WAL back into the file so
        no copy of the page is left there; False when the store holds no payload row for it."""
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(
                "INSERT OR IGNORE INTO jejak_redactions VALUES (?,?,?)",
                (log, index, registry_index),
            )
            c.execute("DELETE FROM jejak_payloads WHERE log = ? AND idx = ?", (log, index))
            c.execute("SELECT changes()")
            erased = int(c.fetchone()[0]) > 0
        with contextlib.suppress(Exception), self.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # best effort: a reader may hold it
        return erased

    def stored_payloads(self, log: str, digests: Iterable[bytes]) -> dict[bytes, StoredPayload]:
        wanted = sorted(set(digests))
        found: dict[bytes, StoredPayload] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            marks = ",".join("?" for _ in chunk)
            for r in self._rows(
                "SELECT e.payload_sha256, e.idx, e.envelope_sha256, r.idx IS NOT NULL"  # noqa: S608
                " FROM jejak_entries e LEFT JOIN jejak_redactions r"
                " ON r.log = e.log AND r.idx = e.idx"
                f" WHERE e.log = ? AND e.payload_sha256 IN ({marks})",
                [log, *chunk],
            ):
                found[bytes(r[0])] = StoredPayload(int(r[1]), bytes(r[2]), bool(r[3]))
        return found

    # Snapshots --------------------------------------------------------------------------------

    def snapshot(self, log: str) -> SnapshotRow | None:
        rows = self._rows(
            "SELECT size, generation, body FROM jejak_snapshots WHERE log = ?", (log,)
        )
        return (
            None if not rows else SnapshotRow(int(rows[0][0]), int(rows[0][1]), bytes(rows[0][2]))
        )

    def state_values(self, log: str, name: str, keys: Sequence[bytes]) -> StateReads:
        marks = ", ".join("?" for _ in keys)
        rows = self._rows(
            "SELECT s.generation, s.size, j.key, j.value FROM jejak_snapshots s"  # noqa: S608
            f" LEFT JOIN jejak_state j ON j.log = s.log AND j.map = ? AND j.key IN ({marks})"
            " WHERE s.log = ?",
            (name, *keys, log),
        )
        if not rows:
            return StateReads({}, None)
        values = {bytes(r[2]): bytes(r[3]) for r in rows if r[2] is not None}
        return StateReads(values, (int(rows[0][0]), int(rows[0][1])))

    def state_value(self, log: str, name: str, key: bytes) -> StateRead:
        (r,) = self._rows(
            "SELECT (SELECT value FROM jejak_state WHERE log = ?1 AND map = ?2 AND key = ?3),"
            " (SELECT generation FROM jejak_snapshots WHERE log = ?1),"
            " (SELECT size FROM jejak_snapshots WHERE log = ?1)",
            (log, name, key),
        )
        stands_at = None if r[1] is None else (int(r[1]), int(r[2]))
        return StateRead(None if r[0] is None else bytes(r[0]), stands_at)

    def state_keys(self, log: str, name: str) -> list[bytes]:
        rows = self._rows("SELECT key FROM jejak_state WHERE log = ? AND map = ?", (log, name))
        return [bytes(r[0]) for r in rows]

    def write_snapshot(
        self, log: str, base: int, snapshot: SnapshotRow, rows: Sequence[StateRow]
    ) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                _SNAPSHOT_UPSERT, (log, snapshot.size, snapshot.generation, snapshot.body, base)
            )
            c.execute("SELECT changes()")
            if int(c.fetchone()[0]) == 0:
                return False
            c.executemany(
                "INSERT OR REPLACE INTO jejak_state VALUES (?,?,?,?)",
                [(log, name, key, value) for name, key, value in rows],
            )
        return True

    def reset_snapshot(self, log: str, generation: int) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(_SNAPSHOT_RESET, (log, generation))
            c.execute("SELECT changes()")
            if int(c.fetchone()[0]) == 0:
                return False
            c.execute("DELETE FROM jejak_state WHERE log = ?", (log,))
        return True

    def nodes(self, log: str, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        wanted = sorted(set(keys))
        found: dict[tuple[int, int], bytes] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            values = ",".join("(?,?)" for _ in chunk)
            params: list[object] = [v for key in chunk for v in key]
            # a join on a VALUES list is answered by primary-key lookups (IN (VALUES) scans)
            for r in self._rows(
                f"WITH k(level, idx) AS (VALUES {values}) SELECT t.level, t.idx, t.hash"  # noqa: S608
                " FROM k JOIN jejak_tree t ON t.log = ? AND t.level = k.level AND t.idx = k.idx",
                [*params, log],
            ):
                found[(int(r[0]), int(r[1]))] = bytes(r[2])
        return found

    def _at_size(self, select: str, log: str, size: int | None) -> Any:
        """The row of `select` (one log's rows, each of one log size) at `size`, or the latest
        when `size` is None; None when there is none."""
        if size is None:
            rows = self._rows(f"{select} ORDER BY size DESC LIMIT 1", (log,))
        else:
            rows = self._rows(f"{select} AND size = ?", (log, size))
        return rows[0] if rows else None

    def checkpoint(self, log: str, size: int | None) -> CheckpointRow | None:
        r = self._at_size(
            "SELECT size, root, note, published_at FROM jejak_checkpoints WHERE log = ?", log, size
        )
        return None if r is None else CheckpointRow(int(r[0]), bytes(r[1]), str(r[2]), str(r[3]))

    def subject_map_bodies(
        self, log: str, keys: Iterable[tuple[int, int]], size: int
    ) -> dict[tuple[int, int], bytes]:
        """Each node's body as of log size `size` (its latest row at or below it)."""
        found: dict[tuple[int, int], bytes] = {}
        with self.datastore.transaction(commit=False) as c:
            for level, idx in keys:
                c.execute(
                    "SELECT body FROM jejak_subject_map WHERE log = ? AND level = ? AND idx = ?"
                    " AND size <= ? ORDER BY size DESC LIMIT 1",
                    (log, level, idx, size),
                )
                row = c.fetchone()
                if row is not None:
                    found[(level, idx)] = bytes(row[0])
        return found

    def subject_note(self, log: str, size: int | None) -> SubjectNoteRow | None:
        r = self._at_size(
            "SELECT size, root, note FROM jejak_subject_notes WHERE log = ?", log, size
        )
        return None if r is None else SubjectNoteRow(int(r[0]), bytes(r[1]), str(r[2]))

    def subject_note_at_or_below(self, log: str, size: int) -> SubjectNoteRow | None:
        rows = self._rows(
            "SELECT size, root, note FROM jejak_subject_notes WHERE log = ? AND size <= ?"
            " ORDER BY size DESC LIMIT 1",
            (log, size),
        )
        return (
            None
            if not rows
            else SubjectNoteRow(int(rows[0][0]), bytes(rows[0][1]), str(rows[0][2]))
        )

    def insert_token(self, token: TokenRow) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT INTO jejak_tokens VALUES (?,?,?,?,?)",
                (token.token_sha256, token.role, token.org, token.label, token.created_at),
            )

    def token(self, token_sha256: bytes) -> TokenRow | None:
        rows = self._rows("SELECT * FROM jejak_tokens WHERE token_sha256 = ?", (token_sha256,))
        if not rows:
            return None
        r = rows[0]
        return TokenRow(bytes(r[0]), str(r[1]), r[2], str(r[3]), str(r[4]))


def _insert_subject_map(c: SQLiteCursor, log: str, batch: SubjectMapBatch) -> None:
    note = batch.note
    c.executemany(
        "INSERT INTO jejak_subject_map VALUES (?,?,?,?,?)",
        [(log, level, idx, note.size, body) for level, idx, body in batch.nodes],
    )
    c.execute(
        "INSERT INTO jejak_subject_notes VALUES (?,?,?,?)", (log, note.size, note.root, note.note)
    )
