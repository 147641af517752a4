"""Bodies that never finish arriving are refused with 408 and never reach the routes."""

from __future__ import annotations

import asyncio
import json

from starlette.types import Message, Receive, Scope, Send

from api.limits import BodyGuard


class RecordingApp:
    """An inner app that records whether it was reached, and answers 204."""

    def __init__(self) -> None:
        self.reached = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached = True
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def post_scope(length: int) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/entries",
        "headers": [(b"content-length", str(length).encode())],
    }


def run(guard: BodyGuard, scope: Scope, chunks: list[bytes], then_hang: bool) -> list[Message]:
    """Drive `guard` with `chunks` (more to come), then a client that sends nothing more."""
    sent: list[Message] = []

    async def main() -> None:
        queue = list(chunks)
        never = asyncio.Event()

        async def receive() -> Message:
            if queue:
                return {"type": "http.request", "body": queue.pop(0), "more_body": True}
            if then_hang:
                await never.wait()
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await guard(scope, receive, send)

    asyncio.run(main())
    return sent


def test_a_lying_content_length_ends_in_408_without_reaching_the_app() -> None:
    inner = RecordingApp()
    sent = run(BodyGuard(inner, seconds=0.05), post_scope(1000), [b'{"payload":'], then_hang=True)
    start, body = sent
    assert start["status"] == 408
    headers = dict(start["headers"])
    assert headers[b"content-type"] == b"application/problem+json"
    assert headers[b"connection"] == b"close"
    assert json.loads(body["body"])["type"] == "urn:jejak:problem:body-timeout"
    assert not inner.reached


def test_a_trickled_body_that_completes_reaches_the_app() -> None:
    inner = RecordingApp()
    sent = run(BodyGuard(inner, seconds=5), post_scope(6), [b"{", b'"a":1', b"}"], then_hang=False)
    assert sent[0]["status"] == 204
    assert inner.reached


def test_a_streamed_body_over_the_limit_is_413_without_reaching_the_app() -> None:
    inner = RecordingApp()
    guard = BodyGuard(inner, limit=10, seconds=5)
    sent = run(guard, post_scope(5), [b"x" * 6, b"y" * 6], then_hang=False)
    assert sent[0]["status"] == 413
    assert not inner.reached
