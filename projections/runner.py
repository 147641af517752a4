"""Keeps every agency log's read models caught up, each log on its own, in bounded turns.

The runner folds the registry log (organisations and keys) once, and follows each agency log
by its contiguous indexes (`projections.follower`): each log's rows and positions are written
in that log's own read store, one log per transaction. A log whose read models fail (a parked
log, a store error) or fall behind holds back no other log: each turn gives every log at most
`batch` entries, a log that failed waits out a back-off, and `wait_for` waits on one log only.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ledger.errors import NotFoundError
from ledger.placement import REGISTRY_LOG, Placement, Stores
from ledger.settings import Settings
from projections.failures import ProjectionFailure
from projections.follower import LogFollower, Pending, ProjectionError
from projections.projector import CAPACITY, Projector
from projections.registry_fold import RegistryFold
from projections.state_rows import StateRows
from projections.store import ReadRecorder, open_read_recorder

__all__ = ["ModelStatus", "ProjectionError", "ProjectionRunner", "WakeSignal", "open_stores"]

Progress = Callable[[int, int], None]
BATCH = 1000
POLL_SECONDS = 0.05
BACKOFF_SECONDS = (0.25, 1.0, 5.0)
IDLE_POLL_SECONDS = 2.0  # an idle log is looked at this often at most, unless woken
log = logging.getLogger("jejak.projections")


@dataclass(frozen=True)
class ModelStatus:
    """A read model's position in one log: entries applied, and entries behind."""

    log: str
    model: str
    applied: int
    lag: int

    def as_json(self) -> dict[str, object]:
        return {"log": self.log, "model": self.model, "applied": self.applied, "lag": self.lag}


