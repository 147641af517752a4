"""The writer's bounded view of a log's stored subject map (docs/subject-map.md): node bodies as
of one log size, read from the store on a miss, so memory does not grow with the log.

The inner nodes (4,369 at most, 512 bytes each: ~2.4 MB once every one was read, whatever the
log's length) stay once read; the buckets (65,536, whose bodies grow with the subjects, most of
them touched once in a long while) are kept in an LRU cache of `capacity` bodies. A body read
is always the store's as of the cache's `size`, the latest row of its node at or below that
size (`LogRecorder.subject_map_bodies`), so the cache never answers for a size its writer has
not reached, whatever other processes appended."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from ledger.store import LogRecorder
from verification.subject_map import ITEM_BYTES, LEVELS, NodeKey

CACHE_BUCKETS = 2048
"""Bucket bodies cached per log (docs/subject-map.md, "In the writer", has the measurement
behind it): ~0.5 MB at 10^5 subjects, ~2.5 MB at 10^6; a subject written again within about
2,000 entries of its log finds its bucket cached."""
RESIDENT_LEVELS = LEVELS
"""Levels 0..3, the inner nodes, are read once and kept: a commit passes 4 of them per bucket."""
EMPTY_BODY = b""
"""The body of a node without a row: an empty bucket or an empty subtree."""


class NodeCache:
    """Node bodies of one log's stored map as of `size` (0: the empty map, nothing to read).

    Thread-safe: the writer moves `size` (`advance`, `update`) while a reader may be loading;
    a body read for an older size is returned to its reader but never cached."""

    def __init__(self, recorder: LogRecorder, capacity: int = CACHE_BUCKETS) -> None:
        self.recorder = recorder
        self.capacity = capacity
        self.size = 0
        self._resident: dict[NodeKey, bytes] = {}
        self._lru: OrderedDict[NodeKey, bytes] = OrderedDict()
        self._generation = 0  # changes whenever the bodies' size does
        self._lock = threading.Lock()
        self.reads = 0  # store calls made on misses (for tests and benchmarks)
        self.rows_read = 0  # bodies asked of the store on misses

    def __len__(self) -> int:
        return len(self._resident) + len(self._lru)

    @property
    def cached(self) -> int:
        """Bucket bodies held: at most `capacity`."""
        return len(self._lru)

    def cached_bytes(self) -> int:
        """The bytes of every body held (the payload only, not Python's overhead)."""
        with self._lock:
            return sum(map(len, self._resident.values())) + sum(map(len, self._lru.values()))

    def body(self, key: NodeKey) -> bytes:
        """One node's body (EMPTY_BODY when it has no row)."""
        with self._lock:
            found = self._get(key)
        if found is not None:
            return found
        return self.bodies([key])[key]

    def bodies(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """The bodies of `keys`, all as of one size: the misses in one store call."""
        wanted = list(dict.fromkeys(keys))
        while True:
            found: dict[NodeKey, bytes] = {}
            missing: list[NodeKey] = []
            with self._lock:
                for key in wanted:
                    body = self._get(key)
                    if body is None:
                        missing.append(key)
                    else:
                        found[key] = body
                generation, size = self._generation, self.size
            if not missing:
                return found
            loaded = self._load(missing, size)
            with self._lock:
                if self._generation != generation:
                    continue  # the writer moved on meanwhile: read again as of its new size
                for key in missing:
                    found[key] = body = loaded.get(key, EMPTY_BODY)
                    self._put(key, body)
            return found

    def advance(self, size: int, changed: Iterable[NodeKey]) -> None:
        """The store's map is read as of `size` from now on; `changed` holds every node that
        may have another body there than at the current size (the rest stay cached)."""
        with self._lock:
            for key in changed:
                self._resident.pop(key, None)
                self._lru.pop(key, None)
            self.size = size
            self._generation += 1

    def reset(self, size: int) -> None:
        """Read the store as of `size` from now on, nothing cached."""
        with self._lock:
            self._resident.clear()
            self._lru.clear()
            self.size = size
            self._generation += 1

    def update(self, size: int, bodies: Mapping[NodeKey, bytes]) -> None:
        """A commit stored `bodies` at `size`: they are the nodes it changed."""
        with self._lock:
            for key, body in bodies.items():
                self._put(key, body)
            self.size = size
            self._generation += 1

    def _get(self, key: NodeKey) -> bytes | None:
        if key[0] < RESIDENT_LEVELS:
            return self._resident.get(key)
        body = self._lru.get(key)
        if body is not None:
            self._lru.move_to_end(key)
        return body

    def _put(self, key: NodeKey, body: bytes) -> None:
        if key[0] < RESIDENT_LEVELS:
            self._resident[key] = body
            return
        self._lru[key] = body
        self._lru.move_to_end(key)
        while len(self._lru) > self.capacity:
            self._lru.popitem(last=False)

    def _load(self, keys: list[NodeKey], size: int) -> dict[NodeKey, bytes]:
        if size == 0:
            return {}  # the empty map: no row to read
        self.reads += 1
        self.rows_read += len(keys)
        return self.recorder.subject_map_bodies(keys, size)


def head_in_bucket(body: bytes, key: bytes) -> tuple[int, bytes] | None:
    """The (version, leaf hash) of `key` in a stored bucket body, None when it is not there.
    A key is found only at an item's start (the body is whole 72-byte items)."""
    at = body.find(key)
    while at >= 0 and at % ITEM_BYTES:
        at = body.find(key, at + 1)
    if at < 0:
        return None
    return int.from_bytes(body[at + 32 : at + 40], "big"), body[at + 40 : at + ITEM_BYTES]


def bucket_heads(body: bytes) -> dict[bytes, tuple[int, bytes]]:
    """A stored bucket body as key -> (version, leaf hash)."""
    return {
        body[at : at + 32]: (
            int.from_bytes(body[at + 32 : at + 40], "big"),
            body[at + 40 : at + ITEM_BYTES],
        )
        for at in range(0, len(body), ITEM_BYTES)
    }


def node_children(body: bytes) -> list[bytes]:
    """A stored inner node's body as its 16 child hashes."""
    return [body[at : at + 32] for at in range(0, len(body), 32)]
