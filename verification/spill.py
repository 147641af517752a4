"""Replay state beyond a bounded working set, kept in a private temporary file, not in memory.

A bundle's replay folds every entry into its log's state (requests, employees, each subject's
kind) and checks every subject's chain: held in memory that grows with the bundle (1.7 GB for
100,000 entries before, and a kabupaten's year is 1–2 million). The spill keeps a bounded
cache in memory (a `domain.store.Base` LRU per map, like the writer's), writes what changed to
a SQLite file every `FLUSH_EVERY` entries, and reads back what the cache no longer holds. The
file is the verifier's own scratch space (created 0600 in a fresh temporary directory, deleted
when the run ends); it is written and read by this process only, so its values are pickled.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections import OrderedDict
from pathlib import Path

FLUSH_EVERY = 2000
"""Entries folded between two writes of the changed values."""

CAPACITY = 8000
"""Values each map keeps in memory (the most recently used)."""

STORED_BITS = 1 << 23
"""Bits of the filter of what was ever written (1 MiB, whatever the bundle): a key it has not
seen was never stored, so its read needs no query (most misses are new subjects)."""


class Spill:
    """One SQLite scratch file; a table `spill` of (map, key) -> pickled value."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="jejak-verify-")
        path = Path(self._dir.name) / "spill.sqlite"
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA cache_size=-8000")  # 8 MB of SQLite's own page cache
        self._db.execute(
            "CREATE TABLE spill (map TEXT, key BLOB, value BLOB, PRIMARY KEY (map, key))"
        )
        self._stored = bytearray(STORED_BITS // 8)

    def _bits(self, name: str, key: bytes) -> tuple[int, int]:
        """Two bits of the filter for (name, key), from one hash."""
        digest = hash((name, key))
        return digest % STORED_BITS, (digest // STORED_BITS) % STORED_BITS

    def _may_hold(self, name: str, key: bytes) -> bool:
        stored = self._stored
        return all(stored[bit >> 3] & (1 << (bit & 7)) for bit in self._bits(name, key))

    def load(self, name: str, key: object) -> object | None:
        """The value stored for (`name`, `key`), or None (a `domain.store.Loader`)."""
        packed = _key(key)
        if not self._may_hold(name, packed):
            return None
        row = self._db.execute(
            "SELECT value FROM spill WHERE map = ? AND key = ?", (name, packed)
        ).fetchone()
        return None if row is None else pickle.loads(row[0])  # noqa: S301 (our own file)

    def store(self, changed: dict[str, dict[object, object]]) -> None:
        """Write every changed value (by map name), replacing what was there."""
        rows = [
            (name, _key(key), pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
            for name, values in changed.items()
            for key, value in values.items()
        ]
        stored = self._stored
        for name, key, _ in rows:
            for bit in self._bits(name, key):
                stored[bit >> 3] |= 1 << (bit & 7)
        if rows:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO spill VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()


def _key(key: object) -> bytes:
    if isinstance(key, str):
        return key.encode()
    return pickle.dumps(key, pickle.HIGHEST_PROTOCOL)


class SpilledMap:
    """A str-keyed map of bytes values: recent ones in memory, the rest in the spill."""

    def __init__(self, spill: Spill, name: str, capacity: int | None = None) -> None:
        self._spill = spill
        self._name = name
        self._capacity = CAPACITY if capacity is None else capacity
        self._recent: OrderedDict[str, bytes | None] = OrderedDict()
        self._dirty: dict[object, object] = {}

    def get(self, key: str) -> bytes | None:
        recent = self._recent
        if key in recent:
            recent.move_to_end(key)
            return recent[key]
        found = self._dirty.get(key)
        if found is None:
            loaded = self._spill.load(self._name, key)
            found = loaded if isinstance(loaded, bytes) else None
        self._keep(key, found if isinstance(found, bytes) else None)
        return found if isinstance(found, bytes) else None

    def __setitem__(self, key: str, value: bytes) -> None:
        self._dirty[key] = value
        self._keep(key, value)
        if len(self._dirty) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self._dirty:
            self._spill.store({self._name: self._dirty})
            self._dirty = {}

    def _keep(self, key: str, value: bytes | None) -> None:
        recent = self._recent
        recent[key] = value
        recent.move_to_end(key)
        if len(recent) > self._capacity:
            recent.popitem(last=False)
