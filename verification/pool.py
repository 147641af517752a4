"""Check a streamed bundle's records in worker processes, a chunk of lines at a time.

The main process reads the lines (checking the layout as it goes) and hands them out in chunks
of `CHUNK_LINES` lines (or `CHUNK_BYTES` bytes) to a pool of forked workers; each worker parses
its chunk's records and makes each entry's own checks (`verification.facts.precheck`: leaf and
payload hashes, the event, the signatures under the keys registered so far). The main process
takes the results back in log order and makes the checks that depend on what came before
(order, chains, inclusion and ranges, the key rules, heads, the claim) and the replay, exactly
as in one process. At most `IN_FLIGHT` chunks per worker are out at a time, so memory holds a
bounded number of chunks whatever the bundle's size.

A worker checks a signature only under a key the main process had learnt when the chunk left
(the keys a chunk was sent with); a signature it could not check keeps its PAE and is checked
in the main process. The first chunk of each log waits until every chunk before it is done,
so an agency log's chunks leave with the whole registry's keys.

What a line cannot be (unusable input) stops the chunk where it stands; the main process
raises it when it reaches that line, as the serial reader would. An error nobody foresaw in a
worker is raised there as one line (`WorkerError`, told as `unexpected` tells it where it
was raised), and a worker that dies breaks the pool (an error, not a wait).
"""

from __future__ import annotations

import copyreg
import gc
import io
import multiprocessing
import os
import pickle
import re
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import BinaryIO

from verification.errors import WorkerError, unexpected
from verification.facts import Facts, precheck
from verification.failures import BundleFormatError
from verification.keyring import Keyring
from verification.layout import decode, record_lines
from verification.records import EntryRecord, Record, parse_record

CHUNK_LINES = 2000
"""Lines a chunk holds at most."""

CHUNK_BYTES = 4 * 1024 * 1024
"""Bytes of lines after which a chunk is closed (one longer line is a chunk of its own)."""

IN_FLIGHT = 2
"""Chunks per worker out at a time (one being checked, one waiting)."""

LEAST_RECORDS = 4000
"""Records below which a bundle is checked in one process (a pool costs more than it saves)."""

_LOG_RECORD = re.compile(rb'"record"\s*:\s*"log"')

Item = tuple[Record, Facts | None]


def usable_cpus() -> int:
    """The CPUs this process may run on (the default number of workers)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass
class _Chunk:
    lines: list[tuple[int, bytes]]
    error: BaseException | None = None  # raised after the chunk's records (a layout error)
    barrier: bool = False  # the chunk opens a log: it waits until the chunks before are done


@dataclass(frozen=True)
class _Stop:
    """Where a worker stopped in its chunk, with what the main process raises there."""

    error: BaseException


def _chunks(stream: BinaryIO) -> Iterator[_Chunk]:
    """The record lines in chunks; a log record starts a chunk of its own (a barrier)."""
    chunk, size = _Chunk([]), 0
    lines = record_lines(stream)
    while True:
        try:
            number, text = next(lines)
        except StopIteration:
            break
        except Exception as error:  # the layout breaks here: after the lines before it
            chunk.error = error
            yield chunk
            return
        if _LOG_RECORD.search(text, 0, 200) and chunk.lines:
            yield chunk
            chunk, size = _Chunk([], barrier=True), 0
        elif _LOG_RECORD.search(text, 0, 200):
            chunk.barrier = True
        chunk.lines.append((number, text))
        size += len(text)
        if len(chunk.lines) >= CHUNK_LINES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = _Chunk([]), 0
    if chunk.lines:
        yield chunk


def _read_only(mapping: dict[str, object]) -> MappingProxyType[str, object]:
    return MappingProxyType(mapping)


_TABLE = copyreg.dispatch_table.copy()
_TABLE[MappingProxyType] = lambda mapping: (_read_only, (dict(mapping),))
"""An event's payload is a read-only mapping (verification errors pickle by their state)."""


def _dumps(items: list[Item | _Stop]) -> bytes:
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _TABLE
    pickler.dump(items)
    return out.getvalue()


def _loads(data: bytes) -> list[Item | _Stop]:
    """A chunk's results; the collector waits (a chunk is thousands of small objects, which
    would set off collections that walk the whole heap, the replay's state included)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        items: list[Item | _Stop] = pickle.loads(data)  # noqa: S301 (our own workers' bytes)
    finally:
        if enabled:
            gc.enable()
    return items


def check_chunk(keys: dict[str, bytes], lines: list[tuple[int, bytes]]) -> bytes:
    """A worker's part: each line's record, with an entry's own checks (pickled)."""
    items: list[Item | _Stop] = []
    gc.disable()  # the chunk's results live until sent: collections would walk them again
    try:
        _check_lines(keys, lines, items)
        return _dumps(items)
    finally:
        gc.enable()


def _check_lines(
    keys: dict[str, bytes], lines: list[tuple[int, bytes]], items: list[Item | _Stop]
) -> None:
    for number, text in lines:
        where = f"line {number}"
        try:
            record = parse_record(decode(text, where), where)
            if isinstance(record, EntryRecord):
                facts = precheck(record, keys.get)
                if record.payload is not None:  # the facts hold what the payload gave
                    record = replace(record, payload=b"")
                items.append((record, facts))
            else:
                items.append((record, None))
        except BundleFormatError as error:
            items.append(_Stop(error))
            break
        except Exception as error:
            items.append(_Stop(WorkerError(unexpected(error))))
            break


def _start() -> None:
    """A worker leaves Ctrl-C to the main process (which stops the pool), and its collector
    leaves alone what it was forked with (walking it would copy every page of it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()


class _Keys:
    """The registry's public keys as learnt so far, one dict per size (keys are only added)."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self.known: dict[str, bytes] = {}

    def now(self) -> dict[str, bytes]:
        keys = self.keyring.keys
        if len(keys) != len(self.known):
            self.known = {keyid: key.public_key for keyid, key in keys.items()}
        return self.known


def pooled_records(stream: BinaryIO, keyring: Keyring, workers: int) -> Iterator[Item]:
    """Every record after the header (call `read_header` first) with its entry's facts, in
    order, checked by `workers` processes; `keyring` is the one the main process fills."""
    keys = _Keys(keyring)
    chunks = _chunks(stream)
    pending: deque[tuple[Future[bytes], _Chunk]] = deque()
    waiting: _Chunk | None = None  # a barrier chunk held until the pending ones are done
    limit = IN_FLIGHT * workers
    executor = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_start
    )

    def fill() -> None:
        nonlocal waiting
        while len(pending) < limit:
            chunk = waiting if waiting is not None else next(chunks, None)
            waiting = None
            if chunk is None:
                return
            if chunk.barrier and pending:
                waiting = chunk
                return
            pending.append((executor.submit(check_chunk, keys.now(), chunk.lines), chunk))

    try:
        fill()
        while pending:
            future, chunk = pending.popleft()
            items = _loads(future.result())
            for item in items:
                if isinstance(item, _Stop):
                    raise item.error
                yield item
            if chunk.error is not None:
                raise chunk.error
            fill()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
