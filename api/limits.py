"""A pure ASGI middleware receiving request bodies within bounds of size, time and nesting."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem
from verification.json_depth import MAX_DEPTH, too_deep

MAX_BODY_BYTES = 1024 * 1024
BODY_SECONDS = 30.0
"""The time a client has to send the whole body once the request has begun."""


class BodyGuard:
    """Receive the whole body before the app sees it, refusing with a problem response:

    413 for a declared Content-Length over the limit or once the received body passes it; 408
    when the body has not arrived within `seconds` (a lying Content-Length, a trickle); 400
    when arrays and objects nest deeper than `max_depth`, found by scanning the bytes, so no
    handler ever parses it recursively.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        seconds: float = BODY_SECONDS,
        max_depth: int = MAX_DEPTH,
    ) -> None:
        self.app = app
        self.limit = limit
        self.seconds = seconds
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._too_large(scope, receive, send)
                return
        try:
            async with asyncio.timeout(self.seconds):
                body = await self._receive_body(receive)
        except TimeoutError:
            response = problem(
                408,
                "body-timeout",
                f"the request body did not arrive within {self.seconds:g} s",
                seconds=self.seconds,
            )
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        except _TooLargeError:
            await self._too_large(scope, receive, send)
            return
        except _DisconnectedError:
            return
        if too_deep(body, self.max_depth):
            response = problem(
                400,
                "too-deep",
                f"arrays and objects in the body nest deeper than {self.max_depth} levels",
                max_depth=self.max_depth,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _receive_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _DisconnectedError
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.limit:
                raise _TooLargeError
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, "body-too-large", f"the request body exceeds {self.limit} bytes", limit=self.limit
        )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that hands over the buffered body, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class _TooLargeError(Exception):
    pass


class _DisconnectedError(Exception):
    pass


_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


class UrlGuard:
    """400 for a path or query holding a control character (raw or %-encoded): ids and
    filters never hold one (DESIGN §5), and PostgreSQL cannot even compare a NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            query = scope.get("query_string", b"")
            if _CONTROL.search(unquote_to_bytes(path)) or _CONTROL.search(unquote_to_bytes(query)):
                response = problem(
                    400, "control-character", "the path or query holds a control character"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
