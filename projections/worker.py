"""The projection worker process: keeps the read models up to date beside the server."""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.synchronize import Event as ProcessEvent

from ledger.store import open_store
from projections.runner import ProjectionRunner
from projections.store import open_read_recorder

PARENT_CHECK_SECONDS = 1.0


def _work(database_url: str, wake: ProcessEvent, stop: ProcessEvent, parent: int) -> None:
    """The child's main: follow the log until told to stop or the parent is gone."""
    events = open_store(database_url)
    reads = open_read_recorder(database_url)
    runner = ProjectionRunner(events, reads, wake=wake)
    halt = threading.Event()

    def watch() -> None:  # a SIGKILLed server leaves no orphan worker behind
        while not halt.is_set():
            if stop.wait(PARENT_CHECK_SECONDS) or os.getppid() != parent:
                halt.set()
                wake.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    try:
        runner.run(halt)
    finally:
        reads.datastore.close()
        events.close()


class ProjectionWorker:
    """The server's handle on the worker process: its own interpreter, so its own GIL."""

    def __init__(self, database_url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.wake = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_work,
            args=(database_url, self.wake, self._stop, os.getpid()),
            name="jejak-projections",
            daemon=True,
        )

    def start(self) -> None:
        self._process.start()

    def close(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.wake.set()
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
