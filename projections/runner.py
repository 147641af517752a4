"""Keeps the read models caught up with the log, writing rows and positions atomically."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder

from ledger.records import EntryRecorded
from ledger.store import EventStore
from projections.decode import agency_of, to_entry
from projections.failures import ProjectionFailure
from projections.projector import Projector
from projections.schema import MODELS, TABLES
from projections.store import ReadRecorder, RowBatch

Progress = Callable[[int, int], None]
BATCH = 1000
log = logging.getLogger("jejak.projections")


class ProjectionError(Exception):
    """The log and the read models disagree (a foreign or tampered store)."""


@dataclass(frozen=True)
class ModelStatus:
    """A read model's position: notifications and log entries applied, and entries behind."""

    model: str
    notification_id: int
    applied: int
    lag: int

    def as_json(self) -> dict[str, object]:
        return {
            "model": self.model,
            "notification_id": self.notification_id,
            "applied": self.applied,
            "lag": self.lag,
        }


POLL_SECONDS = 0.05


class WakeSignal(Protocol):
    """A threading.Event, or a multiprocessing one shared with a worker process."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


class ProjectionRunner:
    """Follows the notification log; one catch-up at a time, any number of waiting readers."""

    def __init__(
        self,
        events: EventStore,
        reads: ReadRecorder,
        batch: int = BATCH,
        wake: WakeSignal | None = None,
    ) -> None:
        self.events = events
        self.reads = reads
        self.batch = batch
        self._lock = threading.Lock()
        self._applied = threading.Condition()
        self._wake: WakeSignal = wake if wake is not None else threading.Event()
        self._reset()
        self.last_error: str | None = None

    def _reset(self) -> None:
        self.projector = Projector()
        self._nid = 0
        self._positions: dict[str, tuple[int, int]] | None = None

    def _load(self) -> dict[str, tuple[int, int]]:
        sizes = {
            str(r["model"]): int(r["log_size"])
            for r in self.reads.rows("SELECT model, log_size FROM {s}jp_positions")
        }
        return {m: (self.reads.max_tracking_id(m) or 0, sizes.get(m, 0)) for m in MODELS}

    @property
    def recorder(self) -> ApplicationRecorder:
        return self.events.app.recorder

    def positions(self) -> dict[str, tuple[int, int]]:
        """Each model's (notification id, log size) as stored."""
        return self._load()

    @property
    def applied(self) -> int:
        """The number of log entries every read model has applied."""
        positions = self._positions or self._load()
        return min(size for _, size in positions.values())

    def catch_up(self, progress: Progress | None = None, crash_after_rows: bool = False) -> int:
        """Apply every notification not yet applied; return the number of entries folded."""
        with self._lock:
            try:
                return self._catch_up(progress, crash_after_rows)
            except BaseException:
                self._reset()  # the transaction rolled back: rebuild memory from the store
                raise

    def _catch_up(self, progress: Progress | None, crash_after_rows: bool) -> int:
        if self._positions is None:
            self._positions = self._load()
            self.projector.park(self.reads.failures())
        positions = self._positions
        target = self.recorder.max_notification_id() or 0
        folded = 0
        while True:
            bounds = [nid for nid, _ in positions.values() if nid > self._nid]
            stop = min(bounds) if bounds and min(bounds) < target else None
            found = self.recorder.select_notifications(self._nid + 1, self.batch, stop=stop)
            if not found:
                return folded
            for notification in found:
                recorded = self.events.app.mapper.to_domain_event(notification)
                if not isinstance(recorded, EntryRecorded):
                    continue
                if recorded.index != self.projector.position:
                    raise ProjectionError(
                        f"notification {notification.id} holds entry {recorded.index}, "
                        f"expected entry {self.projector.position}"
                    )
                self._apply(recorded)
            last = found[-1].id
            behind = {m for m, (nid, _) in positions.items() if nid < last}
            batch = RowBatch()
            if behind:
                self.projector.flush(batch)
                batch.keep_only(behind)
                batch.positions = {m: (last, self.projector.position) for m in behind}
            else:
                self.projector.flush(None)
            batch.failures, self.projector.new_failures = self.projector.new_failures, []
            if behind or batch.failures:
                with self.reads.cursor(commit=True) as curs:
                    self.reads.write_batch(curs, batch, crash_after_rows)
                positions.update(batch.positions)
            self._nid = last
            folded += len(found)
            with self._applied:
                self._applied.notify_all()
            if progress is not None:
                progress(min(last, target), target)

    def _apply(self, recorded: EntryRecorded) -> None:
        """Fold one stored entry; one that cannot even be decoded parks its agency too."""
        try:
            entry = to_entry(recorded)
        except Exception as error:  # a bug: the writer accepted it; status shows it
            self.projector.fail(recorded.index, agency_of(recorded), error)
            return
        self.projector.apply(entry)

    def failures(self) -> list[ProjectionFailure]:
        """The agencies whose entries the read models could not apply, as stored."""
        return self.reads.failures()

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empty every read model, its position and the recorded failures, then apply the
        whole log again."""
        with self._lock:
            self.reads.clear(TABLES, MODELS)
            self._reset()
        return self.catch_up(progress)

    def status(self) -> list[ModelStatus]:
        size = self.events.recorder.log_size()
        return [
            ModelStatus(model, nid, applied, size - applied)
            for model, (nid, applied) in sorted(self._load().items())
        ]

    # The background worker ---------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def wait_for(self, size: int, timeout: float) -> bool:
        """Wait until every model has applied the first `size` entries; False on timeout.

        The entries may be applied by this runner's thread or by a worker process: between
        wake-ups the stored positions are polled.
        """
        self.wake()
        deadline = time.monotonic() + timeout
        with self._applied:
            while self.applied < size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._applied.wait(min(remaining, POLL_SECONDS))
        return True

    def run(self, stop: threading.Event, interval: float = 0.25) -> None:
        """Catch up, then poll cheaply (or wake when asked) until `stop` is set."""
        while not stop.is_set():
            try:
                self.catch_up()
                self.last_error = None
            except Exception as error:  # the worker must outlive a failed round; status shows it
                self.last_error = f"{type(error).__name__}: {error}"
                log.exception("projection catch-up failed; retrying")
                stop.wait(min(5.0, interval * 8))
            self._wake.wait(interval)
            self._wake.clear()
