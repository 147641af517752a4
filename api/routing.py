"""Appends routed to the worker that owns their log (`jejak serve --workers N`).

Every worker accepts connections on the shared port, but each log is written by one worker
only, its owner (`owner_of`: SHA-256 of the log id, modulo N). A worker that receives an append
for a log it does not own passes the request (the bearer's role and organisation, the body) to
the owner over a Unix socket and answers with the owner's status and body. So no two processes
take turns on one log's writer lock or replay each other's entries, and the logs' writes spread
over the workers' cores.

With `--writers W` the W writer processes (numbers 0 .. W - 1) own every log and the workers
none: each append a worker receives is passed on.

A worker checks what it passes on (JSON, shape, payload, the signatures by keys it knows,
the bearer's right to write it: `Logs.prepare`), so a refusal is answered where it arrived and
the owner, whose one writer is the busy part, verifies no signature twice: the body passed on
holds the envelopes with every keyid named and the header the keyids each one was verified by.
The owner parses the payloads again (it folds the events) and checks every key's rules; the
socket is the server's own (its directory is private to the server's user).

Frames on the socket: a 4-byte big-endian length, then that many bytes. A request is two frames
(a JSON header `{"batch", "role", "org", "verified"}` and the body; `verified` null: the body as
the client sent it, unchecked); an answer is two frames (a JSON header
`{"status", "media_type", "writer"}` and the body).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ledger.placement import REGISTRY_LOG
from ledger.tokens import Principal

Answer = tuple[int, bytes, str]
"""An answer: its status, body and media type."""
WRITER_HEADER = "X-Jejak-Writer"
"""Names, in `--workers` mode, the pid of the worker that wrote the log (the log's owner)."""
Verified = list[list[str]]
"""Per envelope of a request passed on, the keyids its signatures were verified by."""
Handler = Callable[[Principal, bytes, bool, Verified | None], Awaitable[Answer]]
log = logging.getLogger("jejak.routing")
MAX_FRAME = 64 * 1024 * 1024


def owner_of(log_id: str, count: int) -> int:
    """The process of `count` that writes `log_id` (the registry log: process 0)."""
    if log_id == REGISTRY_LOG or count <= 1:
        return 0
    return int.from_bytes(hashlib.sha256(log_id.encode()).digest()[:8], "big") % count


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    size = int.from_bytes(await reader.readexactly(4), "big")
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes")
    return await reader.readexactly(size)


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


@dataclass
class Workers:
    """This worker's place among the workers, its socket, and connections to the others."""

    number: int
    count: int
    sockets: Path
    writers: int = 0
    """Processes 0 .. writers - 1 write the logs and serve no HTTP (`--writers`); with none,
    the `count` workers write them."""
    _idle: dict[int, list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = field(
        default_factory=dict
    )
    _server: asyncio.AbstractServer | None = None

    def socket_of(self, number: int) -> Path:
        return self.sockets / f"worker-{number}.sock"

    def owner(self, log_id: str) -> int:
        return owner_of(log_id, self.writers or self.count)

    async def listen(self, handler: Handler) -> None:
        """Serve appends forwarded by the other workers."""
        path = self.socket_of(self.number)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    try:
                        header = orjson.loads(await _read_frame(reader))
                        body = await _read_frame(reader)
                    except asyncio.IncompleteReadError:
                        return
                    principal = Principal(str(header["role"]), header.get("org"))
                    batch, verified = bool(header["batch"]), header.get("verified")
                    status, answer, media = await handler(principal, body, batch, verified)
                    head = orjson.dumps(
                        {"status": status, "media_type": media, "writer": os.getpid()}
                    )
                    writer.write(_frame(head) + _frame(answer))
                    await writer.drain()
            except Exception:  # a broken peer: its request fails there, not here
                log.exception("a forwarded append could not be served")
            finally:
                writer.close()

        self._server = await asyncio.start_unix_server(serve, path=str(path))
        path.chmod(0o600)

    async def forward(
        self,
        number: int,
        principal: Principal,
        body: bytes,
        batch: bool,
        verified: Verified | None = None,
    ) -> tuple[Answer, int]:
        """Have worker `number` append (`verified`: the body's envelopes were checked here,
        each by these keys); its answer and its pid."""
        idle = self._idle.setdefault(number, [])
        if idle:
            reader, writer = idle.pop()
        else:
            reader, writer = await self._connect(number)
        header = orjson.dumps(
            {"batch": batch, "role": principal.role, "org": principal.org, "verified": verified}
        )
        try:
            writer.write(_frame(header) + _frame(body))
            await writer.drain()
            head = orjson.loads(await _read_frame(reader))
            answer = await _read_frame(reader)
        except BaseException:
            writer.close()
            raise
        idle.append((reader, writer))
        return (int(head["status"]), answer, str(head["media_type"])), int(head["writer"])

    async def _connect(self, number: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        path = str(self.socket_of(number))
        for _ in range(100):  # the owner may still be starting
            try:
                return await asyncio.open_unix_connection(path)
            except (FileNotFoundError, ConnectionRefusedError):
                await asyncio.sleep(0.05)
        return await asyncio.open_unix_connection(path)

    async def close(self) -> None:
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
