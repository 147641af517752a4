"""Group commit: one writer thread integrates whatever requests are waiting in one transaction."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.errors import Refusal
from ledger.errors import LedgerError, StoreUnavailableError
from ledger.head import Submission

if TYPE_CHECKING:
    from ledger.ledger import Receipt

Failure = LedgerError | Refusal

MAX_GROUP_ENTRIES = 2000


class ItemRefusedError(LedgerError):
    """One item of an all-or-nothing request was refused; nothing of the request was stored."""

    def __init__(self, position: int, cause: LedgerError | Refusal) -> None:
        super().__init__(f"item {position}: {cause}")
        self.position = position
        self.cause = cause
        self.rule = cause.rule


@dataclass
class Request:
    """Submissions that stand or fall together, and the caller waiting for their outcome."""

    submissions: Sequence[Submission]
    done: threading.Event = field(default_factory=threading.Event)
    receipts: list[Receipt] | None = None
    error: Failure | None = None

    def succeed(self, receipts: list[Receipt]) -> None:
        self.receipts = receipts
        self.done.set()

    def fail(self, error: Failure) -> None:
        self.error = error
        self.done.set()


GroupHandler = Callable[[list[Request]], None]


class GroupCommitter:
    """Collects concurrent requests; the handler commits each group and settles every request."""

    def __init__(self, handler: GroupHandler, name: str = "jejak-writer") -> None:
        self._handler = handler
        self._queue: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, submissions: Sequence[Submission], timeout: float = 60.0) -> list[Receipt]:
        """Block until the submissions are durable (or refused); return their outcomes."""
        if self._closed:
            raise StoreUnavailableError("the ledger is shutting down")
        request = Request(submissions)
        self._queue.put(request)
        if not request.done.wait(timeout):
            raise StoreUnavailableError(
                "the writer did not answer in time; nothing was acknowledged"
            )
        if request.error is not None:
            raise request.error
        return request.receipts or []

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, count = [first], len(first.submissions)
            while count < MAX_GROUP_ENTRIES:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                group.append(nxt)
                count += len(nxt.submissions)
            try:
                self._handler(group)
            except Exception as error:  # the writer thread must survive any failure
                for request in group:
                    if not request.done.is_set():
                        request.fail(StoreUnavailableError(f"the append failed: {error}"))
