"""A pure ASGI middleware refusing request bodies over a size limit before they are read in full."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem

MAX_BODY_BYTES = 1024 * 1024


class BodySizeLimit:
    """413 for a declared Content-Length over the limit, or once a streamed body passes it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLargeError
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLargeError:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413, "body-too-large", f"the request body exceeds {self.limit} bytes", limit=self.limit
        )
        await response(scope, receive, send)


class _TooLargeError(Exception):
    pass
