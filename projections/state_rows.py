"""The projector's folded state as rows of its read store, and the snapshot of where it stands.

Each log's `LedgerState` maps and the projector's own indexes keep a bounded cache in memory
and read what they miss from `jp_state` (one row per value, `ledger/state_codec.py`'s sealed
encoding); `jp_snapshots` holds, per log, the projector's position and the fold's `Position`.
Both are written in the transaction of the rows and positions they stand for, so the stored
state always equals the fold of the log up to the stored snapshot, and a restarted worker
continues from there instead of folding the log again.

Anything these rows hold that cannot be read back (a flipped byte, another format, a value of
another map) raises `StateDamaged`: never folded, never parked as an entry's fault; the
follower rebuilds that log's read models from entry 0 instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import msgspec

from domain.aggregates import Evaluation
from domain.flags import Flag
from domain.state import Position
from ledger.state_codec import STATE_MAPS, CodecError, decode, encode
from projections.rows import DayRequest

FORMAT = 3
"""The snapshot's version (its position and the projector's maps); another is refused
(3: the fold keeps no steps; an evaluation's row reads `p.evaluations`)."""


class StateDamaged(Exception):  # noqa: N818 (a condition, like the domain's Refusal)
    """A stored state row or snapshot of a log that cannot be read back."""


@dataclass(frozen=True)
class Snapshot:
    """Where one log's stored state stands: entries consumed (applied or parked), and the
    fold's own position (size, last instant, subjects unknown after a redaction)."""

    format: int
    position: int
    state: Position


def encode_snapshot(snapshot: Snapshot) -> bytes:
    return encode(snapshot)


def decode_snapshot(data: bytes) -> Snapshot:
    """The snapshot sealed in `data`; CodecError if damaged or of another format."""
    snapshot: Snapshot = decode(data, Snapshot)
    if snapshot.format != FORMAT:
        raise CodecError(f"snapshot of format {snapshot.format}, this version reads {FORMAT}")
    return snapshot


@dataclass(frozen=True)
class IndexMap:
    """One of the projector's own indexes: its key and value types."""

    name: str
    key_type: Any
    value_type: Any


INDEX_MAPS = {
    m.name: m
    for m in (
        # (unit, day) -> each request naming it, as its row reads it (None: not in effect)
        IndexMap("p.day_requests", tuple[str, date], dict[str, DayRequest | None]),
        IndexMap("p.unit_days", str, frozenset[date]),  # unit -> days its requests named
        IndexMap("p.agency_units", str, frozenset[str]),  # agency -> units registered
        IndexMap("p.entries", str, tuple[int, ...]),  # row subject -> its entries applied
        IndexMap("p.flags", str, tuple[Flag, ...]),  # row subject -> the flags they raised
        IndexMap("p.evaluations", str, Evaluation),  # evaluation subject -> its evaluation
    )
}
_keys = msgspec.json.Encoder()


def encode_key(name: str, key: object) -> str:
    """The text of a map's key: the same key always gives the same text."""
    codec = STATE_MAPS.get(name)
    return (codec.encode_key(key) if codec is not None else _keys.encode(key)).decode()


def encode_value(name: str, value: object) -> bytes:
    codec = STATE_MAPS.get(name)
    return codec.encode_value(value) if codec is not None else encode(value)


def decode_value(name: str, data: bytes) -> object:
    """A map's value read back; StateDamaged for anything that is not one."""
    try:
        codec = STATE_MAPS.get(name)
        if codec is not None:
            return codec.decode_value(data)
        return decode(data, INDEX_MAPS[name].value_type)
    except CodecError as error:
        raise StateDamaged(f"its {name} row is unreadable: {error}") from error


def encode_rows(changed: dict[str, dict[object, object]]) -> list[tuple[str, str, bytes]]:
    """(map, key text, value bytes) of the changed values of each map."""
    return [
        (name, encode_key(name, key), encode_value(name, value))
        for name, values in changed.items()
        for key, value in values.items()
    ]


_BY_SUBJECT = frozenset({"subjects", "requests", "p.entries", "p.flags", "p.evaluations"})
"""Maps keyed by subject that hold a value only for a subject the fold knows the kind of
(`kinds`, which the fold reads first): a subject with no stored kind has none of these."""


class StateSource(Protocol):
    """The read store's side: one stored value of one log's map (None if absent)."""

    def state_value(self, log: str, name: str, key: str) -> bytes | None: ...
    def state_reader(
        self, log: str
    ) -> AbstractContextManager[Callable[[str, str], bytes | None]]: ...
    def request_ids(self, log: str) -> list[str]: ...


class StateRows:
    """The loader of one log's maps (`domain.store.Loader`) over its `jp_state` rows.

    A log folded from entry 0 starts with no rows (they are cleared first): while a map has
    seen no more keys than its cache holds, none was evicted, so a key the cache misses is
    absent and is not looked up (a rebuild asks the database nothing)."""

    def __init__(self, source: StateSource, log: str, capacity: int) -> None:
        """`capacity`: the values each map keeps in memory (the projector's caches)."""
        self.source = source
        self.log = log
        self.capacity = capacity
        self.loads = 0  # values read from the store (for tests and benches)
        self._complete = False
        self._seen: dict[str, int] = {}  # map -> keys it may hold in its cache (an upper bound)
        self._lookup: Callable[[str, str], bytes | None] | None = None
        self._new: set[object] = set()  # subjects of this step that no stored row knows

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Read what the caches miss in one transaction held open (a step's fold)."""
        with self.source.state_reader(self.log) as lookup:
            self._lookup = lookup
            try:
                yield
            finally:
                self._lookup = None

    def fresh(self) -> None:
        """This log's state has no rows: the fold starts at entry 0."""
        self._complete = True
        self._seen = {}

    def wrote(self, rows: Iterable[tuple[str, str, bytes]]) -> None:
        """Rows stored (and settled into the caches)."""
        self._new = set()
        if self._complete:
            for name, _, _ in rows:
                self._seen[name] = self._seen.get(name, 0) + 1

    def new_subject(self, subject: str) -> None:
        """The log's first entry of `subject` comes next (its stream's version 1): no stored
        row holds its kind or any value keyed by it, so none is looked up."""
        self._new.add(subject)

    def __call__(self, name: str, key: object) -> object | None:
        if (name in _BY_SUBJECT or name == "kinds") and key in self._new:
            return None
        found = self._load(name, key)
        if found is None and name == "kinds":  # the fold asks a subject's kind first
            self._new.add(key)
        return found

    def _load(self, name: str, key: object) -> object | None:
        if self._complete:
            seen = self._seen[name] = self._seen.get(name, 0) + 1
            if seen <= self.capacity:
                return None
        self.loads += 1
        text = encode_key(name, key)
        lookup = self._lookup
        found = (
            self.source.state_value(self.log, name, text) if lookup is None else lookup(name, text)
        )
        return None if found is None else decode_value(name, found)

    def request_ids(self) -> list[str]:
        """Every request of this log with a stored row (`jp_requests`)."""
        return self.source.request_ids(self.log)
