"""Group commit: one writer thread integrates whatever requests are waiting in one transaction."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.errors import Refusal
from ledger.errors import LedgerError, StoreUnavailableError
from ledger.grouping import DEFAULT_POLICY, MAX_GROUP_ENTRIES, GroupPolicy, gather
from ledger.head import Submission

if TYPE_CHECKING:
    from ledger.ledger import Receipt

Failure = LedgerError | Refusal

__all__ = ["MAX_GROUP_ENTRIES", "GroupCommitter", "ItemRefusedError", "Request"]


class ItemRefusedError(LedgerError):
    """One item of an all-or-nothing request was refused; nothing of the request was stored."""

    def __init__(self, position: int, cause: LedgerError | Refusal) -> None:
        super().__init__(f"item {position}: {cause}")
        self.position = position
        self.cause = cause
        self.rule = cause.rule


@dataclass
class Request:
    """Submissions that stand or fall together, and how to wake the caller waiting for them."""

    submissions: Sequence[Submission]
    notify: Callable[[], None] = lambda: None
    receipts: list[Receipt] | None = None
    error: Failure | None = None
    settled: bool = False

    def succeed(self, receipts: list[Receipt]) -> None:
        self.receipts, self.settled = receipts, True
        self.notify()

    def fail(self, error: Failure) -> None:
        self.error, self.settled = error, True
        self.notify()

    def outcome(self) -> list[Receipt]:
        if self.error is not None:
            raise self.error
        return self.receipts or []


GroupHandler = Callable[[list[Request]], None]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class GroupCommitter:
    """Collects concurrent requests; the handler commits each group and settles every request."""

    def __init__(
        self,
        handler: GroupHandler,
        name: str = "jejak-writer",
        policy: GroupPolicy = DEFAULT_POLICY,
    ) -> None:
        self._handler = handler
        self._policy = policy
        self._queue: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, submissions: Sequence[Submission], timeout: float = 60.0) -> list[Receipt]:
        """Block until the submissions are durable (or refused); return their receipts."""
        done = threading.Event()
        request = Request(submissions, done.set)
        self._put(request)
        if not done.wait(timeout):
            raise StoreUnavailableError("the writer did not answer in time")
        return request.outcome()

    async def submit_async(
        self, submissions: Sequence[Submission], timeout: float = 60.0
    ) -> list[Receipt]:
        """Await durability (or refusal) without holding a thread: for the event loop."""
        loop = asyncio.get_running_loop()
        settled = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(_resolve, settled)

        request = Request(submissions, wake)
        self._put(request)
        try:
            await asyncio.wait_for(settled, timeout)
        except TimeoutError:
            raise StoreUnavailableError("the writer did not answer in time") from None
        return request.outcome()

    def _put(self, request: Request) -> None:
        if self._closed:
            raise StoreUnavailableError("the ledger is shutting down")
        self._queue.put(request)

    def close(self) -> None:
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=30)

    @property
    def stopped(self) -> bool:
        """The writer thread has ended (after `close`, unless it was stuck in a commit)."""
        return not self._thread.is_alive()

    def _run(self) -> None:
        loaded = False
        while True:
            first = self._queue.get()
            if first is None:
                return
            taken = gather(first, self._queue, loaded, self._policy)
            if taken.closing:
                self._queue.put(None)
            group = taken.requests
            loaded = len(group) > 1
            try:
                self._handler(group)
            except Exception as error:  # the writer thread must survive any failure
                for request in group:
                    if not request.settled:
                        request.fail(StoreUnavailableError(f"the append failed: {error}"))
