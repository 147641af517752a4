"""A log writer's snapshot: its state's values as rows (`jejak_state`) and, beside them, what
the rows do not hold (`jejak_snapshots`): the fold's position, the tree's right edge, the size
and the fold generation. Start-up resumes from it and replays only the entries after it.

The rows are derived, never history: a snapshot that does not read back (a flipped byte,
another format, a tree edge that is not the stored tree's) is refused with a warning and the
log folded again from entry 0, so a damaged snapshot costs time, never a wrong fold.

Several processes may write one log (docs/architecture.md, "Working set and snapshots"): the
rows stand at one (generation, size) and a writer's state is a base (the values as of the size
it last resumed or snapshotted at) under its unsettled changes since. Rows at a size between
that base and the writer's size are as good as its base for it (its own changes cover the
entries between); rows anywhere else are another fold's, and every read checks that in the
same statement (`StateMovedError`), as every write does (`LogRecorder.write_snapshot`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.registry import RegistryState
from domain.state import LedgerState, Position
from ledger.errors import StoreConflictError
from ledger.state_codec import STATE_MAPS, CodecError, decode, encode, encode_changes
from ledger.store import STATE_KEYS_PER_READ, LogRecorder, SnapshotRow, StateRow
from ledger.tree import Node
from verification.merkle import perfect_subtrees

SNAPSHOT_FORMAT = 2
"""The body's version: a snapshot of another version is refused and the log replayed."""

SNAPSHOT_EVERY = 5000
"""Entries between two snapshots of a log (the unsettled changes a writer holds at most);
`JEJAK_SNAPSHOT_EVERY` overrides it, read by each `Ledger` when it opens."""

STATE_CAPACITY = int(os.environ.get("JEJAK_STATE_CAPACITY", "2000"))
"""Values each map of a writer's state keeps cached (bench/writer_memory.py measured the choice)."""


class StateMovedError(StoreConflictError):
    """The stored rows are not this writer's: another process snapshotted past it, reset them
    (a refold), or a row does not read back (`damaged`). The writer rebuilds its state from
    the store (`Ledger` recovers and retries the group); nothing was folded on them."""

    def __init__(self, message: str, damaged: bool = False) -> None:
        super().__init__(message)
        self.damaged = damaged


class SnapshotRefusedError(ValueError):
    """A stored snapshot that start-up does not resume from (the reason is logged)."""


@dataclass(frozen=True)
class SnapshotBody:
    """What a snapshot stores beside the state's rows."""

    format: int
    log: str
    size: int
    generation: int
    position: Position
    frontier: tuple[tuple[int, int, bytes], ...]
    last_at: datetime | None


def encode_body(log: str, generation: int, state: LedgerState, frontier: tuple[Node, ...]) -> bytes:
    position = state.position()
    body = SnapshotBody(
        SNAPSHOT_FORMAT,
        log,
        position.size,
        generation,
        position,
        frontier,
        position.last_integrated_at,
    )
    return encode(body)


def decode_body(row: SnapshotRow, log: str, generation: int) -> SnapshotBody:
    """The body of a stored snapshot, refused unless it is of this log, this format and this
    fold generation, at the size its row names."""
    try:
        body: SnapshotBody = decode(row.body, SnapshotBody)
    except CodecError as error:
        raise SnapshotRefusedError(str(error)) from error
    if body.format != SNAPSHOT_FORMAT:
        raise SnapshotRefusedError(
            f"snapshot format {body.format}, this version reads {SNAPSHOT_FORMAT}"
        )
    if body.log != log or body.size != row.size or body.position.size != row.size:
        raise SnapshotRefusedError(
            f"its body is of log {body.log!r} size {body.size}, its row of size {row.size}"
        )
    if body.generation != generation or row.generation != generation:
        raise SnapshotRefusedError(
            f"it folds {row.generation} redactions, the registry names {generation}"
        )
    return body