class WakeSignal(Protocol):
    """A threading.Event, or a multiprocessing one shared with a worker process."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@runtime_checkable
class LogWakeSignal(WakeSignal, Protocol):
    """A wake signal that can say which log to look at first (the worker's pipe)."""

    def set_log(self, log: str) -> None: ...

    def hurry(self, log: str) -> None:
        """A reader waits for `log`: turn now rather than let entries gather."""


def open_stores(settings: Settings) -> Stores:
    """The stores of every log, as the settings place them (for a process of its own)."""
    placement = Placement.load(settings.placement_file) if settings.placement_file else None
    return Stores(placement.first if placement else settings.database_url, placement)


GATHER_SECONDS = 0.1
"""After a turn that found less than a batch, how long the runner lets new entries gather
before the next: each turn costs one transaction per log and its fixed share of the fold, so
under a stream of small commits a turn of ~60 entries costs ~40 % less per entry than one of
~12 (bench/append.py, the read-model worker's CPU). The read models then lag by at most this
much more (target p99 <= 1 s); a reader waiting for them (`wait_for`) cuts the gather short."""


class ProjectionRunner:
    """Follows the registry log and every agency log; readers wait on the log they read.

    `stores` may be the server's own (`runtime.logs.stores`, left open on `close`) or opened
    for this runner (`owns_stores`, closed with it)."""

    def __init__(
        self,
        stores: Stores,
        batch: int = BATCH,
        wake: WakeSignal | None = None,
        *,
        owns_stores: bool = False,
        capacity: int = CAPACITY,
    ) -> None:
        """`capacity`: the values of each map of a log's folded state kept in memory."""
        self.stores = stores
        self.batch = batch
        self.capacity = capacity
        self._owns_stores = owns_stores
        self._wake: WakeSignal = wake if wake is not None else threading.Event()
        self._woken: set[str] = set()
        self._hurry = threading.Event()  # a reader waits: no gathering before the next turn
        self._lock = threading.Lock()  # the followers and read stores maps
        self._applied = threading.Condition()
        self._followers: dict[str, LogFollower] = {}
        self._reads: dict[str, ReadRecorder] = {}
        self.registry = RegistryFold(stores.log(REGISTRY_LOG))
        self.last_error: str | None = None

    # The logs and their read stores --------------------------------------------------------

    def reads_of(self, log_id: str) -> ReadRecorder:
        """The read store that holds `log_id`'s read models (its SQLite file, its server)."""
        url = self.stores.url_of(log_id)
        with self._lock:
            reads = self._reads.get(url)
            if reads is None:
                reads = self._reads[url] = open_read_recorder(url)
            return reads

    def readers(self) -> list[ReadRecorder]:
        """One read store per database holding agency logs (for reads across agencies)."""
        seen: dict[int, ReadRecorder] = {}
        for log_id in self.logs():
            reads = self.reads_of(log_id)
            seen.setdefault(id(reads), reads)
        return list(seen.values())

    def datastores(self) -> list[object]:
        """The datastores of the read stores opened so far (for health checks)."""
        with self._lock:
            return [reads.datastore for reads in self._reads.values()]

    def logs(self) -> list[str]:
        """The agency logs, in registration order, as the registry log holds them now."""
        return self.registry.agencies()

    def follower(self, log_id: str) -> LogFollower:
        with self._lock:
            found = self._followers.get(log_id)
        if found is not None:
            return found
        if log_id == REGISTRY_LOG or log_id not in self.logs():
            raise NotFoundError(f"there is no agency log {log_id!r}")
        reads, store = self.reads_of(log_id), self.stores.log(log_id)
        registry = self.registry.state
        with self._lock:
            found = self._followers.get(log_id)
            if found is None:
                found = LogFollower(
                    log_id,
                    store,
                    reads,
                    self.registry.at_least,
                    lambda: Projector(log_id, registry, StateRows(reads, log_id, self.capacity)),
                )
                self._followers[log_id] = found
            return found

    # Catching up ---------------------------------------------------------------------------

    def catch_up(
        self,
        log_id: str | None = None,
        progress: Progress | None = None,
        crash_after_rows: bool = False,
    ) -> int:
        """Apply every entry not yet applied, of one log or of each (each to its end, one
        after the other); return the number folded. A log that fails does not stop the
        others: the first error is raised once every log had its go."""
        logs = [log_id] if log_id is not None else self.logs()
        folded, first_error = 0, None
        for each in logs:
            follower = self.follower(each)
            try:
                while step := follower.step(self.batch, crash_after_rows):
                    folded += step
                    self._notify()
                    if progress is not None:
                        progress(follower.projector.position, follower.size())
            except Exception as error:  # any: the other logs still catch up
                first_error = first_error or error
                log.exception("the read models of log %s failed to catch up", each)
        if first_error is not None:
            raise first_error
        return folded

    def turn(self, interval: float = 0.0) -> int:
        """One round over every log: the woken first, at most `batch` entries each; return
        the entries folded. Logs of one database commit their steps in one transaction (one
        size query, one commit for all, not a dozen round trips per log); if that
        transaction fails, each of its logs steps alone, so a log's fault stays its own: it
        is logged and left alone for a back-off. A log found idle is looked at less often
        (up to IDLE_POLL_SECONDS) until it is woken or has entries again, so many quiet logs
        cost few queries."""
        with self._lock:
            woken, self._woken = self._woken, set()
        logs = self.logs()
        ordered = [*(x for x in logs if x in woken), *(x for x in logs if x not in woken)]
        now = time.monotonic()
        groups: dict[tuple[int, int], list[LogFollower]] = {}
        for each in ordered:
            follower = self.follower(each)
            if follower.retry_at > now or (each not in woken and follower.poll_at > now):
                continue
            key = (id(follower.reads), id(follower.store.shared))
            groups.setdefault(key, []).append(follower)
        folded = sum(self._turn_together(group, interval) for group in groups.values())
        if folded:
            self._notify()
        return folded

    def _turn_together(self, group: list[LogFollower], interval: float) -> int:
        """Step the logs of one database in one transaction; alone if it fails."""
        if len(group) == 1:
            return self._turn_alone(group[0], interval)
        with contextlib.ExitStack() as held:
            for follower in group:
                held.enter_context(follower.lock)
            try:
                sizes = group[0].store.shared.recorder.log_sizes([f.log for f in group])
            except Exception:  # the database: each log finds out on its own below
                log.exception("reading the sizes of %d logs failed", len(group))
                return sum(self._turn_alone(f, interval) for f in group)
            pending: list[tuple[LogFollower, Pending | None]] = []
            for follower in group:
                try:
                    pending.append((follower, follower.fold(self.batch, sizes[follower.log])))
                except Exception as error:  # this log's fault stays this log's
                    self._failed(follower, error)
            reads = group[0].reads
            try:
                with reads.cursor(commit=True) as curs:
                    for _, step in pending:
                        if step is not None and step.batch is not None:
                            reads.write_batch(curs, step.batch, False)
            except Exception:
                log.exception("the read models of %d logs failed to commit together", len(group))
                for follower, _ in pending:
                    follower.reset()
                return sum(self._turn_alone(f, interval) for f, _ in pending)
            folded = 0
            for follower, step in pending:
                done = follower.stored(step)
                self._succeeded(follower, done, interval)
                folded += done
            return folded

    def _turn_alone(self, follower: LogFollower, interval: float) -> int:
        try:
            step = follower.step(self.batch)
        except Exception as error:  # this log's fault stays this log's
            self._failed(follower, error)
            return 0
        self._succeeded(follower, step, interval)
        return step

    @staticmethod
    def _failed(follower: LogFollower, error: Exception) -> None:
        follower.failed_turns += 1
        follower.last_error = f"{type(error).__name__}: {error}"
        pause = BACKOFF_SECONDS[min(follower.failed_turns, len(BACKOFF_SECONDS)) - 1]
        follower.retry_at = time.monotonic() + pause
        log.error("the read models of log %s failed a step; retrying", follower.log, exc_info=error)

    @staticmethod
    def _succeeded(follower: LogFollower, step: int, interval: float) -> None:
        follower.failed_turns, follower.last_error = 0, None
        follower.idle_turns = 0 if step else follower.idle_turns + 1
        pause = min(IDLE_POLL_SECONDS, interval * 2 ** min(follower.idle_turns, 8))
        follower.poll_at = time.monotonic() + pause if follower.idle_turns > 1 else 0.0

    def _notify(self) -> None:
        with self._applied:
            self._applied.notify_all()

    def rebuild(self, log_id: str | None = None, progress: Progress | None = None) -> int:
        """Empty the read models, positions and failures (of one log or of each), then apply
        those logs again."""
        for each in [log_id] if log_id is not None else self.logs():
            self.follower(each).rebuild()
        return self.catch_up(log_id, progress)

    # Reading positions ---------------------------------------------------------------------

    def applied(self, log_id: str) -> int:
        """Entries of `log_id` every read model has applied (parked entries count)."""
        return self.follower(log_id).applied

    def positions(self, log_id: str) -> dict[str, int]:
        return self.follower(log_id).stored_positions()

    def failures(self, log_id: str | None = None) -> list[ProjectionFailure]:
        """The logs whose entries the read models could not apply, as stored."""
        logs = [log_id] if log_id is not None else self.logs()
        return [f for each in logs for f in self.follower(each).failures()]

    def errors(self) -> dict[str, str]:
        """Each log whose last step failed in this process, with the error."""
        with self._lock:
            followers = list(self._followers.values())
        return {f.log: f.last_error for f in followers if f.last_error is not None}

    def status(self, log_id: str | None = None) -> list[ModelStatus]:
        """Each log's models: entries applied and lag behind the log's size."""
        found = []
        for each in [log_id] if log_id is not None else self.logs():
            follower = self.follower(each)
            size = follower.size()
            for model, applied in sorted(follower.stored_positions().items()):
                found.append(ModelStatus(each, model, applied, size - applied))
        return found

    # Waiting and the background loop -------------------------------------------------------

    def wake(self, log_id: str | None = None) -> None:
        """Ask for a turn soon (for `log_id` first, which has new entries); with no log (a
        shutdown, a general nudge) at once, without gathering."""
        if log_id is not None:
            with self._lock:
                self._woken.add(log_id)
            if isinstance(self._wake, LogWakeSignal):  # another process follows the logs
                self._wake.set_log(log_id)
                return
        else:
            self._hurry.set()
        self._wake.set()

    def hurry(self, log_id: str) -> None:
        """A reader waits for `log_id`'s read models: turn for it now, without gathering."""
        with self._lock:
            self._woken.add(log_id)
        if isinstance(self._wake, LogWakeSignal):  # another process follows the logs
            self._wake.hurry(log_id)
            return
        self._hurry.set()
        self._wake.set()

    def wait_for(self, log_id: str, index: int, timeout: float) -> bool:
        """Wait until every model of `log_id` has applied its entry `index` (read-your-writes);
        False on timeout. Other logs are not waited for.

        The entries may be applied by this runner's thread or by a worker process: between
        wake-ups the stored positions are polled."""
        follower = self.follower(log_id)
        if follower.applied > index:
            return True
        self.hurry(log_id)
        deadline = time.monotonic() + timeout
        with self._applied:
            while follower.applied <= index:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._applied.wait(min(remaining, POLL_SECONDS))
        return True

    def run(self, stop: threading.Event, interval: float = 0.25) -> None:
        """Turn while any log has work; then poll cheaply (or wake when asked) until `stop`."""
        while not stop.is_set():
            try:
                folded = self.turn(interval)
                self.last_error = None
            except Exception as error:  # the registry fold or its store: retry, status shows it
                self.last_error = f"{type(error).__name__}: {error}"
                log.exception("projection turn failed; retrying")
                stop.wait(min(5.0, interval * 8))
                folded = 0
            if folded:
                if folded < self.batch:  # under a stream of small commits: let entries gather,
                    self._hurry.wait(GATHER_SECONDS)  # so a turn carries more of them
                    self._hurry.clear()
                continue  # more may be waiting: no pause between full turns
            self._wake.wait(interval)
            self._wake.clear()

    def close(self) -> None:
        with self._lock:
            opened, self._reads = list(self._reads.values()), {}
            self._followers = {}
        for reads in opened:
            reads.datastore.close()
        if self._owns_stores:
            self.stores.close()


def runner_from_settings(settings: Settings, wake: WakeSignal | None = None) -> ProjectionRunner:
    """A runner with stores of its own (a worker process, the CLI)."""
    return ProjectionRunner(open_stores(settings), wake=wake, owns_stores=True)
