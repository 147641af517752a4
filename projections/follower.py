"""One agency log's read models: folds that log's entries by index and writes its rows."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from ledger.state_codec import CodecError
from ledger.store import LogStore, StoredEntry
from projections.decode import decode_entry, payload_of, stored_fields
from projections.failures import ProjectionFailure
from projections.projector import Projector
from projections.schema import MODELS, TABLES
from projections.state_rows import FORMAT, Snapshot, StateDamaged, decode_snapshot
from projections.store import ReadRecorder, RowBatch
from verification.leaf import parse_instant

Progress = Callable[[int, int], None]
REDACTIONS = "redactions"  # jp_positions pseudo-model: payloads erased when the rows were folded
RegistryAt = Callable[[int], None]  # makes the registry fold hold at least that many entries
log = logging.getLogger("jejak.projections")


@dataclass
class Pending:
    """A folded step not yet committed: the entries it folded and the rows to write (None
    when nothing needs writing, e.g. warming up over rows already stored)."""

    folded: int
    batch: RowBatch | None


class ProjectionError(Exception):
    """The log and the read models disagree (a foreign or tampered store)."""


class LogFollower:
    """Follows one agency log by its contiguous indexes (`jejak_entries`), in bounded steps.

    Each step reads at most `batch` entries, folds them, and writes their rows with the
    models' positions in that log, and the projector's changed state with its snapshot, in one
    transaction of the log's own read store. A step that fails rolls back and leaves the
    memory to be reloaded from the store on the next step: the snapshot and the state rows,
    from which the fold continues (nothing it applied is read again). A snapshot or state row
    that cannot be read back is logged and the log's read models are rebuilt from entry 0."""

    def __init__(
        self,
        log: str,
        store: LogStore,
        reads: ReadRecorder,
        registry_at: RegistryAt,
        projector: Callable[[], Projector],
    ) -> None:
        self.log = log
        self.store = store
        self._mapper = store.shared.app.mapper  # the stored event, without the payload joined
        self.reads = reads
        self._registry_at = registry_at
        self._new_projector = projector
        self.lock = threading.RLock()  # one step of this log at a time
        self.last_error: str | None = None
        self.retry_at = 0.0  # monotonic time before which the runner leaves a failed log be
        self.failed_turns = 0
        self.poll_at = 0.0  # monotonic time of the next look at an idle log (unless woken)
        self.idle_turns = 0
        self._reset()

    def _reset(self) -> None:
        self.projector = self._new_projector()
        self._positions: dict[str, int] | None = None
        self._erased: int | None = None  # payloads erased when the rows were folded

    def _fold_again_if_redacted(self) -> None:
        """A payload erased since the rows were folded (a redaction): empty this log's read
        models and fold it again from 0, so no row keeps anything of the erased payload.

        The store is asked only while the registry names more redactions of this log than the
        rows were folded with (the erasure follows its `entry.redacted`): no query otherwise."""
        if self._erased is None:
            self._erased = self.reads.positions(self.log).get(REDACTIONS, 0)
        if len(self.projector.registry.redactions_of(self.log)) <= self._erased:
            return
        erased = len(self.store.recorder.redactions())
        if erased == self._erased:
            return
        self.reads.clear(self.log, TABLES, MODELS)
        self.reads.set_position(self.log, REDACTIONS, erased)
        self._reset()
        self._erased = erased

    def reset(self) -> None:
        """Forget the memory (after a failed step, or a rebuild): reload it from the store."""
        with self.lock:
            self._reset()

    def stored_positions(self) -> dict[str, int]:
        found = self.reads.positions(self.log)
        return {model: found.get(model, 0) for model in MODELS}

    def positions(self) -> dict[str, int]:
        """Each model's entries applied: this process's when it follows the log, else stored."""
        known = self._positions
        return dict(known) if known is not None else self.stored_positions()

    @property
    def applied(self) -> int:
        """Entries of this log every read model has applied (or parked)."""
        return min(self.positions().values())

    def size(self) -> int:
        return self.store.recorder.log_size()

    def step(self, limit: int, crash_after_rows: bool = False) -> int:
        """Fold at most `limit` entries not yet applied and store their rows; return how many."""
        with self.lock:
            try:
                pending = self._fold(limit, self.size())
                if pending is not None and pending.batch is not None:
                    with self.reads.cursor(commit=True) as curs:
                        self.reads.write_batch(curs, pending.batch, crash_after_rows)
                return self.stored(pending)
            except BaseException:
                self._reset()  # the transaction rolled back: rebuild memory from the store
                raise

    def fold(self, limit: int, size: int) -> Pending | None:
        """The first half of a step the runner commits together with other logs' steps, the
        caller holding `lock` until `stored`: fold at most `limit` entries below `size` (the
        log's size, read by the caller) and answer the rows to write. If they are not
        committed, call `reset`."""
        try:
            return self._fold(limit, size)
        except BaseException:
            self._reset()
            raise

    def _fold(self, limit: int, target: int) -> Pending | None:
        self._fold_again_if_redacted()
        try:
            positions = self._start()
            return self._fold_from(positions, limit, target)
        except StateDamaged as error:
            log.error("the read models of log %s are rebuilt from entry 0: %s", self.log, error)
            self.reads.clear(self.log, TABLES, MODELS)
            self._reset()
        return self._fold_from(self._start(), limit, target)  # no stored state left to read

    def _start(self) -> dict[str, int]:
        """The models' positions; on the first step, the projector stands where its stored
        state does (or at entry 0, that state dropped, when it has none it can continue)."""
        if self._positions is not None:
            return self._positions
        positions = self.stored_positions()
        self.projector.park(self.reads.failures(self.log))
        snapshot = self._snapshot(positions)
        if snapshot is None:
            self.reads.clear_state(self.log)
            self.projector.stored.fresh()
        else:
            self.projector.resume(snapshot)
        self._positions = positions
        return positions

    def _snapshot(self, positions: dict[str, int]) -> Snapshot | None:
        """The stored snapshot the fold can continue from; StateDamaged if unreadable."""
        found = self.reads.snapshot(self.log)
        if found is None:
            return None
        form, data = found
        try:
            if form != FORMAT:
                raise CodecError(f"it is of format {form}, this version reads format {FORMAT}")
            snapshot = decode_snapshot(data)
        except CodecError as error:
            raise StateDamaged(f"its snapshot is refused: {error}") from error
        if min(positions.values()) < snapshot.position:  # a model added since, or rebuilt
            log.info("log %s: a read model is behind the stored state; folding from 0", self.log)
            return None
        return snapshot

    def _fold_from(self, positions: dict[str, int], limit: int, target: int) -> Pending | None:
        projector = self.projector
        start = projector.position
        if start >= target:
            return None
        stop = min(target, start + limit)
        # a model ahead of the others (added later, or rebuilt alone) is not written twice
        bounds = [p for p in positions.values() if start < p < stop]
        stop = min([stop, *bounds])
        found = self.store.recorder.entries(start, stop)
        for offset, stored in enumerate(found):
            if stored.index != start + offset:
                raise ProjectionError(
                    f"log {self.log} holds entry {stored.index} where {start + offset} belongs"
                )
        if len(found) != stop - start:
            raise ProjectionError(
                f"log {self.log} has {target} entries, but {start}..{stop - 1} could not be read"
            )
        behind = {m for m, p in positions.items() if p < stop}
        batch = RowBatch(log=self.log)
        with projector.stored.reading():
            for stored in found:
                self._apply(stored)
            if behind:
                projector.flush(batch)
                batch.keep_only(behind)
                batch.positions = {m: stop for m in behind}
            else:
                projector.flush(None)  # warming up over rows already stored (a model ahead)
        projector.save(batch)
        batch.failures, projector.new_failures = projector.new_failures, []
        return Pending(len(found), batch)

    def stored(self, pending: Pending | None) -> int:
        """The second half: the pending step's rows are committed; return the entries folded."""
        if pending is None:
            return 0
        if pending.batch is not None:
            if self._positions is not None:
                self._positions.update(pending.batch.positions)
            self.projector.settle(pending.batch)
        return pending.folded

    def _apply(self, stored: StoredEntry) -> None:
        """Fold one stored entry, decoded once (`projections.decode`); one that cannot even
        be decoded parks the log too."""
        try:
            index, envelope_json, leaf_json = stored_fields(stored, self._mapper)
            envelope, leaf = orjson.loads(envelope_json), orjson.loads(leaf_json)
            payload = payload_of(envelope, stored.payload)
            if payload is None:  # erased by a redaction
                at = parse_instant(str(leaf["integrated_at"]))
                self.projector.redacted(index, str(leaf["subject"]), self.log, at)
                return
            entry = decode_entry(index, envelope, payload, leaf)
        except Exception as error:  # a bug: the writer accepted it; status shows it
            self.projector.fail(stored.index, self.log, error)
            return
        if stored.event.originator_version == 1:  # the subject's first entry in this log
            self.projector.stored.new_subject(entry.event.subject)
        self._registry_at(entry.registry_size)
        self.projector.apply(entry)

    def failures(self) -> list[ProjectionFailure]:
        return self.reads.failures(self.log)

    def rebuild(self) -> None:
        """Empty this log's read models, positions and failure (then step again from 0)."""
        with self.lock:
            self.reads.clear(self.log, TABLES, MODELS)
            self._reset()
