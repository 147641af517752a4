"""The append endpoints' lean path: a pure ASGI middleware answering them before FastAPI's router.

`POST /v1/entries` and `POST /v1/entries/batch` are the hot path. Through FastAPI each request
also passed the exception middleware, the router's matching, the route's request/response
wrapper and dependency solving: as much CPU again as the rest of a refused request. This
middleware, the innermost of the app's own (the URL and body guards and the retry run before
it, as for every request), hands exactly these two to `routes_entries.respond`, which the
FastAPI routes call too, and answers a refusal with the response the app's exception handler
for it gives; every other request, and an error without such a handler, goes on as before
(the latter to the app's outermost handler: a 500 problem).
"""

from __future__ import annotations

from typing import Any

from starlette._utils import get_route_path, is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, ExceptionHandler, Receive, Scope, Send

from api.routes_entries import BodyReader, respond

APPENDS = {"/v1/entries": False, "/v1/entries/batch": True}
"""The paths the lean path answers (POST only), each with whether it is the batch."""


class AppendPath:
    """Answer `POST /v1/entries` and `POST /v1/entries/batch` without FastAPI's routing; pass
    every other request on to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        batch = (
            APPENDS.get(get_route_path(scope))
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        if batch is None:
            await self.app(scope, receive, send)
            return
        api = scope["app"]  # the FastAPI app: Starlette puts it in every request's scope
        try:
            response = await respond(api.state, _authorization(scope), _reader(receive), batch)
        except Exception as error:
            handler = handler_for(api.exception_handlers, error)
            if handler is None:
                raise
            request = Request(scope, receive, send)
            if is_async_callable(handler):
                response = await handler(request, error)
            else:
                response = await run_in_threadpool(handler, request, error)
            error.__traceback__ = None  # as Starlette: the traceback is not kept past the answer
        await response(scope, receive, send)


def handler_for(handlers: dict[Any, ExceptionHandler], error: Exception) -> Any:
    """The app's handler Starlette's ExceptionMiddleware picks for `error` (an HTTPException's
    status first, then the error's nearest class), None where only the outermost one, of
    `Exception` and 500, would answer."""
    if isinstance(error, HTTPException) and error.status_code != 500:
        by_status = handlers.get(error.status_code)
        if by_status is not None:
            return by_status
    for kind in type(error).__mro__:
        if kind is Exception:
            return None
        handler = handlers.get(kind)
        if handler is not None:
            return handler
    return None


def _authorization(scope: Scope) -> str:
    """The request's first `Authorization` header as Starlette reads it, "" without one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            return text
    return ""


def _reader(receive: Receive) -> BodyReader:
    """The body as Starlette's `Request.body` receives it: the chunks up to the last one, or
    `ClientDisconnect` if the client goes away first."""

    async def read() -> bytes:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    return b"".join(chunks)
            elif message["type"] == "http.disconnect":
                raise ClientDisconnect()

    return read
