"""Signature checks over chunks in worker processes, results handed back in the order added.

The main process keeps the checks that carry state from entry to entry (order, chains, key
registry, inclusion) and the rule replay; the signatures, most of the CPU, go to processes, which
sidestep the GIL the Python checks hold. At most `IN_FLIGHT` chunks per worker are queued: when
more are, `add` waits for the oldest, so memory stays bounded whatever the bundle's size.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.context import BaseContext

from verification.ed25519 import verify_many
from verification.signatures import SignatureJob

CHUNK = 512
"""Signatures per task: a few ms of work, so queueing and pickling cost little."""
IN_FLIGHT = 4
"""Chunks queued per worker at most."""
MIN_PARALLEL = 4096
"""Entries below which the checks stay in this process (starting workers costs ~0.1-0.3 s)."""

Triple = tuple[bytes, bytes, bytes]


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def process_context() -> BaseContext | None:
    """fork while this process runs one thread on Linux, else forkserver; None without either.

    fork starts a worker at almost no cost (~0.2 s of CPU for the pool here); a forkserver
    worker re-imports the main module (for `jejak`, the whole server) and costs ~1.5 s of CPU.
    fork is unsafe only beside other threads (a lock held at the fork stays held in the child).
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return None


def use_processes(workers: int, entries: int) -> bool:
    """Whether worker processes pay: more than one worker and CPU, and a large bundle."""
    return (
        workers > 1
        and usable_cpus() > 1
        and entries >= MIN_PARALLEL
        and process_context() is not None
    )


def _check(triples: Sequence[Triple]) -> list[bool]:
    return verify_many(triples)


class ProcessSignaturePool:
    """Collects jobs; checks them per chunk, in `workers` processes or (0) in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pending: list[SignatureJob] = []
        self._queued: deque[tuple[list[SignatureJob], Future[list[bool]]]] = deque()
        self._done: deque[tuple[SignatureJob, bool]] = deque()
        self._executor: ProcessPoolExecutor | None = None
        self.added = 0

    def __enter__(self) -> ProcessSignaturePool:
        context = process_context()
        if self.workers > 0 and context is not None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
        return self

    def __exit__(self, *_: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    @property
    def queued(self) -> int:
        """Chunks handed to the workers whose outcomes are not yet taken back."""
        return len(self._queued)

    def add(self, job: SignatureJob) -> None:
        self._pending.append(job)
        self.added += 1
        if len(self._pending) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        jobs, self._pending = self._pending, []
        if not jobs:
            return
        triples = [(job.public_key, job.signature, job.message) for job in jobs]
        future: Future[list[bool]]
        if self._executor is None:
            future = Future()
            future.set_result(_check(triples))
        else:
            future = self._executor.submit(_check, triples)
        self._queued.append((jobs, future))
        while len(self._queued) > IN_FLIGHT * max(1, self.workers):
            self._take_oldest()

    def _take_oldest(self) -> None:
        jobs, future = self._queued.popleft()
        self._done.extend(zip(jobs, future.result(), strict=True))

    def ready(self) -> Iterator[tuple[SignatureJob, bool]]:
        """Outcomes available now, in the order added (never waits)."""
        while self._queued and self._queued[0][1].done():
            self._take_oldest()
        while self._done:
            yield self._done.popleft()

    def rest(self) -> Iterator[tuple[SignatureJob, bool]]:
        """Every outcome not yet handed out, in the order added (waits for the workers)."""
        self._flush()
        while self._queued:
            self._take_oldest()
            while self._done:
                yield self._done.popleft()