def check_frontier(recorder: LogRecorder, body: SnapshotBody) -> None:
    """The snapshot's tree edge is the stored tree's at its size (O(log n) rows)."""
    keys = perfect_subtrees(0, body.size)
    stored = recorder.nodes(keys)
    mine = {(level, index): digest for level, index, digest in body.frontier}
    if set(mine) != set(keys) or any(stored.get(key) != mine[key] for key in keys):
        raise SnapshotRefusedError(f"its tree edge is not the stored tree's at size {body.size}")


class StateRows:
    """The loader of a writer's state (`LedgerState(loader=...)`): reads one row and the
    snapshot it belongs to in one statement, and refuses rows that are not this writer's
    (`StateMovedError`) or do not read back (`damaged`)."""

    def __init__(self, recorder: LogRecorder, generation: int, base: int) -> None:
        self.recorder = recorder
        self.generation = generation
        self.base = base  # the size whose values the caches hold (0: none stored)
        self.state: LedgerState | None = None  # the root state this loader serves
        self.loads = 0

    def __call__(self, name: str, key: object) -> object | None:
        if self.base == 0:
            return None  # nothing settled: every value is in the state's own layer
        codec, base = STATE_MAPS[name], self.base
        read = self.recorder.state_value(name, codec.encode_key(key))
        self.loads += 1
        self._check_stands(read.stands_at, base)
        return None if read.value is None else self._decoded(name, key, read.value)

    def many(self, name: str, keys: Sequence[object]) -> dict[object, object]:
        """Several values of one map (a subject's steps), `STATE_KEYS_PER_READ` a statement."""
        if self.base == 0:
            return {}
        codec, base = STATE_MAPS[name], self.base
        found: dict[object, object] = {}
        for start in range(0, len(keys), STATE_KEYS_PER_READ):
            chunk = {
                codec.encode_key(key): key for key in keys[start : start + STATE_KEYS_PER_READ]
            }
            read = self.recorder.state_values(name, list(chunk))
            self.loads += 1
            self._check_stands(read.stands_at, base)
            for data, value in read.values.items():
                key = chunk[data]
                found[key] = self._decoded(name, key, value)
        return found

    def _check_stands(self, stands_at: tuple[int, int] | None, base: int) -> None:
        """Refuse rows that are not this writer's (another writer moved them). `base` is the
        base as the read began: a reader (holding the read lock) may read while the writer
        stores its next snapshot, whose changes stay in the state's layer until they settle
        (under that lock), so rows at the old base are still good for it."""
        size = self.state.size if self.state is not None else base
        if stands_at is None:  # rows were settled at `base`, so a snapshot stood there
            raise StateMovedError(f"log {self.recorder.log}: its snapshot was deleted")
        generation, stored = stands_at
        if generation != self.generation or not base <= stored <= size:
            raise StateMovedError(
                f"log {self.recorder.log}: the stored state stands at size {stored}"
                f" (generation {generation}), this writer's between {base} and {size}"
            )

    def _decoded(self, name: str, key: object, value: bytes) -> object:
        try:
            return STATE_MAPS[name].decode_value(value)
        except CodecError as error:
            raise StateMovedError(
                f"log {self.recorder.log}: jejak_state row {name} {key!r} is damaged: {error}",
                damaged=True,
            ) from error

    def snapshot(self, state: LedgerState, frontier: tuple[Node, ...]) -> bool:
        """Store the state's unsettled changes and the snapshot body in one transaction and
        settle them; False (nothing stored, nothing settled) when the stored snapshot moved."""
        rows: list[StateRow] = encode_changes(state.dirty())
        body = encode_body(self.recorder.log, self.generation, state, frontier)
        row = SnapshotRow(state.size, self.generation, body)
        if not self.recorder.write_snapshot(self.base, row, rows):
            return False
        self.base = state.size
        return True


def resumed_state(
    body: SnapshotBody, rows: StateRows, registry: RegistryState, capacity: int = STATE_CAPACITY
) -> LedgerState:
    """The state standing at the snapshot, its values read from the rows on demand."""
    state = LedgerState.resumed(
        body.position, body.log, registry, loader=rows, capacity=capacity, keep_steps=True
    )
    rows.state = state
    return state
